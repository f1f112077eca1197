"""Shared quiz fixtures and helpers (tests/exams/conftest.py has ``world``, ``T0``, ``at``).

Building blocks (plain functions, usable from any test):

- ``spec_for(qtype, *, text=None, mark="1")``: a valid ``QuestionSpec`` of each type with
  a known right answer (``spec.correct_response(spec)``) and feedback everywhere, so that
  tests can look for leaks: every fraction, feedback and accepted answer contains a
  marker from ``SECRETS``.
- ``make_category(*names)``: the category at that path (created where missing).
- ``make_question(qtype="single", *, category=None, spec=None, archived=False)``: a bank
  question through ``bank.question_create``.
- ``make_quiz(course, *, questions=(), draws=(), **settings)``: a published quiz lesson
  in ``course`` with one fixed slot per question (in order) and one random slot per
  ``(category, count)`` of ``draws``; ``settings`` are ``QuizLessonPage`` fields
  (``time_limit_minutes``, ``attempts_allowed``, ``pass_percent``, ``credit_hours``,
  ``questions_per_page``, ``navigation``, ``review_*``, ``closes_at`` …; shuffling is
  off by default here so that positions are predictable).
- ``answers_for(attempt, *, right=True, seq=1)``: an ``AnswerInput`` per question of the
  attempt: the right response, or a wrong one (``wrong_response``).
- ``submit_right(user, quiz, *, now=None)`` / ``submit_wrong(...)``: start, answer every
  question, submit; returns the attempt.

Fixtures:

- ``quiz_world``: ``world`` (tests/exams/conftest.py: org, alice and bob in branch A, …)
  plus ``course`` (audience: branch A only; ``west`` is a member of the west branch,
  outside it), ``category`` with one question of every type, ``quiz`` (one fixed slot per
  type except essay, pass mark 60 %, 2 credit hours), ``essay_quiz`` (a single essay)
  and ``questions`` (qtype → Question).
"""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from exams.quizzes import bank
from exams.quizzes import spec as qspec
from exams.quizzes.models import Attempt, Question, QuizLessonPage, QuizSlot
from exams.quizzes.services.attempts import (
    AnswerInput,
    attempt_start,
    attempt_submit,
    responses_save,
)
from tests.exams.conftest import make_course

_n = itertools.count(1)


@pytest.fixture(autouse=True)
def english():
    """Messages in English, whatever an earlier test's request left active (the suite
    runs in random order); a page request still speaks its own client's language."""
    with translation.override("en"):
        yield


#: Words that appear only in grading data (fractions aside): never in a member's payload
#: before the review allows.
SECRETS = ("SECRETFEEDBACK", "SECRETANSWER", "SECRETGENERAL")

D = Decimal


def spec_for(qtype: str, *, text: str | None = None, mark: str = "1") -> qspec.QuestionSpec:
    """A valid question of ``qtype`` (see the module docstring)."""
    n = next(_n)
    body = text or f"<p>Question {n} ({qtype})?</p>"
    common = {
        "qtype": qtype,
        "text": body,
        "name": f"Q{n} {qtype}",
        "general_feedback": "<p>SECRETGENERAL explanation</p>",
        "default_mark": D(mark),
    }
    if qtype == qspec.SINGLE:
        return qspec.QuestionSpec(
            **common,
            choices=(
                qspec.Choice("a", "<p>Alpha</p>", D("1"), "SECRETFEEDBACK right"),
                qspec.Choice("b", "<p>Beta</p>", D("0"), "SECRETFEEDBACK wrong"),
                qspec.Choice("c", "<p>Gamma</p>", D("0.25"), "SECRETFEEDBACK almost"),
            ),
        )
    if qtype == qspec.MULTI:
        return qspec.QuestionSpec(
            **common,
            choices=(
                qspec.Choice("a", "<p>One</p>", D("0.5"), "SECRETFEEDBACK yes"),
                qspec.Choice("b", "<p>Two</p>", D("0.5"), "SECRETFEEDBACK yes too"),
                qspec.Choice("c", "<p>Three</p>", D("-1"), "SECRETFEEDBACK no"),
            ),
        )
    if qtype == qspec.TRUEFALSE:
        return qspec.QuestionSpec(
            **common,
            choices=(
                qspec.Choice("true", "True", D("1"), "SECRETFEEDBACK true"),
                qspec.Choice("false", "False", D("0"), "SECRETFEEDBACK false"),
            ),
        )
    if qtype == qspec.SHORTANSWER:
        return qspec.QuestionSpec(
            **common,
            text_answers=(
                qspec.TextAnswer("SECRETANSWER", D("1"), "SECRETFEEDBACK exact"),
                qspec.TextAnswer("SECRET*", D("0.5"), "SECRETFEEDBACK close"),
            ),
        )
    if qtype == qspec.NUMERICAL:
        return qspec.QuestionSpec(
            **common,
            numeric_answers=(
                qspec.NumericAnswer(D("42.125"), D("0.005"), D("1"), "SECRETFEEDBACK spot on"),
            ),
        )
    if qtype == qspec.GAPFILL:
        return qspec.QuestionSpec(
            **{**common, "text": f"<p>Fill {n}: [[1]] and [[2]].</p>"},
            text_answers=(
                qspec.TextAnswer("SECRETANSWERone", D("1"), "SECRETFEEDBACK gap one", gap=1),
                qspec.TextAnswer("SECRETANSWERtwo", D("1"), "SECRETFEEDBACK gap two", gap=2),
            ),
        )
    if qtype == qspec.MATCHING:
        return qspec.QuestionSpec(
            **common,
            pairs=(
                qspec.MatchPair("p1", "Fire", "Extinguisher"),
                qspec.MatchPair("p2", "Cut", "Bandage"),
                qspec.MatchPair("p3", "Dark", "Torch"),
                qspec.MatchPair("p4", "", "Umbrella"),
            ),
        )
    if qtype == qspec.ORDERING:
        return qspec.QuestionSpec(
            **common,
            items=(
                qspec.OrderItem("i1", "First"),
                qspec.OrderItem("i2", "Second"),
                qspec.OrderItem("i3", "Third"),
                qspec.OrderItem("i4", "Fourth"),
            ),
        )
    if qtype == qspec.ESSAY:
        return qspec.QuestionSpec(**common)
    raise ValueError(qtype)


def wrong_response(spec: qspec.QuestionSpec) -> dict:
    """A response that earns 0 for ``spec`` (an essay: an empty text)."""
    return {
        qspec.SINGLE: {"choice": "b"},
        qspec.MULTI: {"choices": ["c"]},
        qspec.TRUEFALSE: {"choice": "false"},
        qspec.SHORTANSWER: {"text": "nothing like it"},
        qspec.NUMERICAL: {"value": "7"},
        qspec.GAPFILL: {"gaps": ["x", "y"]},
        qspec.MATCHING: {"matches": {"p1": "Umbrella", "p2": "Umbrella", "p3": "Umbrella"}},
        qspec.ORDERING: {"order": ["i4", "i1", "i2", "i3"]},
        qspec.ESSAY: {"text": ""},
    }[spec.qtype]


def right_response(spec: qspec.QuestionSpec) -> dict:
    """Full marks (an essay: a text, which waits for marking)."""
    return qspec.correct_response(spec) or {"text": "My essay about safety."}


def make_category(*names: str):
    return bank.category_ensure_path(names=list(names) or [f"Category {next(_n)}"])


def make_question(
    qtype: str = qspec.SINGLE,
    *,
    category=None,
    spec: qspec.QuestionSpec | None = None,
    archived: bool = False,
) -> Question:
    question = bank.question_create(
        category=category or make_category("Bank"), spec=spec or spec_for(qtype)
    )
    if archived:
        question.archived = True
        question.save(update_fields=["archived"])
    return question


def make_quiz(
    course,
    *,
    questions=(),
    draws=(),
    **settings,
) -> QuizLessonPage:
    """A published quiz lesson (see the module docstring)."""
    n = next(_n)
    settings.setdefault("shuffle_questions", False)
    settings.setdefault("shuffle_options", False)
    quiz = QuizLessonPage(title=f"Quiz {n}", slug=f"quiz-{n}", **settings)
    course.add_child(instance=quiz)
    order = itertools.count()
    for question in questions:
        QuizSlot.objects.create(quiz=quiz, question=question, sort_order=next(order))
    for draw in draws:
        category, count = draw[0], draw[1]
        extra = draw[2] if len(draw) > 2 else {}
        QuizSlot.objects.create(
            quiz=quiz, category=category, count=count, sort_order=next(order), **extra
        )
    return quiz


def answers_for(attempt: Attempt, *, right: bool = True, seq: int = 1) -> list[AnswerInput]:
    answers = []
    for row in attempt.questions.select_related("version").order_by("position"):
        spec = row.version.spec_obj
        response = right_response(spec) if right else wrong_response(spec)
        answers.append(AnswerInput(position=row.position, response=response, seq=seq))
    return answers


def _sit(user, quiz, *, right: bool, now: datetime | None) -> Attempt:
    attempt, _created = attempt_start(user=user, quiz_id=quiz.pk, now=now)
    responses_save(
        user=user, attempt_id=attempt.pk, answers=answers_for(attempt, right=right), now=now
    )
    return attempt_submit(user=user, attempt_id=attempt.pk, now=now)


def submit_right(user, quiz, *, now: datetime | None = None) -> Attempt:
    """Start, answer every question right, submit (``now``: the server's time)."""
    return _sit(user, quiz, right=True, now=now)


def submit_wrong(user, quiz, *, now: datetime | None = None) -> Attempt:
    return _sit(user, quiz, right=False, now=now)


AUTO_TYPES = tuple(t for t in qspec.QUESTION_TYPES if t != qspec.ESSAY)


@pytest.fixture
def quiz_world(world, member_factory):
    """See the module docstring."""
    org = world.org
    course = make_course(audience=[org.branch_a])
    category = make_category("Safety", f"Set {next(_n)}")
    questions = {qtype: make_question(qtype, category=category) for qtype in qspec.QUESTION_TYPES}
    quiz = make_quiz(
        course,
        questions=[questions[t] for t in AUTO_TYPES],
        pass_percent=D("60"),
        credit_hours=D("2"),
    )
    essay_quiz = make_quiz(course, questions=[questions[qspec.ESSAY]], credit_hours=D("1"))
    return SimpleNamespace(
        **vars(world),
        west=member_factory(org.west_branch, username="west"),
        quiz_course=course,
        category=category,
        questions=questions,
        quiz=quiz,
        essay_quiz=essay_quiz,
    )
