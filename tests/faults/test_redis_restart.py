"""Redis (the cache) killed and restarted while members watch: nothing fails, nothing is
lost or counted twice.

Production runs the cache and the Celery broker on Redis. A beat never touches either (it
is authenticated by its token, not by a cached session, and queues no task), and what
does use the cache (the media access answer, Wagtail's site root paths on every page)
treats a Redis that does not answer as a cache miss (``cms.settings.base.redis_cache``).
The tests drive a live server over real HTTP, from several members at once (one thread
each), against a private ``redis-server`` that they ``kill -9`` and start again.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from celery.signals import before_task_publish, task_prerun
from django.conf import settings
from django.test import Client

from cms.settings.base import redis_cache
from exams.hours.models import StudyHourEntry
from exams.tracking.beat_token import beat_token_for
from exams.tracking.models import WatchBeat, WatchSummary
from tests.exams.conftest import T0, make_course, make_video_lesson

BEAT_URL = "/api/exams/heartbeats/"
INTERVAL = 15  # the player's cadence (HEARTBEAT_INTERVAL_SECONDS)
ROUNDS = 8
OUTAGE = range(4, 7)  # Redis is down while rounds 4, 5 and 6 are sent


def _post(base: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}{BEAT_URL}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, {"raw": refused.read()[:300].decode(errors="replace")}


def _fetch(base: str, path: str, cookie: str) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, b""


def _get(base: str, path: str, cookie: str) -> int:
    return _fetch(base, path, cookie)[0]


class Viewer:
    """One member's page load of the lesson, beating like the player: ``play`` first, then a
    tick every 15 s with the 15 s just played; a beat that failed keeps its seq and is
    sent again later (static_src/js/player.js)."""

    def __init__(self, base: str, user, lesson) -> None:
        self.base = base
        self.user = user
        self.lesson = lesson
        self.token = beat_token_for(user_id=user.pk, lesson_id=lesson.pk)
        self.session = str(uuid.uuid4())
        self.retry: list[dict] = []
        self.sent: dict[int, dict] = {}
        self.statuses: list[int] = []

    def body(self, seq: int) -> dict:
        played = None if seq == 0 else (INTERVAL * (seq - 1), INTERVAL * seq)
        return {
            "token": self.token,
            "lesson": self.lesson.pk,
            "session": self.session,
            "seq": seq,
            "from": played[0] if played else None,
            "to": played[1] if played else None,
            "rate": 1,
            "event": "play" if seq == 0 else "tick",
            "position": played[1] if played else 0,
            "playing": seq > 0,
            "visible": True,
            "client_time": None,
        }

    def send(self, body: dict) -> None:
        status, answer = _post(self.base, body)
        self.statuses.append(status)
        assert status != 500, answer
        if status >= 500 or status in (409, 429):
            self.retry.append(body)  # as the player does: the same seq, later
        else:
            assert status == 200, (status, answer)
            self.sent[body["seq"]] = answer

    def beat(self, seq: int) -> None:
        queued, self.retry = self.retry, []
        for body in queued:
            self.send(body)
        self.send(self.body(seq))


def _figures(user, lesson) -> dict:
    summary = WatchSummary.objects.get(user=user, lesson=lesson)
    hours = StudyHourEntry.objects.filter(user=user, superseded_by=None)
    return {
        "coverage": summary.coverage_seconds,
        "engaged": summary.engaged_seconds,
        "intervals": summary.intervals,
        "beats": WatchBeat.objects.filter(user=user).count(),
        "hours": sorted((str(e.date), str(e.hours), e.source) for e in hours),
    }


@pytest.fixture
def redis_cache_settings(settings, private_redis):
    """The production cache set-up, on the private Redis server."""
    settings.CACHES = {"default": redis_cache(private_redis.url)}
    return private_redis


@pytest.mark.django_db(transaction=True)
def test_beats_while_redis_restarts_credit_exactly_a_clean_run(
    live_server, redis_cache_settings, org, member_factory
):
    # given a video lesson, three members watching it while Redis restarts, three who
    # watched it the same way on a quiet day (the clean run), and their lesson pages
    redis = redis_cache_settings
    course = make_course()
    lesson = make_video_lesson(course, duration=600.0)
    faulted = [member_factory(org.branch_a, username=f"viewer{i}") for i in range(3)]
    clean = [member_factory(org.branch_b, username=f"quiet{i}") for i in range(3)]
    cookies = {}
    for user in faulted:
        client = Client()
        client.force_login(user)
        cookies[user.pk] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    base = live_server.url
    page = lesson.url

    def run(viewers, *, outage: bool, clock) -> dict[int, list[int]]:
        pages: dict[int, list[int]] = {}
        with ThreadPoolExecutor(len(viewers)) as pool:
            for seq in range(ROUNDS + 1):
                if outage and seq == OUTAGE.start:
                    redis.kill()
                if outage and seq == OUTAGE.stop:
                    redis.start()
                list(pool.map(lambda v, s=seq: v.beat(s), viewers))
                if outage:
                    pages[seq] = list(
                        pool.map(lambda v: _get(base, page, cookies[v.user.pk]), viewers)
                    )
                clock.shift(timedelta(seconds=INTERVAL))
        return pages

    # when the clean run's members watch …
    with time_machine.travel(T0, tick=False) as clock:
        quiet = [Viewer(base, user, lesson) for user in clean]
        run(quiet, outage=False, clock=clock)
    # … and, an hour later, the others watch the same way while Redis is killed (-9)
    # before round 4 and started again (empty) before round 7 (noting every task sent:
    # in production the broker is that Redis too)
    tasks: list[str] = []

    def note_task(sender=None, **kwargs) -> None:
        tasks.append(str(sender))

    task_prerun.connect(note_task, weak=False)
    before_task_publish.connect(note_task, weak=False)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False) as clock:
        viewers = [Viewer(base, user, lesson) for user in faulted]
        pages = run(viewers, outage=True, clock=clock)
        # then the player's retry of every beat it sent during the outage (as if the
        # answers had been lost on the way): all replays, answered with the same figures
        for viewer in viewers:
            for seq in OUTAGE:
                status, answer = _post(base, viewer.body(seq))
                assert status == 200, answer
                assert answer["engaged_seconds"] == viewer.sent[ROUNDS]["engaged_seconds"]

    task_prerun.disconnect(note_task)
    before_task_publish.disconnect(note_task)

    # then no request failed and no task was sent: beats and lesson pages were answered
    # during the outage …
    assert tasks == []
    for viewer in viewers:
        assert set(viewer.statuses) == {200}, viewer.statuses
        assert not viewer.retry
    assert {status for statuses in pages.values() for status in statuses} == {200}, pages
    # … and every member has exactly the credit of the clean run: each beat stored once
    for user, twin in zip(faulted, clean, strict=True):
        got, expected = _figures(user, lesson), _figures(twin, lesson)
        assert got == expected
        assert got["beats"] == ROUNDS + 1
        assert got["engaged"] == pytest.approx(ROUNDS * INTERVAL)
        assert got["coverage"] == pytest.approx(ROUNDS * INTERVAL)


@pytest.mark.ffmpeg
@pytest.mark.django_db(transaction=True)
def test_media_is_served_and_still_scoped_while_redis_is_down(
    live_server, redis_cache_settings, make_video, clips, org, member_factory
):
    # given a ready lecture in a course of branch A, its member and a member of branch B
    from media_pipeline import services
    from media_pipeline.selectors import video_playback
    from tests.courses.factories import make_course as make_course_for
    from tests.courses.factories import make_lesson
    from tests.media_pipeline.conftest import ensure_root_collection

    ensure_root_collection()
    redis = redis_cache_settings
    video = make_video(clips.v240)
    services.video_transcode(video_id=video.pk)
    video.refresh_from_db()
    course = make_course_for(audience=[org.branch_a])
    make_lesson(course, body=[("lecture_video", {"video": video, "caption": ""})])
    member = member_factory(org.branch_a, username="watcher")
    outsider = member_factory(org.branch_b, username="outsider")
    base = live_server.url

    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        return (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )

    mine = video_playback(user=member, video=video).master_url
    theirs = video_playback(user=outsider, video=video).master_url
    rung = mine.replace("master.m3u8", "240p/index.m3u8")
    status, playlist = _fetch(base, rung, cookie(member))  # the access answer is now cached
    assert status == 200
    first = next(line for line in playlist.decode().splitlines() if not line.startswith("#"))
    segment = mine.replace("master.m3u8", f"240p/{first}")

    # when Redis is killed (-9), and later started again, empty
    redis.kill()
    during = {
        "master": _get(base, mine, cookie(member)),
        "segment": _get(base, segment, cookie(member)),
        "outsider": _get(base, theirs, cookie(outsider)),
    }
    redis.start()
    after = {
        "segment": _get(base, segment, cookie(member)),
        "outsider": _get(base, theirs, cookie(outsider)),
    }

    # then the member's media is served throughout (the access is checked in the
    # database instead of the cache), and the member of another branch is still refused
    assert during == {"master": 200, "segment": 200, "outsider": 403}
    assert after == {"segment": 200, "outsider": 403}
