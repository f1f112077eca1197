"""A passed quiz completes its lesson (and the course), and credits its hours once."""

from datetime import date
from decimal import Decimal

import pytest
from wagtail.models import Site

from courses.models import Enrolment, LessonProgress
from exams.hours import selectors as hours_selectors
from exams.hours.models import StudyHourEntry, StudyHourRules
from exams.hours.services import ledger_recompute
from exams.quizzes.models import AttemptQuestion, QuizResult
from exams.quizzes.services.attempts import attempt_rescore, quiz_result_update
from exams.quizzes.signals import quiz_result_changed
from tests.exams.conftest import at, make_course, make_reading_lesson

from .conftest import make_quiz, submit_right, submit_wrong

D = Decimal
pytestmark = pytest.mark.django_db

YEAR = 2026


def set_rules(**fields):
    rules = StudyHourRules.for_site(Site.objects.get(is_default_site=True))
    for name, value in fields.items():
        setattr(rules, name, value)
    rules.save()


def quiz_entries(user):
    return list(
        StudyHourEntry.objects.filter(
            user=user, source=StudyHourEntry.Source.QUIZ, superseded_by__isnull=True
        ).values_list("key", "hours", "date")
    )


def live_total(user) -> Decimal:
    return hours_selectors.member_year_hours(user=user, year=YEAR)


@pytest.fixture
def solo(quiz_world):
    """A course (2 credit hours) whose only required lesson is a quiz worth 1.5 hours."""
    course = make_course(audience=[quiz_world.org.branch_a], credit_hours="2.0")
    quiz = make_quiz(course, questions=[quiz_world.questions["single"]], credit_hours=D("1.5"))
    return course, quiz


def test_pass_completes_the_lesson_and_the_course_and_credits_both(quiz_world, solo):
    course, quiz = solo
    alice = quiz_world.alice
    # when alice passes the quiz
    submit_right(alice, quiz, now=at(30))
    # then the lesson is done, the course complete, and the ledger holds both credits
    progress = LessonProgress.objects.get(user=alice, lesson=quiz)
    assert progress.state == LessonProgress.State.DONE
    assert progress.completed_at == at(30)
    enrolment = Enrolment.objects.get(user=alice, course=course)
    assert enrolment.completed_at == at(30)
    assert quiz_entries(alice) == [(f"quiz:{quiz.pk}:user:{alice.pk}", D("1.50"), date(2026, 3, 2))]
    assert (
        StudyHourEntry.objects.filter(
            user=alice, source=StudyHourEntry.Source.COURSE_COMPLETION
        ).count()
        == 1
    )
    assert live_total(alice) == D("3.50")
    result = QuizResult.objects.get(quiz=quiz, user=alice)
    assert (result.awarded_hours, result.first_passed_at) == (D("1.5"), at(30))


def test_fail_completes_nothing(quiz_world, solo):
    _course, quiz = solo
    submit_wrong(quiz_world.alice, quiz, now=at(30))
    assert not LessonProgress.objects.filter(
        user=quiz_world.alice, lesson=quiz, state=LessonProgress.State.DONE
    ).exists()
    assert quiz_entries(quiz_world.alice) == []


def test_course_is_not_complete_while_another_required_lesson_is_open(quiz_world):
    course = make_course(audience=[quiz_world.org.branch_a])
    make_reading_lesson(course)
    quiz = make_quiz(course, questions=[quiz_world.questions["single"]], credit_hours=D("1"))
    submit_right(quiz_world.alice, quiz, now=at(30))
    assert LessonProgress.objects.filter(
        user=quiz_world.alice, lesson=quiz, state=LessonProgress.State.DONE
    ).exists()
    assert Enrolment.objects.get(user=quiz_world.alice, course=course).completed_at is None
    assert len(quiz_entries(quiz_world.alice)) == 1


def test_hours_credited_once_over_passes_replays_and_rescoring(quiz_world, solo):
    _course, quiz = solo
    alice = quiz_world.alice
    first = submit_right(alice, quiz, now=at(30))
    # when she passes again, the result is recomputed, the signal replayed, the attempt
    # rescored (a regrade that changes nothing)
    submit_right(alice, quiz, now=at(90))
    quiz_result_update(quiz_id=quiz.pk, user_id=alice.pk)
    quiz_result_changed.send(
        sender=QuizResult, user_id=alice.pk, quiz_id=quiz.pk, passed=True, first_passed_at=at(30)
    )
    attempt_rescore(attempt_id=first.pk)
    # then there is still one credit, dated by the first pass
    assert quiz_entries(alice) == [(f"quiz:{quiz.pk}:user:{alice.pk}", D("1.50"), date(2026, 3, 2))]
    assert QuizResult.objects.get(quiz=quiz, user=alice).first_passed_at == at(30)
    assert LessonProgress.objects.filter(user=alice, lesson=quiz).count() == 1


def test_a_later_failed_attempt_keeps_the_pass(quiz_world, solo):
    _course, quiz = solo
    quiz.grading_method = "last"
    quiz.save()
    alice = quiz_world.alice
    submit_right(alice, quiz, now=at(30))
    submit_wrong(alice, quiz, now=at(60))
    result = QuizResult.objects.get(quiz=quiz, user=alice)
    assert (result.passed, result.first_passed_at) == (False, at(30))
    assert len(quiz_entries(alice)) == 1


def test_regrade_that_takes_the_pass_away_adjusts_the_ledger_and_back(quiz_world, solo):
    _course, quiz = solo
    alice = quiz_world.alice
    attempt = submit_right(alice, quiz, now=at(30))
    before = live_total(alice)
    # when a regrade finds the answer was wrong after all
    AttemptQuestion.objects.filter(attempt=attempt).update(fraction=D(0), score=D(0))
    attempt_rescore(attempt_id=attempt.pk)
    # then the result has no pass and the quiz hours are taken back by an adjustment
    result = QuizResult.objects.get(quiz=quiz, user=alice)
    assert (result.passed, result.first_passed_at, result.awarded_hours) == (False, None, 0)
    assert sum(hours for _k, hours, _d in quiz_entries(alice)) == 0
    assert live_total(alice) == before - D("1.5")
    # and a second regrade restoring it credits them again, once
    AttemptQuestion.objects.filter(attempt=attempt).update(fraction=D(1), score=D(1))
    attempt_rescore(attempt_id=attempt.pk)
    attempt_rescore(attempt_id=attempt.pk)
    assert sum(hours for _k, hours, _d in quiz_entries(alice)) == D("1.5")
    assert live_total(alice) == before
    assert {d for _k, _h, d in quiz_entries(alice)} == {date(2026, 3, 2)}


def test_recompute_rebuilds_quiz_entries_with_the_same_totals(quiz_world, solo):
    _course, quiz = solo
    alice, bob = quiz_world.alice, quiz_world.bob
    attempt = submit_right(alice, quiz, now=at(30))
    submit_right(bob, quiz, now=at(86400))
    # a pass taken back and given again leaves three live quiz entries for alice
    AttemptQuestion.objects.filter(attempt=attempt).update(fraction=D(0), score=D(0))
    attempt_rescore(attempt_id=attempt.pk)
    AttemptQuestion.objects.filter(attempt=attempt).update(fraction=D(1), score=D(1))
    attempt_rescore(attempt_id=attempt.pk)
    totals = {u.pk: live_total(u) for u in (alice, bob)}
    # when the year is recomputed
    report = ledger_recompute(date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 31))
    # then the totals are the same, with one quiz entry per member
    assert report.total_before == report.total_after
    assert {u.pk: live_total(u) for u in (alice, bob)} == totals
    assert quiz_entries(alice) == [(f"quiz:{quiz.pk}:user:{alice.pk}", D("1.50"), date(2026, 3, 2))]
    assert quiz_entries(bob) == [(f"quiz:{quiz.pk}:user:{bob.pk}", D("1.50"), date(2026, 3, 3))]
    # and again: nothing changes
    ledger_recompute(date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 31))
    assert {u.pk: live_total(u) for u in (alice, bob)} == totals


def test_rule_off_credits_no_quiz_hours_but_completes_the_lesson(quiz_world, solo):
    _course, quiz = solo
    set_rules(credit_quiz_pass=False)
    submit_right(quiz_world.alice, quiz, now=at(30))
    assert quiz_entries(quiz_world.alice) == []
    assert LessonProgress.objects.filter(
        user=quiz_world.alice, lesson=quiz, state=LessonProgress.State.DONE
    ).exists()
    # recompute under the same rule agrees
    ledger_recompute(date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 31))
    assert quiz_entries(quiz_world.alice) == []


def test_recompute_after_turning_the_rule_on_credits_past_passes(quiz_world, solo):
    _course, quiz = solo
    set_rules(credit_quiz_pass=False)
    submit_right(quiz_world.alice, quiz, now=at(30))
    set_rules(credit_quiz_pass=True)
    ledger_recompute(date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 31))
    assert [h for _k, h, _d in quiz_entries(quiz_world.alice)] == [D("1.50")]


def test_quiz_without_hours_credits_nothing(quiz_world):
    course = make_course(audience=[quiz_world.org.branch_a], credit_hours="0")
    quiz = make_quiz(course, questions=[quiz_world.questions["single"]], credit_hours=D("0"))
    submit_right(quiz_world.alice, quiz, now=at(30))
    assert quiz_entries(quiz_world.alice) == []
    ledger_recompute(date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 31))
    assert quiz_entries(quiz_world.alice) == []


def test_inactive_member_closed_later_gets_a_result_but_no_credit(quiz_world, solo):
    from exams.quizzes.services.attempts import attempt_start, attempts_close_overdue

    _course, quiz = solo
    quiz.time_limit_minutes = 10
    quiz.save()
    alice = quiz_world.alice
    attempt, _ = attempt_start(user=alice, quiz_id=quiz.pk, now=at(0))
    from exams.quizzes.services.attempts import AnswerInput, responses_save

    responses_save(
        user=alice,
        attempt_id=attempt.pk,
        answers=[AnswerInput(position=1, response={"choice": "a"}, seq=1)],
        now=at(60),
    )
    alice.is_active = False
    alice.save()
    assert attempts_close_overdue(now=at(3600)) == 1
    result = QuizResult.objects.get(quiz=quiz, user=alice)
    assert (result.passed, result.first_passed_at) == (True, None)
    assert quiz_entries(alice) == []
    assert not LessonProgress.objects.filter(user=alice, lesson=quiz).exists()
