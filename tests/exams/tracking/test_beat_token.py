"""The beat-token path of the heartbeat endpoint: no cookie, no CSRF, no session or user
row read for a steady-state beat; every forged, expired or misused token refused."""

import json
import uuid

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from exams.beat_token import beat_token_check, beat_token_for
from exams.models import WatchBeat, WatchSession

from tests.exams.tracking.test_api import BAD
from tests.exams.tracking.test_api import beat as api_beat

URL = "/api/exams/heartbeats/"


def beat(lesson, token, **over):
    """The API tests' beat, carrying the lesson page's beat token."""
    return api_beat(lesson, token=token, **over)


def post(body, content_type="application/json", client=None):
    client = client or Client(enforce_csrf_checks=True)
    return client.post(URL, data=json.dumps(body, allow_nan=True), content_type=content_type)


def token(user, lesson):
    return beat_token_for(user_id=user.pk, lesson_id=lesson.pk)


def test_token_round_trip(world):
    assert beat_token_check(token(world.alice, world.video)) == (world.alice.pk, world.video.pk)
    for bad in (None, 5, "", "x" * 500, "abc:def", signing.dumps([1, 2], salt="other")):
        assert beat_token_check(bad) is None


def test_a_beat_with_the_token_needs_no_cookie_and_no_csrf(world):
    body = beat(world.video, token(world.alice, world.video))
    response = post(body)
    assert response.status_code == 200, response.content
    assert set(response.json()) == {
        "coverage",
        "coverage_ratio",
        "engaged_seconds",
        "completed",
        "resume_position",
    }
    assert WatchSession.objects.get().user == world.alice
    assert "Set-Cookie" not in response.headers and not response.cookies


def test_send_beacon_text_plain_with_the_token(world):
    body = beat(world.reading, token(world.alice, world.reading))
    response = post(body, content_type="text/plain;charset=UTF-8")
    assert response.status_code == 200, response.content
    assert WatchSession.objects.get().lesson_id == world.reading.pk


def test_steady_state_beat_is_two_queries_and_no_session_or_user(world, django_db_setup):
    t = token(world.alice, world.video)
    session = str(uuid.uuid4())
    assert post(beat(world.video, t, session=session)).status_code == 200
    # a beat that credits nothing (hidden tab): the read and the write, nothing else
    body = beat(world.video, t, session=session, seq=1, event="tick", visible=False)
    body.update({"from": 0, "to": 15, "playing": True})
    with CaptureQueriesContext(connection) as queries:
        response = post(body)
    assert response.status_code == 200, response.content
    sqls = [q["sql"] for q in queries.captured_queries]
    assert not any("django_session" in s or '"accounts_' in s or "auth_user" in s for s in sqls)
    if connection.vendor == "postgresql":
        assert len(sqls) == 2, sqls


def test_forged_token_is_403(world):
    good = token(world.alice, world.video)
    forged = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for bad in (forged, "nonsense", signing.dumps([world.alice.pk, world.video.pk], salt="x"), 7):
        response = post(beat(world.video, bad))
        assert response.status_code == 403, bad
        assert response.json()["detail"]
    assert not WatchSession.objects.exists()


def test_expired_token_is_403(world, settings):
    settings.HEARTBEAT_TOKEN_MAX_AGE = -1
    response = post(beat(world.video, token(world.alice, world.video)))
    assert response.status_code == 403
    assert not WatchSession.objects.exists()


def test_token_for_lesson_a_used_for_lesson_b_is_403(world):
    response = post(beat(world.video, token(world.alice, world.reading)))
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not WatchSession.objects.exists()


def test_token_of_another_member_for_their_session_is_403(world):
    body = beat(world.video, token(world.alice, world.video))
    assert post(body).status_code == 200
    body.update(token=token(world.bob, world.video), seq=1)
    response = post(body)
    assert response.status_code == 403
    assert WatchBeat.objects.count() == 1


def test_token_for_a_lesson_outside_the_audience_is_404(world):
    response = post(beat(world.west_lesson, token(world.alice, world.west_lesson)))
    assert response.status_code == 404
    assert not WatchSession.objects.exists()


def test_token_of_an_inactive_member_opens_nothing(world):
    t = token(world.alice, world.video)
    world.alice.is_active = False
    world.alice.save()
    assert post(beat(world.video, t)).status_code == 403
    assert not WatchSession.objects.exists()


def test_without_token_the_session_cookie_path_still_needs_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    body = beat(world.video, None)
    body.pop("token")
    assert post(body, client=client).status_code == 403
    assert not WatchSession.objects.exists()


def test_get_is_not_allowed():
    assert Client().get(URL).status_code == 405


def test_lesson_page_renders_the_token(world, client):
    client.force_login(world.alice)
    for lesson in (world.video, world.reading):
        html = client.get(lesson.url).content.decode()
        # the player's figure, or the reading script (also for a video not yet encoded)
        marker = 'data-beat-token="' if 'data-beat-token="' in html else 'data-token="'
        assert marker in html, lesson
        rendered = html.split(marker, 1)[1].split('"', 1)[0]
        assert beat_token_check(rendered) == (world.alice.pk, lesson.pk)


# Every 400 case of the cookie path, through the token path (same rules, same messages).


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_400_with_the_token(world, name):
    body = beat(world.video, token(world.alice, world.video))
    BAD[name](body)
    response = post(body)
    if name == "unknown lesson":  # a token is for one lesson: another id is refused first
        assert response.status_code == 403
    else:
        assert response.status_code == 400, response.content
        assert response.json()["detail"]
    assert not WatchBeat.objects.exists()


def test_crediting_beat_writes_its_ledger_entry_in_the_same_statement(world):
    from exams.models import StudyHourEntry
    from exams.services import heartbeat_record

    from tests.exams.conftest import at
    from tests.exams.hours.test_ledger import set_rules

    set_rules(credit_course_completion=False, credit_engaged_time=True, minutes_per_hour=45)
    session = uuid.uuid4()

    def record(seq, t, **over):
        payload = {
            "session": session,
            "seq": seq,
            "event": "tick" if seq else "play",
            "playing": bool(seq),
            "visible": True,
            "from": (seq - 1) * 15.0 if seq else None,
            "to": seq * 15.0 if seq else None,
        }
        payload.update(over)
        return heartbeat_record(
            user=world.alice.pk, lesson_id=world.video.pk, payload=payload, now=at(t)
        )

    for seq in range(2):  # 15 s engaged: not yet 0.01 h (27 s) at 45 minutes per hour
        record(seq, seq * 15)
    with CaptureQueriesContext(connection) as queries:
        result = record(2, 30)  # 30 s engaged: the day's hours move to 0.01
    assert result.credited_engaged == 15
    entry = StudyHourEntry.objects.get(user=world.alice)
    last = WatchBeat.objects.get(session__uuid=session, seq=2)
    assert entry.key == f"beat:{last.pk}" and entry.beat_id == last.pk
    assert entry.lesson_id == world.video.pk
    if connection.vendor == "postgresql":
        assert len(queries.captured_queries) == 2, [q["sql"] for q in queries.captured_queries]
