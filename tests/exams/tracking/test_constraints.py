"""What the database itself guarantees about the watch log, whatever the code above does."""

import uuid

import pytest
from django.db import IntegrityError, transaction

from exams.tracking.models import WatchBeat, WatchSession, WatchSummary

from ..conftest import at


@pytest.fixture
def session(world):
    summary = WatchSummary.objects.create(user=world.alice, lesson=world.video, duration=600)
    return WatchSession.objects.create(
        uuid=uuid.uuid4(),
        user=world.alice,
        lesson=world.video,
        summary=summary,
        duration=600,
        started_at=at(0),
        last_beat_at=at(0),
    )


def _beat(session, seq, **fields):
    values = {"event": "tick", "playing": True, "visible": True, "received_at": at(seq)}
    return WatchBeat.objects.create(session=session, user=session.user, seq=seq, **values | fields)


def test_a_seq_is_stored_once_per_session(session):
    _beat(session, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        _beat(session, 1, from_seconds=0, to_seconds=15)
    assert WatchBeat.objects.filter(session=session).count() == 1


def test_a_beat_interval_is_never_inverted(session):
    with pytest.raises(IntegrityError), transaction.atomic():
        _beat(session, 1, from_seconds=20, to_seconds=5)


def test_engaged_seconds_are_never_negative(session):
    with pytest.raises(IntegrityError), transaction.atomic():
        _beat(session, 1, engaged_seconds=-1)


def test_one_summary_per_member_and_lesson(session, world):
    with pytest.raises(IntegrityError), transaction.atomic():
        WatchSummary.objects.create(user=world.alice, lesson=world.video)


def test_a_summary_never_goes_negative(session):
    with pytest.raises(IntegrityError), transaction.atomic():
        WatchSummary.objects.filter(pk=session.summary_id).update(coverage_seconds=-1)
