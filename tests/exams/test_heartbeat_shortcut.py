"""``exams.middleware.HeartbeatShortcutMiddleware``: a beat with a token is answered right
after ``SecurityMiddleware``, in the member's language; everything else takes the stack."""

import json

from django.conf import settings
from django.test import Client

from exams.models import WatchBeat, WatchSession

from .test_beat_token import URL, beat, post, token


def test_it_sits_right_after_the_security_middleware():
    stack = settings.MIDDLEWARE
    shortcut = stack.index("exams.middleware.HeartbeatShortcutMiddleware")
    assert stack[shortcut - 1] == "django.middleware.security.SecurityMiddleware"


def test_a_token_beat_is_answered_before_the_rest_of_the_stack(world):
    response = post(beat(world.video, token(world.alice, world.video)))
    assert response.status_code == 200, response.content
    assert WatchSession.objects.get().user == world.alice
    # SecurityMiddleware's headers are there; those of the middleware below are not (the
    # language middleware's Content-Language, the clickjacking middleware's X-Frame-Options,
    # the session middleware's Vary: Cookie)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Referrer-Policy" in response.headers
    for header in ("Content-Language", "X-Frame-Options", "Vary"):
        assert header not in response.headers, header


def test_its_messages_are_in_the_members_language(world):
    body = beat(world.video, token(world.alice, world.video), seq="x")
    chinese = post(body)
    english_client = Client(enforce_csrf_checks=True)
    english_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = post(body, client=english_client)
    assert chinese.status_code == english.status_code == 400
    assert english.json()["detail"] == "seq: A valid integer is required."
    assert chinese.json()["detail"] == "seq: 请输入有效的整数。"
    forged = beat(world.video, "not a token")
    assert post(forged, client=english_client).json()["detail"] == "This beat token is not valid."
    assert post(forged).json()["detail"] == "该心跳令牌无效。"
    assert not WatchBeat.objects.exists()


def test_a_beat_without_token_still_goes_through_session_and_csrf(world, client):
    body = beat(world.video, None)
    del body["token"]
    client.force_login(world.alice)
    client.handler.enforce_csrf_checks = True
    response = client.post(URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 403  # no CSRF token: the stack (DRF) refused it
    assert not WatchSession.objects.exists()


def test_not_json_and_not_post_take_the_stack(world, client):
    anonymous = Client().post(URL, data=b"\xff not json", content_type="application/json")
    assert anonymous.status_code == 403  # no token, no session: refused by the stack
    client.force_login(world.alice)
    response = client.post(URL, data=b"\xff not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "心跳数据不是有效的 JSON。"
    get = Client().get(URL)
    assert get.status_code == 405
    assert "X-Frame-Options" in get.headers  # answered through the whole stack


def test_it_follows_the_urlconf_in_force(world, settings):
    """The path is the endpoint's in the URLconf in force: here the API mounted at the root,
    where a beat goes to /exams/heartbeats/."""
    settings.ROOT_URLCONF = "cms.api_urls"
    body = beat(world.video, token(world.alice, world.video))
    response = Client().post(
        "/exams/heartbeats/", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert WatchSession.objects.count() == 1
