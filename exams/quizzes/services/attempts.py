"""Attempts: start (or resume), autosave, page moves, submit, the overdue closer, and the
member's quiz result with what follows from it (lesson completion, study hours).

Every write to an attempt locks its row first (``select_for_update``), so that a save, a
submit, a page move and the overdue task serialise: an attempt is graded exactly once.
The server's clock decides everything; the client's clock is never read.

Refusals raise ``AttemptRefused`` (a translated message, a code and an HTTP status); an
attempt that is not the member's raises ``Http404`` (``selectors.attempt_of_member``).
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.credit_access import lesson_credit_refusal
from courses.models import LessonPage
from courses.services import lesson_complete

from .. import grading, store
from ..bank import category_descendant_ids
from ..conf import quiz_setting
from ..models import (
    Attempt,
    AttemptQuestion,
    Question,
    QuizLessonPage,
    QuizResult,
    QuizSlot,
)
from ..presentation import option_order_for
from ..signals import quiz_result_changed

SCORE = Decimal("0.001")


class AttemptRefused(Exception):
    """A member's request about an attempt that the rules refuse.

    ``code``: "not_open" | "inactive" | "locked" | "closed" | "not_yet_open" |
    "no_attempts_left" | "no_questions" | "time_up" | "finished" | "wrong_page" |
    "invalid"; ``status``: the HTTP status an API answers with; ``message``: translated,
    for the member.
    """

    def __init__(self, message: str, *, code: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class AnswerInput:
    """One answer of a save: the question's position, the response (a JSON object in the
    shape ``spec`` documents) and the client's sequence number for that question
    (from 1, growing with each change: a number not above the stored one is stale)."""

    position: int
    response: Any
    seq: int


@dataclass(frozen=True)
class SaveOutcome:
    saved: tuple[int, ...]
    stale: tuple[int, ...]
    deadline: datetime | None
    remaining_seconds: int | None


# --- helpers ------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def remaining_seconds(*, deadline: datetime | None, now: datetime) -> int | None:
    """Whole seconds left until ``deadline`` (never below 0); None without a deadline."""
    if deadline is None:
        return None
    return max(0, int((deadline - now).total_seconds()))


def _grace() -> timedelta:
    return timedelta(seconds=quiz_setting("SUBMIT_GRACE_SECONDS"))


def attempt_overdue(*, attempt: Attempt, now: datetime) -> str | None:
    """How an in-progress attempt must be closed now (``Attempt.Closed``), or None."""
    return overdue_reason(deadline=attempt.deadline, closes_at=attempt.quiz.closes_at, now=now)


def overdue_reason(
    *, deadline: datetime | None, closes_at: datetime | None, now: datetime
) -> str | None:
    """``Attempt.Closed.TIMEOUT`` past the deadline plus the grace, ``CLOSED`` past the
    quiz's close plus the grace, else None."""
    grace = _grace()
    if deadline is not None and now > deadline + grace:
        return Attempt.Closed.TIMEOUT
    if closes_at is not None and now > closes_at + grace:
        return Attempt.Closed.CLOSED
    return None


def _attempt_id_checked(attempt_id: Any) -> int:
    if not isinstance(attempt_id, int) or isinstance(attempt_id, bool):
        raise Http404(_("No such attempt."))
    return attempt_id


def _locked_attempt(*, user: AbstractBaseUser, attempt_id: Any) -> Attempt:
    """The member's attempt, its row locked (the quiz's rows are not); Http404 if it is
    not theirs or does not exist."""
    attempt = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("quiz")
        .filter(pk=_attempt_id_checked(attempt_id), user_id=user.pk)
        .first()
    )
    if attempt is None:
        raise Http404(_("No such attempt."))
    return attempt


def _refuse_finished() -> AttemptRefused:
    return AttemptRefused(_("This attempt is already finished."), code="finished", status=409)


def _refuse_overdue(closed_by: str) -> AttemptRefused:
    if closed_by == Attempt.Closed.CLOSED:
        return AttemptRefused(
            _("The quiz has closed; your attempt was submitted with the answers saved."),
            code="closed",
            status=409,
        )
    return AttemptRefused(
        _("Time is up; your attempt was submitted with the answers saved in time."),
        code="time_up",
        status=409,
    )


def _invalid(message: str) -> AttemptRefused:
    return AttemptRefused(message, code="invalid", status=400)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- start --------------------------------------------------------------------------


def _credit_refusal(*, user: AbstractBaseUser, quiz_id: int) -> AttemptRefused | None:
    refusal = lesson_credit_refusal(
        user_id=user.pk, lesson_id=quiz_id, completion=LessonPage.Completion.QUIZ
    )
    if refusal is None:
        return None
    if refusal.code == "inactive":
        return AttemptRefused(refusal.message, code="inactive", status=403)
    if refusal.code == "locked":
        return AttemptRefused(refusal.message, code="locked", status=409)
    return AttemptRefused(refusal.message, code="not_open", status=404)


def _timing_refusal(*, quiz: QuizLessonPage, now: datetime) -> AttemptRefused | None:
    if quiz.opens_at is not None and now < quiz.opens_at:
        return AttemptRefused(
            _("This quiz opens on %(when)s.")
            % {"when": timezone.localtime(quiz.opens_at).strftime("%Y-%m-%d %H:%M")},
            code="not_yet_open",
            status=409,
        )
    if quiz.closes_at is not None and now >= quiz.closes_at:
        return AttemptRefused(_("This quiz has closed."), code="closed", status=409)
    return None


def _attempts_refusal(*, quiz: QuizLessonPage, used: int) -> AttemptRefused | None:
    if quiz.attempts_allowed and used >= quiz.attempts_allowed:
        return AttemptRefused(
            _("You have used all %(count)d attempts of this quiz.")
            % {"count": quiz.attempts_allowed},
            code="no_attempts_left",
            status=409,
        )
    return None


def attempt_start_refusal(
    *, user: AbstractBaseUser, quiz: QuizLessonPage, now: datetime | None = None
) -> AttemptRefused | None:
    """Why ``user`` may not start a new attempt of ``quiz`` now (None if they may).

    Does not look at an attempt in progress (which the member may always resume while
    its time lasts)."""
    now = _now(now)
    refusal = _credit_refusal(user=user, quiz_id=quiz.pk) or _timing_refusal(quiz=quiz, now=now)
    if refusal is not None:
        return refusal
    used = Attempt.objects.filter(quiz=quiz, user_id=user.pk).exclude(
        state=Attempt.State.IN_PROGRESS
    )
    return _attempts_refusal(quiz=quiz, used=used.count())


@dataclass(frozen=True)
class _Drawn:
    question: Question
    mark: Decimal


def _no_questions(message: str) -> AttemptRefused:
    return AttemptRefused(message, code="no_questions", status=409)


def questions_draw(*, quiz: QuizLessonPage, rng: random.Random) -> list[_Drawn]:
    """The questions of a new attempt, in slot order (before any shuffle): each fixed
    slot's question, then each random slot's ``count`` questions drawn from its category
    (and its subcategories when set). Archived questions and questions without a version
    are never drawn, and no question twice. Raises ``AttemptRefused`` ("no_questions")
    when a category holds too few questions: the trainer must fix the quiz."""
    slots = list(
        QuizSlot.objects.filter(quiz=quiz)
        .select_related("question__current_version", "category")
        .order_by("sort_order", "pk")
    )
    fixed_ids = {
        slot.question_id
        for slot in slots
        if slot.question_id is not None
        and not slot.question.archived
        and slot.question.current_version_id is not None
    }
    used: set[int] = set(fixed_ids)
    drawn: list[_Drawn] = []
    for slot in slots:
        if slot.question_id is not None:
            question = slot.question
            if question.pk not in fixed_ids or any(d.question.pk == question.pk for d in drawn):
                continue
            drawn.append(_Drawn(question, _mark(slot, question)))
            continue
        if slot.category_id is None:
            continue
        if slot.include_subcategories:
            category_ids = category_descendant_ids(category=slot.category)
        else:
            category_ids = [slot.category_id]
        candidates = sorted(
            Question.objects.filter(
                category_id__in=category_ids, archived=False, current_version__isnull=False
            )
            .exclude(pk__in=used)
            .values_list("pk", flat=True)
        )
        if len(candidates) < slot.count:
            raise _no_questions(
                _(
                    "This quiz cannot start: it draws %(count)d questions from "
                    "“%(category)s”, which has only %(available)d left to draw. "
                    "Please tell the trainer."
                )
                % {
                    "count": slot.count,
                    "category": slot.category.path,
                    "available": len(candidates),
                }
            )
        picked = rng.sample(candidates, slot.count)
        used.update(picked)
        questions = Question.objects.select_related("current_version").in_bulk(picked)
        drawn += [_Drawn(questions[pk], _mark(slot, questions[pk])) for pk in picked]
    if not drawn:
        raise _no_questions(_("This quiz has no questions yet. Please tell the trainer."))
    if sum(d.mark for d in drawn) <= 0:
        raise _no_questions(_("This quiz's questions carry no marks. Please tell the trainer."))
    return drawn


def _mark(slot: QuizSlot, question: Question) -> Decimal:
    if slot.mark is not None:
        return Decimal(slot.mark)
    return question.current_version.spec_obj.default_mark


def attempt_deadline(*, quiz: QuizLessonPage, started_at: datetime) -> datetime | None:
    """The start plus the time limit, never after the quiz closes; None if neither."""
    deadline = None
    if quiz.time_limit_minutes:
        deadline = started_at + timedelta(minutes=quiz.time_limit_minutes)
    if quiz.closes_at is not None and (deadline is None or quiz.closes_at < deadline):
        deadline = quiz.closes_at
    return deadline


def _in_progress(*, quiz_id: int, user_id: int) -> Attempt | None:
    return (
        Attempt.objects.select_related("quiz")
        .filter(quiz_id=quiz_id, user_id=user_id, state=Attempt.State.IN_PROGRESS)
        .first()
    )


def attempt_start(
    *, user: AbstractBaseUser, quiz_id: int, now: datetime | None = None
) -> tuple[Attempt, bool]:
    """Resume the member's attempt in progress (``created`` False) or start one.

    A new attempt draws its questions (``questions_draw``), shuffles them and their
    options by the quiz's settings with a server-side random generator, paginates them
    and fixes the deadline (``attempt_deadline``). An attempt in progress whose time ran
    out is closed first. Two concurrent starts (two tabs) return the same attempt: the
    member's row is locked while the attempt is made, and the database allows one
    attempt in progress per member and quiz.
    """
    now = _now(now)
    if not _is_int(quiz_id):
        raise AttemptRefused(_("This lesson is not open to you."), code="not_open", status=404)
    quiz = QuizLessonPage.objects.filter(pk=quiz_id).first()
    if quiz is None:
        raise AttemptRefused(_("This lesson is not open to you."), code="not_open", status=404)
    refusal = _credit_refusal(user=user, quiz_id=quiz.pk)
    if refusal is not None:
        raise refusal
    current = _in_progress(quiz_id=quiz.pk, user_id=user.pk)
    if current is not None:
        if attempt_overdue(attempt=current, now=now) is None:
            return current, False
        _attempt_close_if_overdue(attempt_id=current.pk, now=now)
    for _try in range(3):
        try:
            return _attempt_create(user=user, quiz=quiz, now=now)
        except IntegrityError:
            current = _in_progress(quiz_id=quiz.pk, user_id=user.pk)
            if current is not None:
                return current, False
    raise AttemptRefused(  # pragma: no cover - three lost races in a row
        _("The attempt could not be started; please try again."), code="invalid", status=409
    )


@transaction.atomic
def _attempt_create(
    *, user: AbstractBaseUser, quiz: QuizLessonPage, now: datetime
) -> tuple[Attempt, bool]:
    # The member's row is the lock that orders their starts (any tab, any device).
    get_user_model()._default_manager.select_for_update().filter(pk=user.pk).first()
    current = _in_progress(quiz_id=quiz.pk, user_id=user.pk)
    if current is not None:
        return current, False
    refusal = _timing_refusal(quiz=quiz, now=now)
    if refusal is not None:
        raise refusal
    attempts = Attempt.objects.filter(quiz=quiz, user_id=user.pk)
    refusal = _attempts_refusal(quiz=quiz, used=attempts.count())
    if refusal is not None:
        raise refusal
    rng = random.Random(secrets.randbits(64))
    drawn = questions_draw(quiz=quiz, rng=rng)
    if quiz.shuffle_questions:
        rng.shuffle(drawn)
    per_page = quiz.questions_per_page or len(drawn)
    number = (attempts.aggregate(n=Max("number"))["n"] or 0) + 1
    with transaction.atomic():  # a savepoint: a lost race leaves the outer block usable
        attempt = Attempt.objects.create(
            quiz=quiz,
            user_id=user.pk,
            number=number,
            state=Attempt.State.IN_PROGRESS,
            started_at=now,
            deadline=attempt_deadline(quiz=quiz, started_at=now),
            max_score=sum((d.mark for d in drawn), Decimal(0)),
        )
    AttemptQuestion.objects.bulk_create(
        [
            AttemptQuestion(
                attempt=attempt,
                position=index + 1,
                page=index // per_page,
                version_id=d.question.current_version_id,
                mark=d.mark,
                option_order=option_order_for(
                    d.question.current_version.spec_obj, shuffle=quiz.shuffle_options, rng=rng
                ),
            )
            for index, d in enumerate(drawn)
        ]
    )
    return attempt, True


# --- save and navigation ---------------------------------------------------------------


def _checked_answers(answers: Sequence[AnswerInput]) -> list[AnswerInput]:
    if not isinstance(answers, list | tuple):
        raise _invalid(_("Send the answers as a list."))
    if len(answers) > quiz_setting("ANSWERS_PER_SAVE_MAX"):
        raise _invalid(
            _("Send at most %(count)d answers at once.")
            % {"count": quiz_setting("ANSWERS_PER_SAVE_MAX")}
        )
    limit = quiz_setting("RESPONSE_MAX_BYTES")
    for answer in answers:
        if not isinstance(answer, AnswerInput):
            raise _invalid(_("An answer is not in the expected form."))
        if not _is_int(answer.position) or not _is_int(answer.seq) or answer.seq < 0:
            raise _invalid(_("An answer needs a question position and a sequence number."))
        if not isinstance(answer.response, dict):
            raise _invalid(_("An answer's response must be a JSON object."))
        try:
            size = len(json.dumps(answer.response, ensure_ascii=False).encode())
        except (TypeError, ValueError, RecursionError):
            raise _invalid(_("An answer's response must be a JSON object.")) from None
        if size > limit:
            raise _invalid(
                _("An answer is too large (at most %(bytes)d bytes).") % {"bytes": limit}
            )
    return list(answers)


def _close_then_refuse(*, attempt_id: int, closed_by: str, now: datetime) -> AttemptRefused:
    _attempt_close_if_overdue(attempt_id=attempt_id, now=now)
    return _refuse_overdue(closed_by)


def responses_save(
    *,
    user: AbstractBaseUser,
    attempt_id: int,
    answers: Sequence[AnswerInput],
    now: datetime | None = None,
) -> SaveOutcome:
    """Store the member's latest responses (autosave). Idempotent: an answer whose
    ``seq`` is not above the stored one is stale and ignored (an offline queue replaying
    old answers never overwrites newer ones). All or nothing: one bad answer refuses the
    whole save. After the deadline plus the grace, the attempt is submitted as it stands
    and the save refused ("time_up")."""
    now = _now(now)
    answers = _checked_answers(answers)
    overdue = None
    attempt_id = _attempt_id_checked(attempt_id)
    with transaction.atomic():
        attempt = store.attempt_lock_for_save(attempt_id=attempt_id, user_id=user.pk)
        if attempt is None:
            raise Http404(_("No such attempt."))
        if attempt.state != Attempt.State.IN_PROGRESS:
            raise _refuse_finished()
        overdue = overdue_reason(deadline=attempt.deadline, closes_at=attempt.closes_at, now=now)
        if overdue is None:
            return _responses_store(attempt=attempt, answers=answers, now=now)
    raise _close_then_refuse(attempt_id=attempt.pk, closed_by=overdue, now=now)


def _responses_store(
    *, attempt: store.SaveState, answers: list[AnswerInput], now: datetime
) -> SaveOutcome:
    """Each answer is one conditional update (newer ``seq``, and with sequential navigation
    a page not behind the member); only an answer that changed nothing is looked at again,
    to tell a stale replay from a wrong position or page. Inside the caller's transaction,
    so a refusal undoes the answers stored before it."""
    min_page = attempt.current_page if attempt.sequential else 0
    saved: list[int] = []
    stale: list[int] = []
    for answer in answers:
        if store.response_store(
            attempt_id=attempt.pk,
            position=answer.position,
            response=answer.response,
            seq=answer.seq,
            now=now,
            min_page=min_page,
        ):
            saved.append(answer.position)
            continue
        row = (
            AttemptQuestion.objects.filter(attempt_id=attempt.pk, position=answer.position)
            .values("page")
            .first()
        )
        if row is None:
            raise _invalid(_("This attempt has no question at that position."))
        if row["page"] < min_page:
            raise AttemptRefused(
                _("This quiz does not let you go back to earlier pages."),
                code="wrong_page",
                status=409,
            )
        stale.append(answer.position)
    stale = [p for p in stale if p not in saved]
    return SaveOutcome(
        saved=tuple(sorted(set(saved))),
        stale=tuple(sorted(set(stale))),
        deadline=attempt.deadline,
        remaining_seconds=remaining_seconds(deadline=attempt.deadline, now=now),
    )


def attempt_page_count(*, attempt: Attempt) -> int:
    last = AttemptQuestion.objects.filter(attempt=attempt).aggregate(p=Max("page"))["p"]
    return (last or 0) + 1


def attempt_goto_page(
    *, user: AbstractBaseUser, attempt_id: int, page: int, now: datetime | None = None
) -> Attempt:
    """Move the member to ``page`` (from 0); remembered for resuming. With sequential
    navigation there is no going back ("wrong_page")."""
    now = _now(now)
    overdue = None
    with transaction.atomic():
        attempt = _locked_attempt(user=user, attempt_id=attempt_id)
        if attempt.state != Attempt.State.IN_PROGRESS:
            raise _refuse_finished()
        overdue = attempt_overdue(attempt=attempt, now=now)
        if overdue is None:
            if not _is_int(page) or not 0 <= page < attempt_page_count(attempt=attempt):
                raise _invalid(_("This attempt has no such page."))
            if attempt.quiz.navigation == "sequential" and page < attempt.current_page:
                raise AttemptRefused(
                    _("This quiz does not let you go back to earlier pages."),
                    code="wrong_page",
                    status=409,
                )
            if page != attempt.current_page:
                attempt.current_page = page
                attempt.save(update_fields=["current_page"])
            return attempt
    raise _close_then_refuse(attempt_id=attempt.pk, closed_by=overdue, now=now)


# --- finishing ------------------------------------------------------------------------


def attempt_submit(
    *, user: AbstractBaseUser, attempt_id: int, now: datetime | None = None
) -> Attempt:
    """Finish the member's attempt and grade it. Idempotent: a finished attempt is
    returned unchanged (a double click, a retry, a second tab). Submitted after the
    deadline plus the grace, the attempt is closed as "timeout" (the answers saved in
    time are what it holds)."""
    now = _now(now)
    with transaction.atomic():
        attempt = _locked_attempt(user=user, attempt_id=attempt_id)
        if attempt.state != Attempt.State.IN_PROGRESS:
            return attempt
        closed_by = attempt_overdue(attempt=attempt, now=now) or Attempt.Closed.MEMBER
        return _finish(attempt=attempt, closed_by=closed_by, now=now)


def _attempt_close_if_overdue(*, attempt_id: int, now: datetime) -> Attempt | None:
    """Close one attempt if it is still in progress and overdue (its own transaction)."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("quiz")
            .filter(pk=attempt_id, state=Attempt.State.IN_PROGRESS)
            .first()
        )
        if attempt is None:
            return None
        closed_by = attempt_overdue(attempt=attempt, now=now)
        if closed_by is None:
            return None
        return _finish(attempt=attempt, closed_by=closed_by, now=now)


def attempts_close_overdue(*, now: datetime | None = None) -> int:
    """Submit every attempt in progress whose time ran out (deadline plus grace) or whose
    quiz closed, each in its own transaction; returns how many it closed. Run by Celery
    beat (``tasks.close_overdue_attempts_task``)."""
    now = _now(now)
    limit = now - _grace()
    due = (
        Attempt.objects.filter(state=Attempt.State.IN_PROGRESS)
        .filter(_due_q(limit))
        .order_by("deadline", "pk")
        .values_list("pk", flat=True)
    )
    closed = 0
    for attempt_id in list(due):
        if _attempt_close_if_overdue(attempt_id=attempt_id, now=now) is not None:
            closed += 1
    return closed


def _due_q(limit: datetime):
    from django.db.models import Q

    return Q(deadline__lt=limit) | Q(quiz__closes_at__lt=limit)


def _submitted_at(*, attempt: Attempt, closed_by: str, now: datetime) -> datetime:
    """When the attempt ended: now, or when its time ran out / the quiz closed."""
    if closed_by == Attempt.Closed.TIMEOUT and attempt.deadline is not None:
        return min(now, attempt.deadline)
    if closed_by == Attempt.Closed.CLOSED and attempt.quiz.closes_at is not None:
        return min(now, attempt.quiz.closes_at)
    return now


def _finish(*, attempt: Attempt, closed_by: str, now: datetime) -> Attempt:
    """Grade every question against the version it showed and finish the attempt (the
    caller holds its row lock, inside a transaction)."""
    rows = list(AttemptQuestion.objects.filter(attempt=attempt).select_related("version"))
    for row in rows:
        result = grading.grade(row.version.spec_obj, row.response)
        row.fraction = result.fraction
        row.score = (
            None
            if result.fraction is None
            else grading.score(fraction=result.fraction, mark=row.mark)
        )
    AttemptQuestion.objects.bulk_update(rows, ["fraction", "score"])
    attempt.submitted_at = _submitted_at(attempt=attempt, closed_by=closed_by, now=now)
    attempt.closed_by = closed_by
    _totals(attempt=attempt, rows=rows)
    attempt.save(update_fields=["state", "submitted_at", "closed_by", "score", "percent", "passed"])
    quiz_result_update(quiz_id=attempt.quiz_id, user_id=attempt.user_id, now=now)
    return attempt


def _totals(*, attempt: Attempt, rows: Sequence[AttemptQuestion]) -> None:
    """Set a finished attempt's state, score, percent and passed from its questions."""
    known = [Decimal(row.score) for row in rows if row.score is not None]
    attempt.score = sum(known, Decimal(0)).quantize(SCORE)
    if any(row.fraction is None for row in rows):
        attempt.state = Attempt.State.NEEDS_GRADING
        attempt.percent = None
        attempt.passed = None
        return
    attempt.state = Attempt.State.GRADED
    attempt.percent = grading.percent(score=attempt.score, max_score=Decimal(attempt.max_score))
    attempt.passed = attempt.percent >= attempt.quiz.pass_percent


def attempt_rescore(*, attempt_id: int) -> Attempt:
    """Sum a finished attempt's question scores into its state, score, percent and
    passed (after marking or a regrade changed them), then update the member's result.
    An attempt in progress is returned unchanged."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("quiz")
            .get(pk=attempt_id)
        )
        if attempt.state == Attempt.State.IN_PROGRESS:
            return attempt
        rows = list(AttemptQuestion.objects.filter(attempt=attempt).only("score", "fraction"))
        _totals(attempt=attempt, rows=rows)
        attempt.save(update_fields=["state", "score", "percent", "passed"])
        quiz_result_update(quiz_id=attempt.quiz_id, user_id=attempt.user_id)
        return attempt


# --- the member's result -------------------------------------------------------------


def first_pass(
    *, method: str, pass_percent: Decimal, attempts: Sequence[tuple[Decimal, datetime]]
) -> datetime | None:
    """When the member's grade first reached the pass mark: the end of the first graded
    attempt (in attempt order) after which the grade by ``method`` over the attempts so
    far passes; None if it never did. Pure: a regrade that lowers scores can take it away."""
    percents: list[Decimal] = []
    for percent, submitted_at in attempts:
        percents.append(percent)
        grade = grading.quiz_grade(method=method, percents=percents)
        if grade is not None and grade >= pass_percent:
            return submitted_at
    return None


def quiz_result_update(
    *, quiz_id: int, user_id: int, now: datetime | None = None
) -> QuizResult | None:
    """Write the member's result in a quiz from their graded attempts (by the quiz's
    grading method) and send ``quiz_result_changed``; None while nothing is graded.

    ``first_passed_at`` is set once, when the grade first reaches the pass mark (kept by
    later lower grades; a regrade under which the member never passed clears it), with
    the quiz's ``credit_hours`` as ``awarded_hours``. On the first pass the quiz lesson is
    completed (``courses.services.lesson_complete``, which completes the course when it
    was the last required lesson) — if the member may still be credited for it
    (``lesson_credit_refusal``). The study-hour ledger follows in the same transaction
    (``exams.hours`` receives the signal).
    """
    now = _now(now)
    with transaction.atomic():
        quiz = QuizLessonPage.objects.get(pk=quiz_id)
        graded = list(
            Attempt.objects.filter(quiz_id=quiz_id, user_id=user_id, state=Attempt.State.GRADED)
            .order_by("number")
            .values_list("percent", "submitted_at")
        )
        finished = (
            Attempt.objects.filter(quiz_id=quiz_id, user_id=user_id)
            .exclude(state=Attempt.State.IN_PROGRESS)
            .count()
        )
        result = QuizResult.objects.select_for_update().filter(quiz_id=quiz_id, user_id=user_id)
        result = result.first()
        if not graded:
            if result is not None and result.attempts != finished:
                result.attempts = finished
                result.save(update_fields=["attempts", "updated_at"])
            return result
        percent = grading.quiz_grade(method=quiz.grading_method, percents=[p for p, _at in graded])
        passed = percent >= quiz.pass_percent
        passed_at = first_pass(
            method=quiz.grading_method, pass_percent=quiz.pass_percent, attempts=graded
        )
        if result is None:
            try:
                with transaction.atomic():
                    result = QuizResult.objects.create(
                        quiz_id=quiz_id, user_id=user_id, percent=percent, attempts=finished
                    )
            except IntegrityError:
                result = QuizResult.objects.select_for_update().get(
                    quiz_id=quiz_id, user_id=user_id
                )
        newly_passed = False
        if passed_at is None:
            result.first_passed_at = None
            result.awarded_hours = Decimal(0)
        elif result.first_passed_at is None and _may_credit(user_id=user_id, quiz_id=quiz_id):
            result.first_passed_at = passed_at
            result.awarded_hours = quiz.credit_hours or Decimal(0)
            newly_passed = True
        result.percent = percent
        result.passed = passed
        result.attempts = finished
        result.save()
        if newly_passed:
            user = get_user_model()._default_manager.get(pk=user_id)
            lesson_complete(user=user, lesson=quiz, when=result.first_passed_at)
        quiz_result_changed.send(
            sender=QuizResult,
            user_id=user_id,
            quiz_id=quiz_id,
            passed=passed,
            first_passed_at=result.first_passed_at,
        )
        return result


def _may_credit(*, user_id: int, quiz_id: int) -> bool:
    refusal = lesson_credit_refusal(
        user_id=user_id, lesson_id=quiz_id, completion=LessonPage.Completion.QUIZ
    )
    return refusal is None
