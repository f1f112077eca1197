"""Regrading a corrected question across finished attempts (helper H)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from wagtail.models import PageLogEntry

from exams.hours.models import StudyHourEntry
from exams.quizzes.bank import question_create, question_update
from exams.quizzes.models import Attempt, AttemptQuestion, QuizResult
from exams.quizzes.services.attempts import attempt_start
from exams.quizzes.services.marking import essay_mark
from exams.quizzes.services.regrade import question_regrade

from .test_marking import (
    assert_admin_denied,
    essay_answer,
    essay_spec,
    make_bank,
    make_quiz,
    people_fixture,  # noqa: F401  (the ``people`` fixture)
    single_spec,
    take,
)


def _answer(attempt, question) -> AttemptQuestion:
    return AttemptQuestion.objects.get(attempt=attempt, version__question=question)


def _state(attempt) -> tuple:
    attempt = Attempt.objects.get(pk=attempt.pk)
    return attempt.score, attempt.percent, attempt.passed


@pytest.fixture
def wrong_key(people):
    """A single-choice question whose key wrongly says "b", a second (right) question,
    and a quiz of both, pass mark 50 %. Alice answered "a" (the truth) on the first and
    right on the second; bob answered "b" on the first and wrong on the second. Then a
    trainer corrects the key: version 2 says "a"."""
    bank = make_bank()
    wrong = question_create(category=bank.category, spec=single_spec(right="b"))
    quiz = make_quiz([wrong, bank.single], pass_percent="50")
    alice = take(people.alice, quiz, {wrong.pk: {"choice": "a"}, bank.single.pk: {"choice": "a"}})
    bob = take(people.bob, quiz, {wrong.pk: {"choice": "b"}, bank.single.pk: {"choice": "b"}})
    v1 = wrong.current_version
    v2 = question_update(question=wrong, spec=single_spec(right="a"), user=people.trainer)
    return SimpleNamespace(
        people=people, bank=bank, wrong=wrong, quiz=quiz, alice=alice, bob=bob, v1=v1, v2=v2
    )


def test_the_attempts_start_from_the_wrong_key(wrong_key):
    assert _state(wrong_key.alice) == (Decimal("1.000"), Decimal("50.00"), True)
    assert _state(wrong_key.bob) == (Decimal("1.000"), Decimal("50.00"), True)


def test_regrade_moves_answers_onto_the_new_version_and_rescores(wrong_key):
    # when the trainer regrades the corrected question
    report = question_regrade(question_id=wrong_key.wrong.pk, user=wrong_key.people.trainer)
    # then alice gains the point and bob loses it, and their results follow
    assert _state(wrong_key.alice) == (Decimal("2.000"), Decimal("100.00"), True)
    assert _state(wrong_key.bob) == (Decimal("0.000"), Decimal("0.00"), False)
    assert QuizResult.objects.get(quiz=wrong_key.quiz, user=wrong_key.people.bob).passed is False
    alice_answer = _answer(wrong_key.alice, wrong_key.wrong)
    assert alice_answer.version == wrong_key.v2
    assert (alice_answer.fraction, alice_answer.score) == (Decimal(1), Decimal("1.000"))
    # and the report says what changed
    assert report.dry_run is False
    assert report.version_id == wrong_key.v2.pk
    assert (report.answers_checked, report.answers_changed, report.attempts_changed) == (2, 2, 2)
    by_attempt = {change.attempt_id: change for change in report.changes}
    assert (by_attempt[wrong_key.alice.pk].old_score, by_attempt[wrong_key.alice.pk].new_score) == (
        Decimal("1.000"),
        Decimal("2.000"),
    )
    assert by_attempt[wrong_key.bob.pk].pass_changed is True
    assert by_attempt[wrong_key.alice.pk].pass_changed is False


def test_regrade_leaves_the_other_questions_alone(wrong_key):
    # given the other question's answers as they are
    before = {
        attempt.pk: (a.version_id, a.fraction, a.score, a.option_order)
        for attempt in (wrong_key.alice, wrong_key.bob)
        for a in [_answer(attempt, wrong_key.bank.single)]
    }
    # when the corrected question is regraded
    question_regrade(question_id=wrong_key.wrong.pk, user=wrong_key.people.trainer)
    # then the other question's answers are untouched
    after = {
        attempt.pk: (a.version_id, a.fraction, a.score, a.option_order)
        for attempt in (wrong_key.alice, wrong_key.bob)
        for a in [_answer(attempt, wrong_key.bank.single)]
    }
    assert after == before


def test_regrade_is_idempotent(wrong_key):
    # given a regrade done
    question_regrade(question_id=wrong_key.wrong.pk, user=wrong_key.people.trainer)
    states = (_state(wrong_key.alice), _state(wrong_key.bob))
    logged = PageLogEntry.objects.filter(action="quizzes.regrade").count()
    # when it runs again
    report = question_regrade(question_id=wrong_key.wrong.pk, user=wrong_key.people.trainer)
    # then nothing changes and nothing more is logged
    assert (report.answers_checked, report.answers_changed, report.attempts_changed) == (2, 0, 0)
    assert (_state(wrong_key.alice), _state(wrong_key.bob)) == states
    assert PageLogEntry.objects.filter(action="quizzes.regrade").count() == logged


def test_a_dry_run_reports_the_same_and_stores_nothing(wrong_key):
    # when the trainer previews the regrade
    preview = question_regrade(
        question_id=wrong_key.wrong.pk, user=wrong_key.people.trainer, dry_run=True
    )
    # then nothing was stored or logged
    assert _state(wrong_key.alice) == (Decimal("1.000"), Decimal("50.00"), True)
    assert _state(wrong_key.bob) == (Decimal("1.000"), Decimal("50.00"), True)
    assert _answer(wrong_key.alice, wrong_key.wrong).version == wrong_key.v1
    assert QuizResult.objects.get(quiz=wrong_key.quiz, user=wrong_key.people.bob).passed is True
    assert not PageLogEntry.objects.filter(action="quizzes.regrade").exists()
    # and the real run does exactly what the preview said
    real = question_regrade(question_id=wrong_key.wrong.pk, user=wrong_key.people.trainer)
    assert preview.dry_run and not real.dry_run
    assert preview.changes == real.changes
    assert (preview.answers_checked, preview.answers_changed) == (
        real.answers_checked,
        real.answers_changed,
    )


def test_a_regrade_is_logged_on_the_quiz_with_who_and_what(wrong_key):
    question_regrade(question_id=wrong_key.wrong.pk, user=wrong_key.people.trainer)
    entry = PageLogEntry.objects.get(action="quizzes.regrade", page=wrong_key.quiz)
    assert entry.user == wrong_key.people.trainer
    assert entry.data["question"] == wrong_key.wrong.pk
    assert entry.data["version"] == 2
    assert entry.data["attempts_changed"] == 2
    changes = {change["member"]: change for change in entry.data["changes"]}
    assert changes[wrong_key.people.bob.pk]["score"] == ["1.000", "0.000"]
    assert changes[wrong_key.people.bob.pk]["passed"] == [True, False]
    assert changes[wrong_key.people.alice.pk]["percent"] == ["50.00", "100.00"]


def test_regrade_onto_an_older_version_puts_things_back(wrong_key):
    # given a regrade onto version 2
    question_regrade(question_id=wrong_key.wrong.pk, user=wrong_key.people.trainer)
    # when the trainer regrades back onto version 1
    report = question_regrade(
        question_id=wrong_key.wrong.pk, version_id=wrong_key.v1.pk, user=wrong_key.people.trainer
    )
    # then the scores are those of the first grading
    assert report.attempts_changed == 2
    assert _state(wrong_key.alice) == (Decimal("1.000"), Decimal("50.00"), True)
    assert _state(wrong_key.bob) == (Decimal("1.000"), Decimal("50.00"), True)


def test_attempts_in_progress_are_left_alone(wrong_key):
    # given alice's second attempt in progress, showing version 1 (a new attempt draws
    # the current version, so it is set back by hand: as if started before the fix)
    attempt, _created = attempt_start(user=wrong_key.people.alice, quiz_id=wrong_key.quiz.pk)
    answer = _answer(attempt, wrong_key.wrong)
    AttemptQuestion.objects.filter(pk=answer.pk).update(version=wrong_key.v1)
    # when the question is regraded
    report = question_regrade(question_id=wrong_key.wrong.pk, user=wrong_key.people.trainer)
    # then the attempt in progress keeps its version and has no score
    answer.refresh_from_db()
    assert answer.version == wrong_key.v1
    assert answer.score is None
    assert report.in_progress_skipped == 1


def test_marked_essays_keep_their_marks(people):
    # given an essay marked 3/4, and then its text corrected
    bank = make_bank()
    quiz = make_quiz([bank.essay])
    attempt = take(people.alice, quiz, {bank.essay.pk: {"text": "My answer"}})
    answer = essay_answer(attempt)
    essay_mark(marker=people.trainer, attempt_question_id=answer.pk, score=3, comment="ok")
    v2 = question_update(question=bank.essay, spec=essay_spec(text="<p>Explain it.</p>"))
    # when the essay question is regraded
    report = question_regrade(question_id=bank.essay.pk, user=people.trainer)
    # then the essay is on version 2 with its mark and comment unchanged
    answer.refresh_from_db()
    assert answer.version == v2
    assert (answer.score, answer.comment, answer.graded_by) == (
        Decimal("3.000"),
        "ok",
        people.trainer,
    )
    assert _state(attempt) == (Decimal("3.000"), Decimal("75.00"), True)
    assert report.attempts_changed == 1


@pytest.mark.parametrize("who", ["alice", "manager"])
def test_members_and_managers_may_not_regrade(wrong_key, who):
    with pytest.raises(PermissionDenied):
        question_regrade(question_id=wrong_key.wrong.pk, user=getattr(wrong_key.people, who))
    assert _answer(wrong_key.alice, wrong_key.wrong).version == wrong_key.v1


def test_a_version_of_another_question_is_refused(wrong_key):
    other_version = wrong_key.bank.single.current_version
    with pytest.raises(ValidationError):
        question_regrade(
            question_id=wrong_key.wrong.pk,
            version_id=other_version.pk,
            user=wrong_key.people.trainer,
        )
    assert _answer(wrong_key.alice, wrong_key.wrong).version == wrong_key.v1


def test_an_unknown_question_is_refused(people):
    with pytest.raises(ValidationError):
        question_regrade(question_id=999_999, user=people.trainer)


# --- the admin --------------------------------------------------------------------------


def test_preview_then_confirm_through_the_admin(wrong_key, client):
    client.force_login(wrong_key.people.trainer)
    url = reverse("quizzes_marking:regrade")
    data = {"question": wrong_key.wrong.pk, "version": wrong_key.v2.pk, "quiz": wrong_key.quiz.pk}
    # when the trainer previews
    preview = client.post(url, {**data, "action": "preview"})
    # then the report shows and nothing changed
    assert preview.status_code == 200
    assert preview.context["report"].attempts_changed == 2
    assert 'value="confirm"' in preview.text
    assert _state(wrong_key.bob) == (Decimal("1.000"), Decimal("50.00"), True)
    # when they confirm
    done = client.post(url, {**data, "action": "confirm"})
    # then the attempts are regraded and they are back on the quiz's statistics
    assert done.status_code == 302
    assert done["Location"] == reverse("quizzes_statistics:quiz", args=[wrong_key.quiz.pk])
    assert _state(wrong_key.bob) == (Decimal("0.000"), Decimal("0.00"), False)


def test_the_regrade_form_opens_with_the_current_version(wrong_key, client):
    client.force_login(wrong_key.people.trainer)
    response = client.get(reverse("quizzes_marking:regrade"), {"question": wrong_key.wrong.pk})
    assert response.status_code == 200
    assert response.context["form"]["version"].value() == wrong_key.v2.pk


@pytest.mark.parametrize(
    "data, status",
    [
        ({"question": "x", "version": "1"}, 404),
        ({"question": "999999", "version": "1"}, 404),
        ({"version": "1"}, 404),
    ],
)
def test_bad_regrade_posts_are_4xx(wrong_key, client, data, status):
    client.force_login(wrong_key.people.trainer)
    response = client.post(reverse("quizzes_marking:regrade"), {**data, "action": "confirm"})
    assert response.status_code == status
    assert _answer(wrong_key.alice, wrong_key.wrong).version == wrong_key.v1


def test_a_version_of_another_question_through_the_admin_is_a_400(wrong_key, client):
    client.force_login(wrong_key.people.trainer)
    response = client.post(
        reverse("quizzes_marking:regrade"),
        {
            "question": wrong_key.wrong.pk,
            "version": wrong_key.bank.single.current_version_id,
            "action": "confirm",
        },
    )
    assert response.status_code == 400
    assert _answer(wrong_key.alice, wrong_key.wrong).version == wrong_key.v1


def test_managers_may_not_regrade_through_the_admin(wrong_key, client):
    client.force_login(wrong_key.people.manager)
    response = client.post(
        reverse("quizzes_marking:regrade"),
        {"question": wrong_key.wrong.pk, "version": wrong_key.v2.pk, "action": "confirm"},
    )
    assert_admin_denied(response)
    assert _answer(wrong_key.alice, wrong_key.wrong).version == wrong_key.v1


def _quiz_hours(user, quiz) -> Decimal:
    entries = StudyHourEntry.objects.filter(
        user=user,
        lesson_id=quiz.pk,
        source=StudyHourEntry.Source.QUIZ,
        superseded_by__isnull=True,
    )
    return sum((entry.hours for entry in entries), Decimal(0))


def test_hours_follow_the_result_a_regrade_takes_away_or_gives_back(people):
    # given a quiz crediting 0.5 h whose key is wrong; bob passes on the wrong key
    bank = make_bank()
    wrong = question_create(category=bank.category, spec=single_spec(right="b"))
    quiz = make_quiz([wrong], pass_percent="50", credit_hours=Decimal("0.5"))
    bob = take(people.bob, quiz, {wrong.pk: {"choice": "b"}})
    v1 = wrong.current_version
    assert _quiz_hours(people.bob, quiz) == Decimal("0.5")
    question_update(question=wrong, spec=single_spec(right="a"))
    # when a dry run is previewed, then the hours stay
    question_regrade(question_id=wrong.pk, user=people.trainer, dry_run=True)
    assert _quiz_hours(people.bob, quiz) == Decimal("0.5")
    # when the corrected key is regraded, then bob never passed: his quiz hours are gone
    question_regrade(question_id=wrong.pk, user=people.trainer)
    assert _state(bob)[2] is False
    result = QuizResult.objects.get(quiz=quiz, user=people.bob)
    assert (result.passed, result.first_passed_at) == (False, None)
    assert _quiz_hours(people.bob, quiz) == Decimal("0")
    # when it is regraded back onto version 1, then the hours come back, once
    question_regrade(question_id=wrong.pk, version_id=v1.pk, user=people.trainer)
    question_regrade(question_id=wrong.pk, version_id=v1.pk, user=people.trainer)
    assert _quiz_hours(people.bob, quiz) == Decimal("0.5")
