"""Writes of the watch log: one beat in, the member's credit out; player preferences.

One straight path for a beat (``heartbeat_record``), in one transaction:

1. lock the member's claim row (``store.claim_lock``) — every beat of a member, from any
   tab, device, lesson or server process, waits here for the one before it, so the
   member-wide budget is kept by plain arithmetic, not by races;
2. read the session and its summary (and whether this seq is already stored: a replay
   is answered from here and writes nothing);
3. check that the member may be credited for the lesson now (active, lesson live and
   visible, not locked by course order) — on every beat, not only the first;
4. ``crediting.beat_outcome``: a pure function of what the server saw returns every
   change;
5. store them (beat, session, summary, claim: the SQL of ``store``), announce the engaged seconds
   (``signals.engaged_time_credited``: the hours ledger appends its entry) and hand a
   completed lesson to courses — all in the same transaction, so a credit is never half
   recorded.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.credit_access import lesson_credit_refusal
from courses.models import LessonPage
from courses.services import lesson_complete

from . import crediting, store
from .conf import TrackingSettings, tracking_settings
from .models import MemberPreference, WatchBeat, WatchSession, WatchSummary
from .signals import engaged_time_credited


class HeartbeatRefused(Exception):
    """The beat is refused; ``status`` is the HTTP status the API answers with."""

    def __init__(self, detail: str, *, status: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class BeatInput:
    """A validated beat (``exams.tracking.validation.beat_validate``)."""

    session: uuid_module.UUID
    seq: int
    event: str
    playing: bool
    visible: bool
    from_seconds: float | None = None
    to_seconds: float | None = None
    rate: float = 1.0
    position: float | None = None
    client_time: int | None = None

    @property
    def played(self) -> crediting.Interval | None:
        if self.from_seconds is None or self.to_seconds is None:
            return None
        return (self.from_seconds, self.to_seconds)


@dataclass(frozen=True)
class HeartbeatResult:
    coverage: float
    coverage_ratio: float
    engaged_seconds: float
    completed: bool
    resume_position: float
    duplicate: bool = False
    credited_coverage: float = 0.0
    credited_engaged: float = 0.0


def _result(session: store.SessionState, **extra) -> HeartbeatResult:
    """The member's current figures for the lesson, as a beat that changed nothing sees."""
    duration = session.duration
    return HeartbeatResult(
        coverage=session.coverage_seconds,
        coverage_ratio=min(1.0, session.coverage_seconds / duration) if duration > 0 else 0.0,
        engaged_seconds=session.engaged_seconds,
        completed=session.completed_at is not None,
        resume_position=session.last_position,
        **extra,
    )


def _beat_time(beat: BeatInput, now: datetime | None, conf: TrackingSettings) -> datetime:
    if now is not None:
        return now
    if conf.HEARTBEAT_TRUST_CLIENT_TIME and beat.client_time is not None:
        return datetime.fromtimestamp(beat.client_time / 1000, tz=UTC)
    return timezone.now()


def _session_open(
    *, user_id: int, lesson_id: int, beat: BeatInput, now: datetime
) -> store.SessionState:
    """A page's first beat: the session (and the member's summary of the lesson)."""
    lesson = LessonPage.objects.get(pk=lesson_id)
    video = lesson.lecture_video  # a page's first beat only: parsing the body is fine
    duration = float(video.duration or 0) if video is not None else 0.0
    summary, _created = WatchSummary.objects.get_or_create(
        user_id=user_id, lesson=lesson, defaults={"duration": duration}
    )
    session = WatchSession.objects.create(
        uuid=beat.session,
        user_id=user_id,
        lesson=lesson,
        summary=summary,
        duration=duration,
        is_reading=lesson.is_reading_lesson,
        estimated_seconds=float(lesson.estimated_minutes or 0) * 60,
        started_at=now,
        last_beat_at=now,
        last_seq=beat.seq,
    )
    return store.SessionState(
        pk=session.pk,
        user_id=user_id,
        lesson_id=lesson_id,
        summary_id=summary.pk,
        duration=duration,
        is_reading=session.is_reading,
        estimated_seconds=session.estimated_seconds,
        last_beat_at=now,
        last_seq=beat.seq,
        beats=0,
        intervals=summary.intervals,
        coverage_seconds=summary.coverage_seconds,
        engaged_seconds=summary.engaged_seconds,
        last_position=summary.last_position,
        completed_at=summary.completed_at,
        replayed=False,
    )


def heartbeat_record(
    *, user_id: int, lesson_id: int, beat: BeatInput, now: datetime | None = None
) -> HeartbeatResult:
    """Record one beat of member ``user_id`` for lesson ``lesson_id`` and credit what it
    earns under the member-wide rules (``crediting.beat_outcome``).

    ``now`` is the server time of the beat (tests pass it; by default the clock is read
    once the member's claim is locked, so a member's beats are credited in the order of
    their server times).

    Raises ``HeartbeatRefused``: 400 for a session of another lesson, 403 for a session of
    another member, 403 for an inactive member, 404 for a lesson the member may not be
    credited for (not visible, unpublished, or locked by course order).
    """
    conf = tracking_settings()
    rules = conf.beat_rules()
    try:
        with transaction.atomic():
            claim = store.claim_lock(user_id)
            when = _beat_time(beat, now, conf)
            session = store.session_read(session_uuid=beat.session, seq=beat.seq)
            if session is not None:
                if session.user_id != user_id:
                    raise HeartbeatRefused(
                        _("This watch session belongs to someone else."), status=403
                    )
                if session.lesson_id != lesson_id:
                    raise HeartbeatRefused(
                        _("This watch session is for another lesson."), status=400
                    )
                if session.replayed:  # nothing credited; the current figures answered
                    return _result(session, duplicate=True)
            refusal = lesson_credit_refusal(user_id=user_id, lesson_id=lesson_id)
            if refusal is not None:
                status = 403 if refusal.code == "inactive" else 404
                raise HeartbeatRefused(refusal.message, status=status)
            first = session is None
            if first:
                session = _session_open(user_id=user_id, lesson_id=lesson_id, beat=beat, now=when)
            return _credit(
                session=session, claim=claim, beat=beat, when=when, first=first, rules=rules
            )
    except IntegrityError:
        # A beat racing a copy of itself (same session and seq) is answered as the replay
        # it is; anything else that collided is asked to come again.
        session = store.session_read(session_uuid=beat.session, seq=beat.seq)
        if session is None or session.user_id != user_id or not session.replayed:
            raise HeartbeatRefused(
                _("Too many simultaneous beats; try again."), status=409
            ) from None
        return _result(session, duplicate=True)


def _credit(
    *,
    session: store.SessionState,
    claim: store.Claim,
    beat: BeatInput,
    when: datetime,
    first: bool,
    rules: crediting.BeatRules,
) -> HeartbeatResult:
    outcome = crediting.beat_outcome(
        beat=crediting.Beat(
            now=when.timestamp(), played=beat.played, playing=beat.playing, visible=beat.visible
        ),
        last_beat_at=None if first else session.last_beat_at.timestamp(),
        lesson=crediting.Lesson(
            duration=session.duration,
            reading=session.is_reading,
            estimated_seconds=session.estimated_seconds,
        ),
        intervals=session.intervals,
        engaged_so_far=session.engaged_seconds,
        claimed=claim.claimed,
        rules=rules,
    )
    coverage = outcome.coverage
    gained_coverage = outcome.coverage_seconds - session.coverage_seconds
    newly_complete = session.completed_at is None and outcome.completes
    last_position = session.last_position
    if beat.position is not None:
        high = session.duration if session.duration > 0 else beat.position
        last_position = min(max(0.0, beat.position), high)
    day = timezone.localdate(when)
    day_before = claim.day_seconds if claim.day == day else 0.0
    after = store.Claim(
        claim.user_id, [list(i) for i in outcome.claimed], day, day_before + outcome.engaged
    )
    beat_id = store.beat_write(
        beat={
            "session_id": session.pk,
            "user_id": session.user_id,
            "seq": beat.seq,
            "from_seconds": beat.from_seconds,
            "to_seconds": beat.to_seconds,
            "rate": beat.rate,
            "event": beat.event,
            "playing": beat.playing,
            "visible": beat.visible,
            "position": beat.position,
            "client_time": beat.client_time,
            "received_at": when,
            "credited_from": coverage[0] if coverage else None,
            "credited_to": coverage[1] if coverage else None,
            "engaged_seconds": outcome.engaged,
        },
        session=session,
        claim=after,
        when=when,
        seq=beat.seq,
        intervals=[list(i) for i in outcome.intervals],
        coverage_seconds=outcome.coverage_seconds,
        engaged_seconds=outcome.engaged_seconds,
        last_position=last_position,
        completed_at=when if newly_complete else session.completed_at,
    )
    if outcome.engaged > 0:
        engaged_time_credited.send(
            sender=WatchBeat,
            user_id=session.user_id,
            beat_id=beat_id,
            lesson_id=session.lesson_id,
            day=day,
            seconds_before=day_before,
            seconds_after=after.day_seconds,
        )
    if newly_complete:  # in the same transaction: a completion is never half recorded
        _lesson_complete(session.user_id, session.lesson_id, when)
    duration = session.duration
    return HeartbeatResult(
        coverage=outcome.coverage_seconds,
        coverage_ratio=min(1.0, outcome.coverage_seconds / duration) if duration > 0 else 0.0,
        engaged_seconds=outcome.engaged_seconds,
        completed=newly_complete or session.completed_at is not None,
        resume_position=last_position,
        credited_coverage=gained_coverage,
        credited_engaged=outcome.engaged,
    )


def _lesson_complete(user_id: int, lesson_id: int, when: datetime) -> None:
    """Hand a lesson completed by its watch log to courses (lesson progress, course
    completion and, through ``courses.signals``, the course's hours)."""
    from django.contrib.auth import get_user_model

    user = get_user_model()._default_manager.get(pk=user_id)
    lesson_complete(user=user, lesson=LessonPage.objects.get(pk=lesson_id), when=when)


class LessonNotDone(Exception):
    """Marking a lesson done is refused; the message says why, for the member."""


def reading_lesson_done(*, user: AbstractBaseUser, lesson: LessonPage) -> bool:
    """Mark a reading lesson done, if the member has spent its estimated time on it (as
    their beats credited it). Returns whether it was done already.

    Raises ``LessonNotDone`` for a video lesson, a lesson the member may not be credited
    for (the same check as every beat), or too little time spent.
    """
    refusal = lesson_credit_refusal(user_id=user.pk, lesson_id=lesson.pk)
    if refusal is not None:
        raise LessonNotDone(refusal.message)
    if not lesson.is_reading_lesson:
        raise LessonNotDone(_("A video lesson is done when you have watched it."))
    summary = WatchSummary.objects.filter(user=user, lesson=lesson).first()
    if summary is not None and summary.completed_at is not None:
        return True
    engaged = summary.engaged_seconds if summary else 0.0
    rules = tracking_settings().beat_rules()
    lesson_facts = crediting.Lesson(
        duration=0.0, reading=True, estimated_seconds=float(lesson.estimated_minutes or 0) * 60
    )
    if not crediting.is_complete(lesson=lesson_facts, coverage=0.0, engaged=engaged, rules=rules):
        needed = max(1, round(lesson_facts.estimated_seconds / 60))
        spent = int(engaged // 60)
        raise LessonNotDone(
            _(
                "This reading takes about %(needed)d minutes; you have spent %(spent)d. "
                "Keep reading: the lesson is done once its time is reached."
            )
            % {"needed": needed, "spent": spent}
        )
    # Enough time but the last beat has not completed it yet (e.g. the estimate was
    # lowered since): complete it now, in the watch log first.
    with transaction.atomic():
        store.claim_lock(user.pk)  # the member's beats write this summary too: one at a time
        now = timezone.now()
        WatchSummary.objects.filter(pk=summary.pk, completed_at=None).update(completed_at=now)
        lesson_complete(user=user, lesson=lesson, when=now)
    return False


def preferences_update(*, user: AbstractBaseUser, data_saver: bool) -> MemberPreference:
    preference, _created = MemberPreference.objects.update_or_create(
        user=user, defaults={"data_saver": data_saver}
    )
    return preference
