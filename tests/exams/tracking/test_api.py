"""The heartbeat, preferences and ping endpoints over HTTP (with CSRF enforced)."""

import json
import uuid

import pytest
from django.test import Client
from exams.models import WatchBeat, WatchSession, WatchSummary

URL = "/api/exams/heartbeats/"


@pytest.fixture
def client_for():
    def make(user):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        client.get("/api/exams/ping/")  # any request: the CSRF cookie is set on login pages
        from django.middleware.csrf import _get_new_csrf_string

        token = _get_new_csrf_string()
        client.cookies["csrftoken"] = token
        client.csrf = token
        return client

    return make


def beat(lesson, **over):
    body = {
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


def post(client, body, **headers):
    return client.post(
        URL,
        data=json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.csrf,
        **headers,
    )


def test_a_beat_answers_the_figures(world, client_for):
    client = client_for(world.alice)
    response = post(client, beat(world.video))
    assert response.status_code == 200, response.content
    assert set(response.json()) == {
        "coverage",
        "coverage_ratio",
        "engaged_seconds",
        "completed",
        "resume_position",
    }
    assert WatchBeat.objects.count() == 1


def test_send_beacon_text_plain_with_csrf_in_the_body(world, client_for):
    client = client_for(world.alice)
    body = beat(world.video, csrf=client.csrf)
    response = client.post(URL, data=json.dumps(body), content_type="text/plain")
    assert response.status_code == 200, response.content
    assert WatchBeat.objects.count() == 1


def test_without_csrf_is_refused(world, client_for):
    client = client_for(world.alice)
    response = client.post(URL, data=json.dumps(beat(world.video)), content_type="text/plain")
    assert response.status_code == 403
    assert not WatchBeat.objects.exists()


def test_anonymous_is_refused(world):
    response = Client().post(
        URL, data=json.dumps(beat(world.video)), content_type="application/json"
    )
    assert response.status_code == 403


def test_replay_is_200(world, client_for):
    client = client_for(world.alice)
    body = beat(world.video)
    assert post(client, body).status_code == 200
    again = post(client, body)
    assert again.status_code == 200
    assert WatchBeat.objects.count() == 1


def test_other_members_session_is_403(world, client_for):
    body = beat(world.video)
    assert post(client_for(world.alice), body).status_code == 200
    response = post(client_for(world.bob), {**body, "seq": 1})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert WatchBeat.objects.count() == 1


def test_lesson_outside_audience_is_404(world, client_for):
    response = post(client_for(world.alice), beat(world.west_lesson))
    assert response.status_code == 404
    assert not WatchSession.objects.exists()


BAD = {
    "missing session": lambda b: b.pop("session"),
    "missing seq": lambda b: b.pop("seq"),
    "missing playing": lambda b: b.pop("playing"),
    "seq as string": lambda b: b.update(seq="1"),
    "seq as float": lambda b: b.update(seq=1.5),
    "negative seq": lambda b: b.update(seq=-1),
    "huge seq": lambda b: b.update(seq=2**63),
    "session not a uuid": lambda b: b.update(session="abc"),
    "lesson as string": lambda b: b.update(lesson="x"),
    "unknown lesson": lambda b: b.update(lesson=999_999),
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
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_400_and_stores_nothing(world, client_for, name):
    body = beat(world.video)
    BAD[name](body)
    client = client_for(world.alice)
    response = client.post(
        URL,
        data=json.dumps(body, allow_nan=True),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.csrf,
    )
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert not WatchBeat.objects.exists()
    assert not WatchSummary.objects.exists()


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "", "null", '"text"'])
def test_body_that_is_not_an_object_is_400(world, client_for, raw):
    client = client_for(world.alice)
    response = client.post(
        URL, data=raw, content_type="application/json", HTTP_X_CSRFTOKEN=client.csrf
    )
    assert response.status_code == 400
    assert response.json()["detail"]


def test_preferences_round_trip(world, client_for):
    client = client_for(world.alice)
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


def test_ping(world, client_for):
    assert client_for(world.alice).get("/api/exams/ping/").json() == {"ok": True}
    assert Client().get("/api/exams/ping/").status_code == 403


def test_schema_documents_the_endpoints(admin_client):
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/exams/heartbeats/" in body and "/api/exams/preferences/" in body
