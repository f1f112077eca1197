"""Reads about attempts: a member's attempt, its page, its review, and the member's state
in a quiz. A member only ever reads their own attempts (``attempt_of_member``).

What an attempt page holds comes from ``presentation.question_for_member`` (never any
grading data). The review shows the score, the right answers and the feedback only as
the quiz's review options allow (``review_options``):

- "immediately": once the attempt is finished;
- "after close": once the quiz's close time has passed. A quiz without a close time
  never closes, so there it means once the member has no attempts left (all of a limited
  number used) — with unlimited attempts and no close time, never;
- "never": never (the trainer still sees everything).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from . import grading, richtext
from . import spec as qspec
from .models import Attempt, AttemptQuestion, QuizLessonPage, QuizResult, ReviewWhen
from .presentation import question_for_member
from .services.attempts import (
    AttemptRefused,
    attempt_overdue,
    attempt_page_count,
    attempt_start_refusal,
    remaining_seconds,
)


def attempt_of_member(*, user: AbstractBaseUser, attempt_id: int) -> Attempt:
    """The member's attempt (with its quiz); ``Http404`` if it is not theirs."""
    if (
        user is None
        or not user.is_authenticated
        or not isinstance(attempt_id, int)
        or isinstance(attempt_id, bool)
    ):
        raise Http404(_("No such attempt."))
    attempt = Attempt.objects.select_related("quiz").filter(pk=attempt_id, user_id=user.pk).first()
    if attempt is None:
        raise Http404(_("No such attempt."))
    return attempt


# --- the attempt page ---------------------------------------------------------------


@dataclass
class AttemptPageView:
    attempt: Attempt
    page: int
    page_count: int
    navigation: str
    questions: list[dict[str, Any]]
    remaining_seconds: int | None
    deadline: datetime | None
    server_time: datetime


def attempt_page(
    *, attempt: Attempt, page: int | None = None, now: datetime | None = None
) -> AttemptPageView:
    """Page ``page`` (from 0; default the member's current page) of an attempt, as the
    member answers it. Raises ``AttemptRefused``: "invalid" (400) for a page the attempt
    does not have, "wrong_page" (409) for an earlier page under sequential navigation.
    Reading a page does not move the member (``attempt_goto_page`` does)."""
    now = now or timezone.now()
    page_count = attempt_page_count(attempt=attempt)
    if page is None:
        page = min(attempt.current_page, page_count - 1)
    if not isinstance(page, int) or isinstance(page, bool) or not 0 <= page < page_count:
        raise AttemptRefused(_("This attempt has no such page."), code="invalid", status=400)
    navigation = attempt.quiz.navigation
    if (
        attempt.state == Attempt.State.IN_PROGRESS
        and navigation == "sequential"
        and page < attempt.current_page
    ):
        raise AttemptRefused(
            _("This quiz does not let you go back to earlier pages."),
            code="wrong_page",
            status=409,
        )
    rows = AttemptQuestion.objects.filter(attempt=attempt, page=page).select_related("version")
    questions = [
        question_for_member(
            spec=row.version.spec_obj,
            position=row.position,
            option_order=list(row.option_order or []),
            response=row.response,
        )
        for row in rows.order_by("position")
    ]
    in_progress = attempt.state == Attempt.State.IN_PROGRESS
    return AttemptPageView(
        attempt=attempt,
        page=page,
        page_count=page_count,
        navigation=navigation,
        questions=questions,
        remaining_seconds=(
            remaining_seconds(deadline=attempt.deadline, now=now) if in_progress else None
        ),
        deadline=attempt.deadline,
        server_time=now,
    )


# --- review ---------------------------------------------------------------------------


def _attempts_used_up(*, quiz: QuizLessonPage, user_id: int) -> bool:
    if not quiz.attempts_allowed:
        return False
    finished = (
        Attempt.objects.filter(quiz=quiz, user_id=user_id)
        .exclude(state=Attempt.State.IN_PROGRESS)
        .count()
    )
    return finished >= quiz.attempts_allowed


def review_options(*, attempt: Attempt, now: datetime | None = None) -> tuple[bool, bool, bool]:
    """Whether the member may now see (score, right answers, feedback) of ``attempt``."""
    if attempt.state == Attempt.State.IN_PROGRESS:
        return False, False, False
    now = now or timezone.now()
    quiz = attempt.quiz
    used_up: bool | None = None

    def allowed(when: str) -> bool:
        nonlocal used_up
        if when == ReviewWhen.IMMEDIATELY:
            return True
        if when == ReviewWhen.AFTER_CLOSE:
            if quiz.closes_at is not None:
                return now >= quiz.closes_at
            if used_up is None:
                used_up = _attempts_used_up(quiz=quiz, user_id=attempt.user_id)
            return used_up
        return False

    return allowed(quiz.review_score), allowed(quiz.review_answers), allowed(quiz.review_feedback)


@dataclass
class ReviewQuestion:
    position: int
    question: dict[str, Any]
    response: Any
    show_correct: bool
    correct_response: dict[str, Any] | None
    fraction: Decimal | None
    score: Decimal | None
    mark: Decimal
    feedback: tuple[str, ...]
    general_feedback: str
    state: str
    comment: str


@dataclass
class AttemptReview:
    attempt: Attempt
    show_score: bool
    show_answers: bool
    show_feedback: bool
    score: Decimal | None
    max_score: Decimal
    percent: Decimal | None
    passed: bool | None
    questions: list[ReviewQuestion] = field(default_factory=list)


def _state_of(*, stored: Decimal | None, graded: grading.Grade) -> str:
    if stored is None:
        return "manual"
    if graded.fraction is not None and Decimal(graded.fraction) == Decimal(stored):
        return graded.state
    if stored >= 1:
        return "right"
    return "wrong" if stored <= 0 else "partial"


def attempt_review(*, attempt: Attempt, now: datetime | None = None) -> AttemptReview:
    """A finished attempt as the member may see it now (``review_options``): what is not
    allowed yet is None, empty or False — never computed into the result."""
    show_score, show_answers, show_feedback = review_options(attempt=attempt, now=now)
    finished = attempt.state != Attempt.State.IN_PROGRESS
    questions: list[ReviewQuestion] = []
    if finished:
        rows = (
            AttemptQuestion.objects.filter(attempt=attempt)
            .select_related("version")
            .order_by("position")
        )
        for row in rows:
            spec = row.version.spec_obj
            graded = grading.grade(spec, row.response)
            fraction = None if row.fraction is None else Decimal(row.fraction)
            questions.append(
                ReviewQuestion(
                    position=row.position,
                    question=question_for_member(
                        spec=spec,
                        position=row.position,
                        option_order=list(row.option_order or []),
                        response=row.response,
                    ),
                    response=row.response,
                    show_correct=show_answers,
                    correct_response=qspec.correct_response(spec) if show_answers else None,
                    fraction=fraction if show_score else None,
                    score=(None if row.score is None else Decimal(row.score))
                    if show_score
                    else None,
                    mark=Decimal(row.mark),
                    feedback=tuple(graded.feedback) if show_feedback else (),
                    general_feedback=(
                        richtext.render(spec.general_feedback)
                        if show_feedback and spec.general_feedback
                        else ""
                    ),
                    state=_state_of(stored=fraction, graded=graded) if show_score else "",
                    comment=row.comment if show_feedback else "",
                )
            )
    return AttemptReview(
        attempt=attempt,
        show_score=show_score,
        show_answers=show_answers,
        show_feedback=show_feedback,
        score=attempt.score if show_score else None,
        max_score=attempt.max_score,
        percent=attempt.percent if show_score else None,
        passed=attempt.passed if show_score else None,
        questions=questions,
    )


# --- the member in a quiz ----------------------------------------------------------------


@dataclass
class QuizMemberState:
    quiz: QuizLessonPage
    attempts: list[Attempt]
    in_progress: Attempt | None
    can_start: bool
    refusal: str
    result: QuizResult | None
    attempts_left: int | None


def quiz_member_state(
    *, user: AbstractBaseUser, quiz: QuizLessonPage, now: datetime | None = None
) -> QuizMemberState:
    """The member's attempts and result in ``quiz`` and whether they may start one now.

    ``in_progress`` is the attempt they can resume (an attempt whose time ran out is not:
    it is closed when they next start). ``can_start`` is False with ``refusal`` "" while
    an attempt can be resumed; otherwise ``refusal`` says why they cannot start.
    ``attempts_left`` is None with unlimited attempts.
    """
    now = now or timezone.now()
    attempts = list(Attempt.objects.filter(quiz=quiz, user_id=user.pk).order_by("number"))
    for attempt in attempts:
        attempt.quiz = quiz
    current = next((a for a in attempts if a.state == Attempt.State.IN_PROGRESS), None)
    in_progress = (
        current
        if current is not None and attempt_overdue(attempt=current, now=now) is None
        else None
    )
    result = QuizResult.objects.filter(quiz=quiz, user_id=user.pk).first()
    attempts_left = None
    if quiz.attempts_allowed:
        attempts_left = max(0, quiz.attempts_allowed - len(attempts))
    if in_progress is not None:
        return QuizMemberState(quiz, attempts, in_progress, False, "", result, attempts_left)
    refusal = attempt_start_refusal(user=user, quiz=quiz, now=now)
    if refusal is None and current is not None and attempts_left == 0:
        refusal = AttemptRefused(
            _("You have used all %(count)d attempts of this quiz.")
            % {"count": quiz.attempts_allowed},
            code="no_attempts_left",
        )
    return QuizMemberState(
        quiz=quiz,
        attempts=attempts,
        in_progress=None,
        can_start=refusal is None,
        refusal="" if refusal is None else refusal.message,
        result=result,
        attempts_left=attempts_left,
    )
