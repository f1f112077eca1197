"""The quizzes' demo data (exams.quizzes.demo): a bank with every type and a timed quiz."""

import io
from decimal import Decimal

import pytest

from cms import demo as cms_demo
from courses import demo as courses_demo
from exams.quizzes import demo
from exams.quizzes import spec as qspec
from exams.quizzes.models import (
    Question,
    QuestionCategory,
    QuestionVersion,
    QuizLessonPage,
    QuizSlot,
)
from exams.quizzes.validation import spec_errors

pytestmark = pytest.mark.django_db


def counts():
    return (
        QuestionCategory.objects.count(),
        Question.objects.count(),
        QuestionVersion.objects.count(),
        QuizLessonPage.objects.count(),
        QuizSlot.objects.count(),
    )


def test_seeding_twice_changes_nothing_and_every_type_is_there():
    out = io.StringIO()
    cms_demo.seed(stdout=out)
    courses_demo.seed(stdout=out)

    demo.seed(stdout=out)
    first = counts()
    demo.seed(stdout=out)

    assert counts() == first
    assert set(Question.objects.values_list("qtype", flat=True)) == set(qspec.QUESTION_TYPES)
    assert all(not spec_errors(q.spec) for q in Question.objects.select_related("current_version"))
    assert "quizzes:" in out.getvalue()


def test_the_demo_quiz_is_timed_with_fixed_and_random_questions():
    cms_demo.seed(stdout=io.StringIO())
    courses_demo.seed(stdout=io.StringIO())

    demo.seed(stdout=io.StringIO())

    quiz = QuizLessonPage.objects.get(slug=demo.QUIZ_SLUG)
    assert quiz.live
    assert quiz.get_parent().slug == demo.COURSE_SLUG
    assert (quiz.time_limit_minutes, quiz.attempts_allowed) == (10, 2)
    assert (quiz.pass_percent, quiz.credit_hours) == (Decimal(60), Decimal("0.5"))
    assert (quiz.review_score, quiz.review_feedback, quiz.review_answers) == (
        "immediately",
        "immediately",
        "after_close",
    )
    slots = list(quiz.slots.order_by("sort_order"))
    fixed = [slot.question for slot in slots if slot.question_id]
    drawn = [slot for slot in slots if slot.category_id]
    assert len(fixed) == len(demo.FIXED)
    assert [(slot.category.name, slot.count) for slot in drawn] == [(demo.RANDOM_POOL, 3)]
    pool = Question.objects.filter(category=drawn[0].category)
    assert pool.count() >= 3
    assert qspec.ESSAY not in {q.qtype for q in [*fixed, *pool]}  # graded at once


def test_without_the_demo_course_the_bank_is_still_made():
    out = io.StringIO()

    demo.seed(stdout=out)

    assert Question.objects.count() == sum(len(rows) for rows in demo.QUESTIONS.values())
    assert not QuizLessonPage.objects.exists()
    assert "no quiz" in out.getvalue()


def test_the_sample_files_for_the_importers_parse_without_a_problem(tmp_path):
    from exams.quizzes.formats import parse_any

    written = demo.write_import_samples(folder=tmp_path)

    names = sorted(path.name for path in written)
    assert names == ["sample.aiken.txt", "sample.gift.txt", "sample.moodle.xml", "sample.xlsx"]
    for path in written:
        fmt, result = parse_any(path.name, path.read_bytes())
        assert result.questions, path.name
        # the Moodle sample lists two types the platform does not support, on purpose
        expected_problems = 2 if fmt == "moodlexml" else 0
        assert len(result.problems) == expected_problems, (path.name, result.problems)
    gift_specs = parse_any("g.txt", (tmp_path / "sample.gift.txt").read_bytes())[1].questions
    xlsx_specs = parse_any("s.xlsx", (tmp_path / "sample.xlsx").read_bytes())[1].questions
    assert [q.spec for q in xlsx_specs] == [q.spec for q in gift_specs]
