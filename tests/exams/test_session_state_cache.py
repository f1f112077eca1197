"""The remembered session state: a beat that follows this process's own write skips the
read, and stays exact when the memory is stale (another process credited the member
meanwhile), when the beat is a replay or late, and inside a transaction.

These tests commit (``transaction=True``): the service remembers only committed writes.
"""

import uuid

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from exams.models import WatchBeat, WatchClaim, WatchSummary
from exams.services import heartbeat as heartbeat_service
from exams.services.audit import watch_log_replay
from exams.services.session_state_cache import SessionStateCache

from .test_heartbeat_service import CASES, B, play, send, ticks

pytestmark = pytest.mark.django_db(transaction=True)

STATES = heartbeat_service._STATES


@pytest.fixture(autouse=True)
def _fresh_memory():
    STATES.clear()
    yield
    STATES.clear()


def figures(world):
    """Coverage of the video and engaged seconds; and the member's claim must agree with
    the beats: the day's seconds are what the stored beats earned, no more."""
    video = WatchSummary.objects.get(user=world.alice, lesson=world.video)
    engaged = WatchSummary.objects.filter(user=world.alice).aggregate(s=Sum("engaged_seconds"))
    by_beats = WatchBeat.objects.filter(user=world.alice).aggregate(s=Sum("engaged_seconds"))
    claim = WatchClaim.objects.get(user=world.alice)
    assert claim.day_seconds == pytest.approx(by_beats["s"], abs=1e-9)
    assert claim.version == WatchBeat.objects.filter(user=world.alice).count()
    return video.coverage_seconds, engaged["s"]


@pytest.mark.parametrize("memory", ["off", "on", "stale", "locked"])
@pytest.mark.parametrize("name", list(CASES))
def test_adversarial_table_with_remembered_state(world, settings, monkeypatch, name, memory):
    """Every case earns the same credit whether the state is remembered, not remembered,
    or remembered but stale (as when the member's previous beat went to another server
    process: the memory is put back to what it was before that beat); and on PostgreSQL
    when every beat takes the locking path that follows lost races."""
    if memory == "off":
        settings.HEARTBEAT_STATE_CACHE_SIZE = 0
    if memory == "locked":
        monkeypatch.setattr(heartbeat_service, "OPTIMISTIC_ATTEMPTS", 0)
    script, coverage, engaged = CASES[name]
    tabs: dict = {}
    before: dict = {}
    for beat in script:
        session = tabs.get(beat.tab)
        if memory == "stale" and session in before and before[session] is not None:
            STATES.put(session, before[session])
        if session is not None:
            before[session] = STATES.get(session)
        send(world, world.alice, beat, tabs)
    assert figures(world) == (pytest.approx(coverage, abs=1e-9), pytest.approx(engaged, abs=1e-9))
    assert WatchBeat.objects.filter(user=world.alice).aggregate(s=Sum("engaged_seconds"))[
        "s"
    ] == pytest.approx(engaged, abs=1e-9)
    assert watch_log_replay(user=world.alice) == []
    if memory == "off":
        assert len(STATES) == 0


def test_a_following_beat_skips_the_read(world):
    tabs: dict = {}
    send(world, world.alice, play("a", 0), tabs)
    send(world, world.alice, B("a", 1, 15, 0, 15), tabs)
    with CaptureQueriesContext(connection) as queries:
        result = send(world, world.alice, B("a", 2, 30, 15, 30), tabs)
    sqls = [q["sql"] for q in queries.captured_queries]
    assert not any(s.lstrip().upper().startswith("SELECT") for s in sqls), sqls
    if connection.vendor == "postgresql":
        assert len(sqls) == 1, sqls  # the write alone
    assert (result.coverage, result.engaged_seconds) == (30, 30)


def test_a_replay_of_a_remembered_beat_reads_and_stores_nothing(world):
    tabs: dict = {}
    send(world, world.alice, play("a", 0), tabs)
    first = send(world, world.alice, B("a", 1, 15, 0, 15), tabs)
    again = send(world, world.alice, B("a", 1, 16, 0, 15), tabs)
    assert again.duplicate and not first.duplicate
    assert WatchBeat.objects.count() == 2
    assert figures(world) == (15, 15)


def test_another_tab_in_another_process_makes_the_memory_stale(world):
    """Tab b's beats move the member's claim version: tab a's remembered state no longer
    matches, its next write changes nothing and the beat is computed from a fresh read."""
    tabs: dict = {}
    send(world, world.alice, play("a", 0), tabs)
    send(world, world.alice, B("a", 1, 15, 0, 15), tabs)
    remembered_a = STATES.get(tabs["a"])
    send(world, world.alice, play("b", 20), tabs)
    send(world, world.alice, B("b", 1, 25, 300, 305), tabs)
    STATES.put(tabs["a"], remembered_a)  # as if b's beats had gone to another process
    result = send(world, world.alice, B("a", 2, 30, 15, 30), tabs)
    # a played 0–30 s of wall clock, b 20–25 s of it (one place at a time: 30 s engaged);
    # together they covered 0–30 and 300–305 of the video
    assert (result.coverage, result.engaged_seconds) == (35, 30)
    assert figures(world) == (35, 30)
    assert watch_log_replay(user=world.alice) == []


def test_inside_a_transaction_the_state_is_remembered_once_committed(world):
    from django.db import transaction

    tabs: dict = {}
    with transaction.atomic():
        send(world, world.alice, play("a", 0), tabs)
        for beat in ticks("a", 1, 0, 0, 3):
            send(world, world.alice, beat, tabs)
        assert len(STATES) == 0
    assert STATES.get(tabs["a"]).last_seq == 3
    with CaptureQueriesContext(connection) as queries:
        send(world, world.alice, B("a", 4, 60, 45, 60), tabs)
    assert not any(q["sql"].lstrip().upper().startswith("SELECT") for q in queries)
    assert figures(world) == (60, 60)


def test_a_rolled_back_beat_leaves_no_memory_behind(world):
    from django.db import transaction

    tabs: dict = {}
    send(world, world.alice, play("a", 0), tabs)
    send(world, world.alice, B("a", 1, 15, 0, 15), tabs)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        send(world, world.alice, B("a", 2, 30, 15, 30), tabs)
        raise Undo
    result = send(world, world.alice, B("a", 2, 31, 15, 30), tabs)
    assert not result.duplicate
    assert figures(world) == (30, 31)


def test_the_memory_is_bounded():
    size = 3
    cache = SessionStateCache(size=lambda: size, copy=dict)
    for key in "abcd":
        cache.put(key, {"k": key})
    assert len(cache) == 3 and cache.get("a") is None and cache.get("d") == {"k": "d"}
    copy = cache.get("d")
    copy["k"] = "changed"
    assert cache.get("d") == {"k": "d"}  # callers get a copy
    cache.forget("d")
    assert cache.get("d") is None
    size = 0
    cache.put("e", {})
    assert cache.get("e") is None


def test_a_session_uuid_is_not_a_key_to_another_members_memory(world):
    tabs: dict = {}
    send(world, world.alice, play("a", 0), tabs)
    send(world, world.alice, B("a", 1, 15, 0, 15), tabs)
    from exams.services import HeartbeatRefused

    with pytest.raises(HeartbeatRefused) as refused:
        send(world, world.bob, B("a", 2, 30, 15, 30), tabs)
    assert refused.value.status == 403
    assert WatchBeat.objects.count() == 2
    assert isinstance(tabs["a"], uuid.UUID)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="races need PostgreSQL")
def test_the_same_first_beat_twice_at_once_opens_one_session(world):
    import threading

    from django.db import connections

    from exams.models import WatchSession

    tabs = {"a": uuid.uuid4()}
    barrier = threading.Barrier(2)
    results, errors = [], []

    def send_first():
        try:
            barrier.wait()
            results.append(send(world, world.alice, play("a", 0), tabs))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send_first) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(r.duplicate for r in results) == [False, True]
    assert WatchSession.objects.filter(uuid=tabs["a"]).count() == 1
    assert WatchBeat.objects.count() == 1
