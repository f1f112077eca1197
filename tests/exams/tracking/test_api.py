"""The heartbeat, preferences and ping endpoints over HTTP.

The heartbeat is authenticated by the beat token in its body and nothing else: no session
cookie, no CSRF token (the cookie + CSRF fallback was removed)."""

import json
import uuid

import pytest
from django.test import Client

from exams.tracking.beat_token import beat_token_for
from exams.tracking.models import WatchBeat, WatchSession, WatchSummary

URL = "/api/exams/heartbeats/"


def beat(lesson, token, **over):
    body = {
        "token": token,
        "lesson": lesson.pk,
        "session": str(uuid.uuid4()),
        "seq": 0,
        "from": None,
        "to": None,
        "rate": 1,
        "event": "play",
        "position": 0,
        "playing": False,
        "visible": True,
        "client_time": 1_700_000_000_000,
    }
    body.update(over)
    return body


def token(user, lesson):
    return beat_token_for(user_id=user.pk, lesson_id=lesson.pk)


def post(body, content_type="application/json", client=None):
    client = client or Client(enforce_csrf_checks=True)
    data = body if isinstance(body, str) else json.dumps(body, allow_nan=True)
    return client.post(URL, data=data, content_type=content_type)


@pytest.fixture
def csrf_client():
    """A logged-in browser with a CSRF token: what the removed fallback accepted."""

    def make(user):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        from django.middleware.csrf import _get_new_csrf_string

        client.csrf = _get_new_csrf_string()
        client.cookies["csrftoken"] = client.csrf
        return client

    return make


def test_a_beat_answers_the_figures(world):
    response = post(beat(world.video, token(world.alice, world.video)))
    assert response.status_code == 200, response.content
    assert set(response.json()) == {
        "coverage",
        "coverage_ratio",
        "engaged_seconds",
        "completed",
        "resume_position",
    }
    assert WatchBeat.objects.count() == 1
    assert WatchSession.objects.get().user == world.alice
    assert "Set-Cookie" not in response.headers and not response.cookies


def test_send_beacon_text_plain(world):
    body = beat(world.reading, token(world.alice, world.reading))
    response = post(body, content_type="text/plain;charset=UTF-8")
    assert response.status_code == 200, response.content
    assert WatchSession.objects.get().lesson_id == world.reading.pk


def test_without_token_is_refused_even_with_session_cookie_and_csrf(world, csrf_client):
    client = csrf_client(world.alice)
    body = beat(world.video, None)
    body.pop("token")
    response = client.post(
        URL, data=json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=client.csrf
    )
    assert response.status_code == 403
    assert response.json()["detail"]
    beacon = {**body, "csrf": client.csrf}
    assert post(beacon, content_type="text/plain", client=client).status_code == 403
    assert not WatchBeat.objects.exists()


def test_anonymous_without_token_is_refused(world):
    body = beat(world.video, None)
    body.pop("token")
    assert post(body).status_code == 403


def test_the_token_decides_the_member_not_the_cookie(world, csrf_client):
    """Logged in as Bob, posting Alice's page's token: the beat is Alice's."""
    response = post(
        beat(world.video, token(world.alice, world.video)), client=csrf_client(world.bob)
    )
    assert response.status_code == 200
    assert WatchSession.objects.get().user == world.alice


def test_replay_is_200(world):
    body = beat(world.video, token(world.alice, world.video))
    assert post(body).status_code == 200
    again = post(body)
    assert again.status_code == 200
    assert WatchBeat.objects.count() == 1


def test_other_members_session_is_403(world):
    body = beat(world.video, token(world.alice, world.video))
    assert post(body).status_code == 200
    response = post({**body, "seq": 1, "token": token(world.bob, world.video)})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert WatchBeat.objects.count() == 1


def test_lesson_outside_audience_is_404(world):
    response = post(beat(world.west_lesson, token(world.alice, world.west_lesson)))
    assert response.status_code == 404
    assert not WatchSession.objects.exists()


def test_get_is_not_allowed():
    assert Client().get(URL).status_code == 405


BAD = {
    "missing session": lambda b: b.pop("session"),
    "missing seq": lambda b: b.pop("seq"),
    "missing playing": lambda b: b.pop("playing"),
    "missing lesson": lambda b: b.pop("lesson"),
    "seq as string": lambda b: b.update(seq="1"),
    "seq as float": lambda b: b.update(seq=1.5),
    "negative seq": lambda b: b.update(seq=-1),
    "huge seq": lambda b: b.update(seq=2**63),
    "session not a uuid": lambda b: b.update(session="abc"),
    "session a list": lambda b: b.update(session=[[[]]]),
    "lesson as string": lambda b: b.update(lesson="x"),
    "from after to": lambda b: b.update({"from": 20, "to": 10}),
    "from without to": lambda b: b.update({"from": 20}),
    "negative from": lambda b: b.update({"from": -5, "to": 10}),
    "NaN": lambda b: b.update({"from": float("nan"), "to": 10}),
    "infinity": lambda b: b.update({"from": 0, "to": float("inf")}),
    "huge to": lambda b: b.update({"from": 0, "to": 1e300}),
    "rate zero": lambda b: b.update(rate=0),
    "unknown event": lambda b: b.update(event="dance"),
    "playing as string": lambda b: b.update(playing="yes"),
    "visible null": lambda b: b.update(visible=None),
    "position NaN": lambda b: b.update(position=float("nan")),
    "client_time negative": lambda b: b.update(client_time=-1),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_400_and_stores_nothing(world, name):
    body = beat(world.video, token(world.alice, world.video))
    BAD[name](body)
    response = post(body)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert not WatchBeat.objects.exists()
    assert not WatchSummary.objects.exists()


def test_another_lesson_id_than_the_tokens_is_403(world):
    body = beat(world.video, token(world.alice, world.video))
    body["lesson"] = 999_999
    assert post(body).status_code == 403
    assert not WatchBeat.objects.exists()


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "null", '"text"', "12", "[" * 3000])
def test_body_that_is_not_an_object_is_400(world, raw):
    response = post(raw)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_preferences_round_trip(world, csrf_client):
    client = csrf_client(world.alice)
    assert client.get("/api/exams/preferences/").json() == {"data_saver": False}
    response = client.patch(
        "/api/exams/preferences/",
        data=json.dumps({"data_saver": True}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.csrf,
    )
    assert response.json() == {"data_saver": True}
    assert client.get("/api/exams/preferences/").json() == {"data_saver": True}
    bad = client.patch(
        "/api/exams/preferences/",
        data=json.dumps({"data_saver": "maybe"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.csrf,
    )
    assert bad.status_code == 400


def test_ping(world, csrf_client):
    assert csrf_client(world.alice).get("/api/exams/ping/").json() == {"ok": True}
    assert Client().get("/api/exams/ping/").status_code == 403


def test_schema_documents_the_endpoints(admin_client):
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/exams/heartbeats/" in body and "/api/exams/preferences/" in body


def test_a_body_over_4_kb_is_refused_and_stores_nothing(world):
    # given a valid beat padded past the 4 KB a beat may take
    body = beat(world.video, token(world.alice, world.video), padding="x" * 4200)

    # when it is posted
    response = post(body)

    # then a translated 400 says why, and nothing is stored
    assert response.status_code == 400
    assert response.json()["detail"] == "心跳数据过大。"
    assert not WatchSession.objects.exists() and not WatchBeat.objects.exists()
