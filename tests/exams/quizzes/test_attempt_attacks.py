"""Attempts as an attacker would use them (service level; the HTTP attacks are in
test_api_attacks.py): the server's clock, replays, double submits, races, other members'
attempts, and what a member may read before the review allows."""

import json
import threading
from dataclasses import asdict

import pytest
import time_machine
from django.db import connection, connections
from django.http import Http404

from exams.hours.models import StudyHourEntry
from exams.quizzes.conf import SUBMIT_GRACE_SECONDS
from exams.quizzes.models import Attempt, QuizResult
from exams.quizzes.selectors import attempt_page, attempt_review
from exams.quizzes.services.attempts import (
    AnswerInput,
    AttemptRefused,
    attempt_goto_page,
    attempt_start,
    attempt_submit,
    attempts_close_overdue,
    responses_save,
)
from tests.exams.conftest import T0, at

from .conftest import SECRETS, answers_for, make_quiz, submit_right

GRACE = SUBMIT_GRACE_SECONDS


def _timed(world, **settings):
    return make_quiz(
        world.quiz_course,
        questions=[world.questions["single"], world.questions["shortanswer"]],
        time_limit_minutes=10,
        credit_hours=1,
        **settings,
    )


def _one(position=1, response=None, seq=1):
    return [AnswerInput(position=position, response=response or {"choice": "a"}, seq=seq)]


@pytest.mark.django_db
def test_save_at_the_last_second_of_grace_is_accepted(quiz_world):
    quiz = _timed(quiz_world)
    alice = quiz_world.alice
    with time_machine.travel(T0, tick=False):
        attempt, _ = attempt_start(user=alice, quiz_id=quiz.pk)
    with time_machine.travel(at(600 + GRACE - 1), tick=False):
        outcome = responses_save(user=alice, attempt_id=attempt.pk, answers=_one())
    assert outcome.saved == (1,)
    assert outcome.remaining_seconds == 0


@pytest.mark.django_db
def test_save_after_deadline_and_grace_is_refused_and_the_attempt_closed(quiz_world):
    quiz = _timed(quiz_world)
    alice = quiz_world.alice
    with time_machine.travel(T0, tick=False):
        attempt, _ = attempt_start(user=alice, quiz_id=quiz.pk)
        responses_save(user=alice, attempt_id=attempt.pk, answers=_one(response={"choice": "b"}))
    # a client whose clock says it is early changes nothing: only the server's time counts
    with (
        time_machine.travel(at(600 + GRACE + 1), tick=False),
        pytest.raises(AttemptRefused) as refused,
    ):
        responses_save(user=alice, attempt_id=attempt.pk, answers=_one(seq=2))
    assert (refused.value.status, refused.value.code) == (409, "time_up")
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.GRADED
    assert attempt.closed_by == Attempt.Closed.TIMEOUT
    assert attempt.percent == 0  # the late right answer was not stored
    assert attempt.questions.get(position=1).response == {"choice": "b"}
    # and later saves meet a finished attempt
    with pytest.raises(AttemptRefused) as refused:
        responses_save(user=alice, attempt_id=attempt.pk, answers=_one(seq=3), now=at(9999))
    assert refused.value.code == "finished"


@pytest.mark.django_db
def test_page_move_after_time_is_refused_and_closes(quiz_world):
    quiz = _timed(quiz_world, questions_per_page=1)
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=T0)
    with pytest.raises(AttemptRefused) as refused:
        attempt_goto_page(
            user=quiz_world.alice, attempt_id=attempt.pk, page=1, now=at(600 + GRACE + 1)
        )
    assert refused.value.code == "time_up"
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.GRADED


@pytest.mark.django_db
def test_submit_after_time_closes_as_timeout(quiz_world):
    quiz = _timed(quiz_world)
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=T0)
    attempt = attempt_submit(user=quiz_world.alice, attempt_id=attempt.pk, now=at(4000))
    assert (attempt.closed_by, attempt.submitted_at) == (Attempt.Closed.TIMEOUT, at(600))


@pytest.mark.django_db
def test_double_submit_grades_once(quiz_world):
    alice = quiz_world.alice
    attempt = submit_right(alice, quiz_world.quiz, now=at(30))
    again = attempt_submit(user=alice, attempt_id=attempt.pk, now=at(31))
    assert (again.pk, again.submitted_at, again.score) == (attempt.pk, at(30), attempt.score)
    assert attempts_close_overdue(now=at(99999)) == 0
    assert QuizResult.objects.get(quiz=quiz_world.quiz, user=alice).attempts == 1
    assert StudyHourEntry.objects.filter(user=alice, source="quiz").count() == 1


@pytest.mark.django_db
def test_another_members_attempt_is_404_everywhere(quiz_world):
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    bob = quiz_world.bob
    with pytest.raises(Http404):
        responses_save(user=bob, attempt_id=attempt.pk, answers=_one(), now=at(1))
    with pytest.raises(Http404):
        attempt_goto_page(user=bob, attempt_id=attempt.pk, page=0, now=at(1))
    with pytest.raises(Http404):
        attempt_submit(user=bob, attempt_id=attempt.pk, now=at(1))
    for bad_id in ("1", None, 1.0, True):
        with pytest.raises(Http404):
            attempt_submit(user=quiz_world.alice, attempt_id=bad_id, now=at(1))
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS
    assert not attempt.questions.filter(response__isnull=False).exists()


@pytest.mark.django_db
def test_attempt_page_holds_no_grading_data(quiz_world):
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    responses_save(
        user=quiz_world.alice, attempt_id=attempt.pk, answers=answers_for(attempt), now=at(1)
    )
    view = attempt_page(attempt=attempt, now=at(2))
    payload = json.dumps(view.questions)
    for secret in ("SECRETFEEDBACK", "SECRETGENERAL"):
        assert secret not in payload
    assert "fraction" not in payload and "feedback" not in payload


# --- review options -------------------------------------------------------------------


def _review_json(review) -> str:
    data = asdict(review)
    data.pop("attempt")
    return json.dumps(data, default=str)


@pytest.mark.django_db
def test_review_never_shows_nothing_of_the_grading(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"], quiz_world.questions["shortanswer"]],
        review_score="never",
        review_answers="never",
        review_feedback="never",
    )
    attempt = submit_right(quiz_world.alice, quiz, now=at(30))
    review = attempt_review(attempt=attempt, now=at(10**7))
    text = _review_json(review)
    assert (review.show_score, review.show_answers, review.show_feedback) == (False,) * 3
    assert (review.score, review.percent, review.passed) == (None, None, None)
    assert all(
        q.fraction is None and q.score is None and q.correct_response is None
        for q in review.questions
    )
    for secret in SECRETS[:2] + ("SECRETGENERAL",):
        # the member's own typed answer is theirs to see; strip it before looking
        assert secret not in text.replace('"text": "SECRETANSWER"', "")


@pytest.mark.django_db
def test_review_immediately_shows_all(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"]],
        review_score="immediately",
        review_answers="immediately",
        review_feedback="immediately",
    )
    attempt = submit_right(quiz_world.alice, quiz, now=at(30))
    review = attempt_review(attempt=attempt, now=at(31))
    question = review.questions[0]
    assert review.percent == 100 and review.passed is True
    assert question.correct_response == {"choice": "a"}
    assert question.fraction == 1 and question.state == "right"
    assert question.feedback == ("SECRETFEEDBACK right",)
    assert "SECRETGENERAL" in question.general_feedback


@pytest.mark.django_db
def test_review_after_close_waits_for_the_close_time(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"]],
        closes_at=at(3600),
        review_score="immediately",
        review_answers="after_close",
        review_feedback="after_close",
    )
    attempt = submit_right(quiz_world.alice, quiz, now=at(30))
    before = attempt_review(attempt=attempt, now=at(3599))
    assert (before.show_score, before.show_answers, before.show_feedback) == (True, False, False)
    assert before.questions[0].correct_response is None
    assert "SECRETFEEDBACK" not in _review_json(before)
    after = attempt_review(attempt=attempt, now=at(3600))
    assert (after.show_answers, after.show_feedback) == (True, True)
    assert after.questions[0].correct_response == {"choice": "a"}


@pytest.mark.django_db
def test_review_after_close_without_close_time_waits_for_the_last_attempt(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"]],
        attempts_allowed=2,
        review_answers="after_close",
    )
    first = submit_right(quiz_world.alice, quiz, now=at(30))
    assert attempt_review(attempt=first, now=at(31)).show_answers is False
    submit_right(quiz_world.alice, quiz, now=at(60))
    assert attempt_review(attempt=first, now=at(61)).show_answers is True
    unlimited = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"]],
        review_answers="after_close",
    )
    done = submit_right(quiz_world.alice, unlimited, now=at(30))
    assert attempt_review(attempt=done, now=at(10**8)).show_answers is False


# --- races (PostgreSQL: real concurrent transactions) -------------------------------------


def _pg_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL (CI)")


def _race(*calls):
    """Run the calls at once, each in its own thread and connection; results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported to the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_make_one_attempt(quiz_world):
    _pg_only()
    alice, quiz = quiz_world.alice, quiz_world.quiz
    results = _race(*[lambda: attempt_start(user=alice, quiz_id=quiz.pk, now=T0)] * 6)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({attempt.pk for attempt, _created in results}) == 1
    assert sum(created for _attempt, created in results) == 1
    assert Attempt.objects.filter(quiz=quiz, user=alice).count() == 1


@pytest.mark.django_db(transaction=True)
def test_submit_racing_the_overdue_task_grades_once(quiz_world):
    _pg_only()
    quiz = _timed(quiz_world)
    alice = quiz_world.alice
    attempt, _ = attempt_start(user=alice, quiz_id=quiz.pk, now=T0)
    responses_save(user=alice, attempt_id=attempt.pk, answers=answers_for(attempt), now=at(60))
    late = at(600 + GRACE + 1)
    results = _race(
        lambda: attempt_submit(user=alice, attempt_id=attempt.pk, now=late),
        lambda: attempts_close_overdue(now=late),
        lambda: attempt_submit(user=alice, attempt_id=attempt.pk, now=late),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    attempt.refresh_from_db()
    assert (attempt.state, attempt.closed_by, attempt.percent) == (
        Attempt.State.GRADED,
        Attempt.Closed.TIMEOUT,
        100,
    )
    assert QuizResult.objects.get(quiz=quiz, user=alice).attempts == 1
    assert StudyHourEntry.objects.filter(user=alice, source="quiz").count() == 1


@pytest.mark.django_db(transaction=True)
def test_double_submit_from_two_tabs_grades_once(quiz_world):
    _pg_only()
    alice, quiz = quiz_world.alice, quiz_world.quiz
    attempt, _ = attempt_start(user=alice, quiz_id=quiz.pk, now=T0)
    responses_save(user=alice, attempt_id=attempt.pk, answers=answers_for(attempt), now=at(5))
    results = _race(*[lambda: attempt_submit(user=alice, attempt_id=attempt.pk, now=at(9))] * 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {r.submitted_at for r in results} == {at(9)}
    assert QuizResult.objects.get(quiz=quiz, user=alice).attempts == 1
    assert StudyHourEntry.objects.filter(user=alice, source="quiz").count() == 1
