"""Marking essays by hand: the service, the queue and the mark page (helper H).

The builders at the top (``make_bank``, ``make_quiz``, ``take``) are reused by
``test_regrade.py`` and ``test_admin_statistics.py``.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from wagtail.log_actions import registry
from wagtail.models import PageLogEntry

from cms import roles
from exams.quizzes import spec as qspec
from exams.quizzes.bank import category_ensure_path, question_create
from exams.quizzes.models import Attempt, AttemptQuestion, QuizLessonPage, QuizResult, QuizSlot
from exams.quizzes.services.attempts import (
    AnswerInput,
    attempt_start,
    attempt_submit,
    responses_save,
)
from exams.quizzes.services.marking import essay_mark, marking_queue
from tests.exams.conftest import make_course
from tests.factories import UserFactory

_n = itertools.count(1)

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)> & done'


# --- builders (shared with the other helper-H test files) ------------------------------


def single_spec(*, right: str = "a", text: str = "<p>2 + 2 = ?</p>") -> qspec.QuestionSpec:
    return qspec.QuestionSpec(
        qtype=qspec.SINGLE,
        text=text,
        choices=(
            qspec.Choice("a", "<p>4</p>", Decimal(1 if right == "a" else 0)),
            qspec.Choice("b", "<p>5</p>", Decimal(1 if right == "b" else 0)),
        ),
    )


def essay_spec(*, text: str = "<p>Explain the fire drill.</p>") -> qspec.QuestionSpec:
    return qspec.QuestionSpec(qtype=qspec.ESSAY, text=text, default_mark=Decimal(4))


def make_bank():
    category = category_ensure_path(names=["Marking tests", f"Set {next(_n)}"])
    return SimpleNamespace(
        category=category,
        single=question_create(category=category, spec=single_spec()),
        essay=question_create(category=category, spec=essay_spec()),
    )


def make_quiz(questions, *, pass_percent: str = "60", **fields) -> QuizLessonPage:
    """A live quiz lesson, first lesson of a new course for everyone, one fixed slot per
    question in the given order, options not shuffled."""
    course = make_course()
    n = next(_n)
    quiz = QuizLessonPage(
        title=f"Quiz {n}",
        slug=f"quiz-{n}",
        pass_percent=Decimal(pass_percent),
        shuffle_options=False,
        shuffle_questions=False,
        **fields,
    )
    course.add_child(instance=quiz)
    for order, question in enumerate(questions):
        QuizSlot.objects.create(quiz=quiz, question=question, sort_order=order)
    return quiz


def take(user, quiz: QuizLessonPage, answers: dict[int, dict]) -> Attempt:
    """``user`` starts ``quiz``, answers ``{question_id: response}`` and submits."""
    attempt, _created = attempt_start(user=user, quiz_id=quiz.pk)
    positions = dict(
        AttemptQuestion.objects.filter(attempt=attempt).values_list(
            "version__question_id", "position"
        )
    )
    responses_save(
        user=user,
        attempt_id=attempt.pk,
        answers=[
            AnswerInput(position=positions[qid], response=response, seq=1)
            for qid, response in answers.items()
        ],
    )
    return attempt_submit(user=user, attempt_id=attempt.pk)


def essay_answer(attempt: Attempt) -> AttemptQuestion:
    return AttemptQuestion.objects.get(attempt=attempt, version__question__qtype=qspec.ESSAY)


@pytest.fixture(name="people")
def people_fixture(org, member_factory):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    return SimpleNamespace(
        alice=member_factory(org.branch_a, username="alice"),
        bob=member_factory(org.branch_a, username="bob"),
        trainer=member_factory(org.province, role=roles.TRAINERS, username="trainer"),
        manager=member_factory(org.east, role=roles.MANAGERS, username="manager"),
        superuser=superuser,
    )


@pytest.fixture
def marked_world(people):
    """Alice answered the single-choice question right and wrote an essay (waiting)."""
    bank = make_bank()
    quiz = make_quiz([bank.single, bank.essay])
    attempt = take(
        people.alice, quiz, {bank.single.pk: {"choice": "a"}, bank.essay.pk: {"text": XSS}}
    )
    return SimpleNamespace(people=people, bank=bank, quiz=quiz, attempt=attempt)


def assert_admin_denied(response) -> None:
    """The admin's refusal: a manager is sent to the admin's home with "permission
    denied", a member (no admin access) to the admin's login."""
    assert response.status_code == 302
    assert response["Location"].split("?")[0] in (
        reverse("wagtailadmin_home"),
        reverse("wagtailadmin_login"),
    )


def _snapshot(answer: AttemptQuestion) -> tuple:
    answer.refresh_from_db()
    attempt = Attempt.objects.get(pk=answer.attempt_id)
    return (answer.score, answer.fraction, answer.comment, answer.graded_by_id, attempt.score,
            attempt.state, attempt.percent, attempt.passed)  # fmt: skip


# --- the service ------------------------------------------------------------------------


def test_an_essay_waits_for_marking_after_submit(marked_world):
    # given alice's submitted attempt with an essay
    attempt = Attempt.objects.get(pk=marked_world.attempt.pk)
    # then it waits, without a percent, and the essay is in the queue
    assert attempt.state == Attempt.State.NEEDS_GRADING
    assert attempt.percent is None
    assert list(marking_queue()) == [essay_answer(attempt)]


def test_marking_computes_the_attempts_total_and_pass(marked_world):
    # given alice's attempt: 1/1 on the single choice, essay (mark 4) waiting
    answer = essay_answer(marked_world.attempt)
    # when a trainer gives the essay 3 of 4
    essay_mark(
        marker=marked_world.people.trainer,
        attempt_question_id=answer.pk,
        score=Decimal("3"),
        comment="Good, but name the assembly point.",
    )
    # then the essay has its score and the attempt is graded 4/5 = 80 %, passed
    answer.refresh_from_db()
    assert (answer.score, answer.fraction) == (Decimal("3.000"), Decimal("0.7500000"))
    assert answer.graded_by == marked_world.people.trainer
    assert answer.graded_at is not None
    attempt = Attempt.objects.get(pk=marked_world.attempt.pk)
    assert attempt.state == Attempt.State.GRADED
    assert (attempt.score, attempt.percent, attempt.passed) == (
        Decimal("4.000"),
        Decimal("80.00"),
        True,
    )
    result = QuizResult.objects.get(quiz=marked_world.quiz, user=marked_world.people.alice)
    assert result.passed is True
    # and the essay has left the queue
    assert not marking_queue().exists()
    assert list(marking_queue(include_marked=True)) == [answer]


def test_marking_again_replaces_the_mark_and_can_fail_the_attempt(marked_world):
    # given an essay marked 3/4 (passed)
    answer = essay_answer(marked_world.attempt)
    trainer = marked_world.people.trainer
    essay_mark(marker=trainer, attempt_question_id=answer.pk, score=Decimal(3), comment="")
    # when the superuser marks it again 1/4
    essay_mark(
        marker=marked_world.people.superuser,
        attempt_question_id=answer.pk,
        score=Decimal("1"),
        comment="On second reading: off topic.",
    )
    # then the attempt is 2/5 = 40 %, failed
    attempt = Attempt.objects.get(pk=marked_world.attempt.pk)
    assert (attempt.score, attempt.percent, attempt.passed) == (
        Decimal("2.000"),
        Decimal("40.00"),
        False,
    )
    assert QuizResult.objects.get(quiz=marked_world.quiz).passed is False


def test_every_mark_is_in_the_audit_log_with_old_and_new_values(marked_world):
    # given an essay waiting for marking
    answer = essay_answer(marked_world.attempt)
    trainer, superuser = marked_world.people.trainer, marked_world.people.superuser
    # when it is marked, then marked again
    essay_mark(marker=trainer, attempt_question_id=answer.pk, score=Decimal(3), comment="ok")
    essay_mark(marker=superuser, attempt_question_id=answer.pk, score=Decimal(2), comment="no")
    # then two entries about the quiz page say who and what
    entries = list(
        PageLogEntry.objects.filter(page=marked_world.quiz, action="quizzes.mark").order_by("pk")
    )
    assert [entry.user for entry in entries] == [trainer, superuser]
    first, second = (entry.data for entry in entries)
    assert first["score"] == [None, "3.000"]
    assert first["comment"] == ["", "ok"]
    assert first["member"] == marked_world.people.alice.pk
    assert first["attempt"] == marked_world.attempt.pk
    assert first["attempt_passed"] == [None, True]
    assert first["remark"] is False
    assert second["score"] == ["3.000", "2.000"]
    assert second["comment"] == ["ok", "no"]
    assert second["attempt_percent"] == ["80.00", "60.00"]
    assert second["remark"] is True


def test_marking_ones_own_attempt_is_refused(people):
    # given a trainer who sat the quiz themselves
    bank = make_bank()
    quiz = make_quiz([bank.single, bank.essay])
    attempt = take(
        people.trainer, quiz, {bank.single.pk: {"choice": "a"}, bank.essay.pk: {"text": "Me"}}
    )
    answer = essay_answer(attempt)
    before = _snapshot(answer)
    # when they mark their own essay
    with pytest.raises(PermissionDenied):
        essay_mark(marker=people.trainer, attempt_question_id=answer.pk, score=4, comment="")
    # then nothing changed and nothing was logged
    assert _snapshot(answer) == before
    assert not PageLogEntry.objects.filter(action="quizzes.mark").exists()


@pytest.mark.parametrize("who", ["alice", "bob", "manager"])
def test_members_and_managers_may_not_mark(marked_world, who):
    # given an essay waiting
    answer = essay_answer(marked_world.attempt)
    before = _snapshot(answer)
    # when a member (the author or another) or a manager marks it
    with pytest.raises(PermissionDenied):
        essay_mark(
            marker=getattr(marked_world.people, who),
            attempt_question_id=answer.pk,
            score=Decimal(4),
            comment="",
        )
    # then nothing changed
    assert _snapshot(answer) == before


@pytest.mark.parametrize("score", ["-0.5", "4.001", "5", "NaN", "Infinity", "abc", ""])
def test_a_score_outside_zero_to_mark_is_refused(marked_world, score):
    # given an essay worth 4
    answer = essay_answer(marked_world.attempt)
    before = _snapshot(answer)
    # when a score outside [0, 4] (or not a number) is given
    with pytest.raises(ValidationError) as raised:
        essay_mark(
            marker=marked_world.people.trainer,
            attempt_question_id=answer.pk,
            score=score,
            comment="",
        )
    # then the score field has the error and nothing changed
    assert "score" in raised.value.message_dict
    assert _snapshot(answer) == before


@pytest.mark.parametrize("score", ["0", "4", "2.5"])
def test_scores_at_and_inside_the_bounds_are_accepted(marked_world, score):
    answer = essay_answer(marked_world.attempt)
    essay_mark(
        marker=marked_world.people.trainer,
        attempt_question_id=answer.pk,
        score=Decimal(score),
        comment="",
    )
    answer.refresh_from_db()
    assert answer.score == Decimal(score)


def test_an_attempt_in_progress_cannot_be_marked(people):
    # given bob's attempt still in progress
    bank = make_bank()
    quiz = make_quiz([bank.essay])
    attempt, _created = attempt_start(user=people.bob, quiz_id=quiz.pk)
    answer = essay_answer(attempt)
    # when a trainer marks it, then it is not found and nothing changed
    with pytest.raises(Http404):
        essay_mark(marker=people.trainer, attempt_question_id=answer.pk, score=1, comment="")
    answer.refresh_from_db()
    assert answer.score is None


def test_only_essays_are_marked_by_hand(marked_world):
    single = AttemptQuestion.objects.get(
        attempt=marked_world.attempt, version__question=marked_world.bank.single
    )
    with pytest.raises(ValidationError):
        essay_mark(
            marker=marked_world.people.trainer,
            attempt_question_id=single.pk,
            score=Decimal(0),
            comment="",
        )
    single.refresh_from_db()
    assert single.score == Decimal("1.000")


def test_an_unknown_answer_is_not_found(people):
    with pytest.raises(Http404):
        essay_mark(marker=people.trainer, attempt_question_id=999_999, score=1, comment="")


# --- the admin: queue and mark page --------------------------------------------------------


def test_the_queue_lists_waiting_essays_oldest_first_and_filters_by_quiz(people, client):
    # given two quizzes; bob submits quiz 1 first, then alice quiz 1, then alice quiz 2
    bank = make_bank()
    quiz1, quiz2 = make_quiz([bank.essay]), make_quiz([bank.essay])
    first = take(people.bob, quiz1, {bank.essay.pk: {"text": "bob one"}})
    second = take(people.alice, quiz1, {bank.essay.pk: {"text": "alice one"}})
    third = take(people.alice, quiz2, {bank.essay.pk: {"text": "alice two"}})
    Attempt.objects.filter(pk=first.pk).update(submitted_at=first.submitted_at.replace(year=2020))
    # when the trainer opens the queue, all of it and then for quiz 2
    client.force_login(people.trainer)
    everything = client.get(reverse("quizzes_marking:queue"))
    only_two = client.get(reverse("quizzes_marking:queue"), {"quiz": quiz2.pk})
    # then the answers come oldest first, and the filter keeps quiz 2's
    assert everything.status_code == 200
    page = everything.context["page"]
    assert [a.attempt_id for a in page.object_list] == [first.pk, second.pk, third.pk]
    assert [a.attempt_id for a in only_two.context["page"].object_list] == [third.pk]
    assert reverse("quizzes_marking:mark", args=[essay_answer(third).pk]) in only_two.text


def test_a_bad_quiz_filter_is_a_400(people, client):
    client.force_login(people.trainer)
    response = client.get(reverse("quizzes_marking:queue"), {"quiz": "nope"})
    assert response.status_code == 400


def test_the_mark_page_escapes_the_members_answer(marked_world, client):
    # given alice's essay holding markup and a script
    answer = essay_answer(marked_world.attempt)
    client.force_login(marked_world.people.trainer)
    # when the trainer opens the mark page
    response = client.get(reverse("quizzes_marking:mark", args=[answer.pk]))
    # then the answer is shown as text, never as markup
    assert response.status_code == 200
    html = response.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; done" in html
    assert '<script>alert("x")' not in html
    assert "<img src=x" not in html
    assert "Explain the fire drill." in html


def test_marking_through_the_page(marked_world, client):
    # given the trainer on the mark page
    answer = essay_answer(marked_world.attempt)
    client.force_login(marked_world.people.trainer)
    url = reverse("quizzes_marking:mark", args=[answer.pk])
    # when they post a score and a comment
    response = client.post(url, {"score": "3.5", "comment": "<b>Well</b> done"})
    # then they are sent back to the queue and the attempt is graded
    assert response.status_code == 302
    answer.refresh_from_db()
    assert (answer.score, answer.comment) == (Decimal("3.500"), "<b>Well</b> done")
    assert Attempt.objects.get(pk=marked_world.attempt.pk).state == Attempt.State.GRADED
    # and the page shows the comment escaped when opened again
    again = client.get(url)
    assert "&lt;b&gt;Well&lt;/b&gt; done" in again.text


@pytest.mark.parametrize("score", ["9", "-1", "abc", ""])
def test_a_score_out_of_range_is_a_form_error_and_nothing_changes(marked_world, client, score):
    answer = essay_answer(marked_world.attempt)
    before = _snapshot(answer)
    client.force_login(marked_world.people.trainer)
    response = client.post(
        reverse("quizzes_marking:mark", args=[answer.pk]), {"score": score, "comment": "x"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["score"]
    assert _snapshot(answer) == before
    assert not PageLogEntry.objects.filter(action="quizzes.mark").exists()


def test_the_range_error_names_the_mark(marked_world, client, settings):
    settings.LANGUAGE_CODE = "en"
    answer = essay_answer(marked_world.attempt)
    client.force_login(marked_world.people.trainer)
    response = client.post(
        reverse("quizzes_marking:mark", args=[answer.pk]),
        {"score": "9", "comment": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.context["form"].errors["score"] == ["The score must be between 0 and 4."]


def test_marking_ones_own_attempt_through_the_page_is_forbidden(people, client):
    bank = make_bank()
    quiz = make_quiz([bank.essay])
    attempt = take(people.trainer, quiz, {bank.essay.pk: {"text": "mine"}})
    answer = essay_answer(attempt)
    client.force_login(people.trainer)
    response = client.post(
        reverse("quizzes_marking:mark", args=[answer.pk]), {"score": "4", "comment": ""}
    )
    assert response.status_code == 403
    answer.refresh_from_db()
    assert answer.score is None


@pytest.mark.parametrize("who", ["manager", "alice"])
def test_members_and_managers_get_no_marking_pages(marked_world, client, who):
    # given a manager (admin access) or a member (no admin access)
    answer = essay_answer(marked_world.attempt)
    before = _snapshot(answer)
    client.force_login(getattr(marked_world.people, who))
    # when they open the queue or the mark page, or post a mark
    queue = client.get(reverse("quizzes_marking:queue"))
    page = client.get(reverse("quizzes_marking:mark", args=[answer.pk]))
    post = client.post(
        reverse("quizzes_marking:mark", args=[answer.pk]), {"score": "4", "comment": ""}
    )
    # then they get the admin's "permission denied" answer and nothing changed
    for response in (queue, page, post):
        assert_admin_denied(response)
    assert _snapshot(answer) == before


def test_a_mark_page_for_a_non_essay_is_not_found(marked_world, client):
    single = AttemptQuestion.objects.get(
        attempt=marked_world.attempt, version__question=marked_world.bank.single
    )
    client.force_login(marked_world.people.trainer)
    response = client.get(reverse("quizzes_marking:mark", args=[single.pk]))
    assert response.status_code == 404


def test_the_marks_show_in_the_quiz_pages_history(marked_world, client):
    # given a marked essay
    answer = essay_answer(marked_world.attempt)
    essay_mark(
        marker=marked_world.people.trainer, attempt_question_id=answer.pk, score=2, comment=""
    )
    # when the superuser opens the quiz page's history in the admin
    client.force_login(marked_world.people.superuser)
    response = client.get(reverse("wagtailadmin_pages:history", args=[marked_world.quiz.pk]))
    # then the entry is there with its label
    assert response.status_code == 200
    assert registry.action_exists("quizzes.mark") and registry.action_exists("quizzes.regrade")
    assert str(registry.get_action_label("quizzes.mark")) in response.text
