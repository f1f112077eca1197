"""The overdue closer: attempts whose time ran out are submitted, also when the member left."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings

from exams.quizzes.conf import SUBMIT_GRACE_SECONDS
from exams.quizzes.models import Attempt, QuizResult
from exams.quizzes.services.attempts import (
    AnswerInput,
    attempt_start,
    attempts_close_overdue,
    responses_save,
)
from exams.quizzes.tasks import close_overdue_attempts_task
from tests.exams.conftest import T0, at

from .conftest import make_quiz

pytestmark = pytest.mark.django_db
GRACE = SUBMIT_GRACE_SECONDS


@pytest.fixture
def timed(quiz_world):
    """A 10-minute quiz of one single-choice question; alice started at T0 and answered
    right at 1 min."""
    quiz = make_quiz(
        quiz_world.quiz_course, questions=[quiz_world.questions["single"]], time_limit_minutes=10
    )
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=T0)
    responses_save(
        user=quiz_world.alice,
        attempt_id=attempt.pk,
        answers=[AnswerInput(position=1, response={"choice": "a"}, seq=1)],
        now=at(60),
    )
    return quiz, attempt


def test_attempts_within_the_grace_are_left_open(timed):
    _quiz, attempt = timed
    assert attempts_close_overdue(now=at(600 + GRACE)) == 0
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS


def test_overdue_attempt_is_submitted_as_timeout_and_graded_once(timed):
    quiz, attempt = timed
    # when the closer runs after deadline + grace
    assert attempts_close_overdue(now=at(600 + GRACE + 1)) == 1
    # then the attempt is graded with what was saved, ended at its deadline
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.GRADED
    assert attempt.closed_by == Attempt.Closed.TIMEOUT
    assert attempt.submitted_at == at(600)
    assert attempt.percent == 100
    result = QuizResult.objects.get(quiz=quiz, user=attempt.user)
    assert result.first_passed_at == at(600)
    # and a second run finds nothing
    assert attempts_close_overdue(now=at(3600)) == 0
    assert QuizResult.objects.get(quiz=quiz, user=attempt.user).attempts == 1


def test_attempt_of_a_closed_quiz_is_submitted_as_closed(quiz_world):
    # given an untimed quiz whose close time the trainer moved after alice started
    quiz = make_quiz(quiz_world.quiz_course, questions=[quiz_world.questions["single"]])
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=T0)
    assert attempt.deadline is None
    quiz.closes_at = at(300)
    quiz.save()
    # when the closer runs after the close time + grace
    assert attempts_close_overdue(now=at(300 + GRACE - 1)) == 0
    assert attempts_close_overdue(now=at(300 + GRACE + 1)) == 1
    attempt.refresh_from_db()
    assert (attempt.state, attempt.closed_by, attempt.submitted_at) == (
        Attempt.State.GRADED,
        Attempt.Closed.CLOSED,
        at(300),
    )


def test_untimed_attempts_stay_open(quiz_world):
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    assert attempts_close_overdue(now=T0 + timedelta(days=30)) == 0
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS


def test_the_task_uses_the_server_clock(timed):
    _quiz, attempt = timed
    with time_machine.travel(at(600 + GRACE - 5), tick=False):
        assert close_overdue_attempts_task.delay().get() == 0
    with time_machine.travel(at(600 + GRACE + 5), tick=False):
        assert close_overdue_attempts_task.delay().get() == 1
    attempt.refresh_from_db()
    assert attempt.closed_by == Attempt.Closed.TIMEOUT


def test_resuming_an_overdue_attempt_closes_it_and_starts_afresh(timed):
    quiz, attempt = timed
    again, created = attempt_start(user=attempt.user, quiz_id=quiz.pk, now=at(3600))
    attempt.refresh_from_db()
    assert attempt.closed_by == Attempt.Closed.TIMEOUT
    assert created and again.number == 2


def test_beat_runs_the_task_every_minute():
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "exams.quizzes.tasks.close_overdue_attempts_task"
    )
    assert entry["schedule"] == 60.0
    assert close_overdue_attempts_task.name == entry["task"]
