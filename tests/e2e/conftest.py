"""Headless Chromium for the browser tests (Playwright's sync API, Debian's chromium)."""

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

# Playwright's sync API keeps an event loop running in this thread; the ORM calls the tests
# make between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


_shared: dict = {"users": 0}


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run. Other test packages import this fixture, which makes
    a second session fixture of the same name: both share one Playwright instance (two
    would clash: its sync API refuses to start inside another one's event loop)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_E2E_TESTS"):
            pytest.fail(f"REQUIRE_E2E_TESTS is set but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    if not _shared["users"]:
        playwright = sync_playwright().start()
        _shared["playwright"] = playwright
        _shared["browser"] = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
    _shared["users"] += 1
    try:
        yield _shared["browser"]
    finally:
        _shared["users"] -= 1
        if not _shared["users"]:
            _shared.pop("browser").close()
            _shared.pop("playwright").stop()


@pytest.fixture(scope="session")
def ffmpeg_bin():
    path = shutil.which("ffmpeg")
    if not path:
        pytest.skip("ffmpeg is not installed")
    return path


def login_context(browser, client, user, live_server):
    """A fresh browser context (another device) with ``user`` logged in."""
    client.force_login(user)
    context = browser.new_context()
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    return context


def close_quietly(context, count: Callable[[], int], *, settle: float = 0.75) -> None:
    """Close ``context`` and wait until the beats it sends on its way out (pagehide,
    sendBeacon) have been handled, so that no request of the live server still holds a
    lock when the test database is flushed (a deadlock on PostgreSQL otherwise)."""
    for page in context.pages:
        page.goto("about:blank")
    context.close()
    deadline = time.monotonic() + 5
    seen, since = count(), time.monotonic()
    while time.monotonic() - since < settle and time.monotonic() < deadline:
        time.sleep(0.1)
        now = count()
        if now != seen:
            seen, since = now, time.monotonic()


def course_section():
    """The course section (made by a data migration), rebuilt when an earlier transactional
    test has flushed the migrations' rows: the live server needs real commits, and
    ``serialized_rollback`` breaks once another transactional test has flushed without it
    (its content types come back under new ids)."""
    from django.conf import settings
    from wagtail.models import Collection, Locale, Page, Site

    from courses.models import CourseIndexPage

    section = CourseIndexPage.objects.filter(slug="courses").first()
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    if section is not None:
        return section
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    section = root.add_child(instance=CourseIndexPage(title="Courses", slug="courses"))
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page=root, is_default_site=True)
    return section
