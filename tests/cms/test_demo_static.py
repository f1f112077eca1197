"""The demo (``bin/demo``: ``cms.settings.dev`` with DEBUG on and ``STATIC_COLLECTED=1``)
serves static files fingerprinted and compressed as production does, and answers an
unknown URL with the project's translated 404 page, never Django's debug page that lists
the URL patterns."""

import gzip
import importlib
import re

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings

ADMIN_FILES = ["wagtailadmin/css/core.css", "wagtailadmin/js/core.js"]


def demo_settings(monkeypatch) -> dict:
    """What ``cms.settings.dev`` changes for the demo, read from the module itself with
    the environment bin/demo gives it."""
    monkeypatch.setenv("STATIC_COLLECTED", "1")
    monkeypatch.delenv("DEBUG", raising=False)
    from cms.settings import dev

    dev = importlib.reload(dev)
    return {
        "DEBUG": dev.DEBUG,
        "MIDDLEWARE": dev.MIDDLEWARE,
        "STORAGES": dev.STORAGES,
        "WHITENOISE_USE_FINDERS": dev.WHITENOISE_USE_FINDERS,
        "WHITENOISE_AUTOREFRESH": dev.WHITENOISE_AUTOREFRESH,
    }


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """``collectstatic`` as bin/demo runs it, into a folder of this test module."""
    root = tmp_path_factory.mktemp("static")
    mp = pytest.MonkeyPatch()
    try:
        overrides = demo_settings(mp)
    finally:
        mp.undo()
    with override_settings(STATIC_ROOT=str(root), **overrides):
        call_command("collectstatic", interactive=False, verbosity=0)
    return {"STATIC_ROOT": str(root), **overrides}


@pytest.mark.parametrize("name", ADMIN_FILES)
def test_the_admins_css_and_js_come_fingerprinted_and_compressed(collected, name):
    with override_settings(**collected):
        url = static(name)
        # the page links the fingerprinted name, even with DEBUG on
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), url
        client = Client()  # its handler loads WhiteNoise with these settings

        packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        plain = client.get(url)

    assert packed.status_code == 200 and plain.status_code == 200
    assert packed["Content-Encoding"] in ("gzip", "br")
    body = b"".join(packed.streaming_content)
    original = b"".join(plain.streaming_content)
    if packed["Content-Encoding"] == "gzip":
        assert gzip.decompress(body) == original
    assert len(body) < len(original) / 2
    assert "immutable" in packed["Cache-Control"]  # long-cached: the name changes with it
    assert "Content-Encoding" not in plain  # a client that asks for nothing gets it plain


UNKNOWN = ["/no-such-page/", "/no/such/file.txt", "/admin-typo.php"]


@pytest.mark.parametrize("path", UNKNOWN)
def test_an_unknown_url_answers_the_projects_404_page(db, collected, path):
    assert collected["DEBUG"] is True  # the demo keeps DEBUG on
    with override_settings(**collected):
        response = Client().get(path)

    html = response.content.decode()
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert "页面不存在" in html  # translated (zh-hans by default)
    assert re.search(r'href="/static/css/site\.[0-9a-f]{12}\.css"', html)  # fingerprinted
    # nothing of Django's debug page: no URL patterns, no settings hint
    for leak in ("URLconf", "DEBUG = True", "wagtailadmin", "api/", "Using the URL"):
        assert leak not in html, leak


def test_a_404_raised_by_a_view_is_the_projects_page_too(org, member_factory, collected):
    from ..courses.factories import make_course

    # given a course of another branch: its page is a 404 for this member
    course = make_course("West only", audience=[org.west_branch])
    member = member_factory(org.branch_a, username="demo_member")
    with override_settings(**collected):
        client = Client()
        client.force_login(member)
        response = client.get(course.url)

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    assert "Raised by" not in response.content.decode()


def test_the_api_keeps_its_json_404(db, collected):
    with override_settings(**collected):
        response = Client().get("/api/v1/quizzes/-1/attempts/")
    # an /api/ path that names no endpoint answers JSON in the API's error shape, untouched
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
