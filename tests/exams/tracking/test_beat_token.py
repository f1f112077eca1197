"""The beat token: what alone authenticates a heartbeat (``exams.tracking.beat_token``)."""

import pytest
from django.core import signing
from django.test import Client

from exams.tracking.beat_token import SALT, beat_token_check, beat_token_for
from exams.tracking.models import WatchBeat, WatchSession

from .test_api import beat, post, token


def test_token_round_trip(world):
    assert beat_token_check(token(world.alice, world.video)) == (world.alice.pk, world.video.pk)


@pytest.mark.parametrize(
    "bad",
    [
        None,
        5,
        "",
        "x" * 500,
        "abc:def",
        signing.dumps([1, 2], salt="other"),
        signing.dumps([1, 2]),
        signing.dumps([1], salt=SALT),
        signing.dumps([1, 2, 3], salt=SALT),
        signing.dumps(["1", 2], salt=SALT),
        signing.dumps([True, 2], salt=SALT),
        signing.dumps([0, 2], salt=SALT),
        signing.dumps({"user": 1, "lesson": 2}, salt=SALT),
    ],
)
def test_bad_tokens_are_none(bad):
    assert beat_token_check(bad) is None


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


def test_token_of_a_deleted_member_opens_nothing(world):
    t = beat_token_for(user_id=987_654, lesson_id=world.video.pk)
    assert post(beat(world.video, t)).status_code == 403
    assert not WatchSession.objects.exists()


def test_lesson_page_renders_the_token(world):
    client = Client()
    client.force_login(world.alice)
    for lesson in (world.video, world.reading):
        html = client.get(lesson.url).content.decode()
        # the player's figure, or the reading script (also for a video not yet encoded)
        marker = 'data-beat-token="' if 'data-beat-token="' in html else 'data-token="'
        assert marker in html, lesson
        rendered = html.split(marker, 1)[1].split('"', 1)[0]
        assert beat_token_check(rendered) == (world.alice.pk, lesson.pk)
