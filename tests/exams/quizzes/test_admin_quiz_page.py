"""A trainer builds a timed quiz lesson in the Wagtail page editor."""

import pytest
from django.test import Client
from django.urls import reverse

from cms import roles
from exams.quizzes.models import QuizLessonPage

from .conftest import make_category, make_question

pytestmark = pytest.mark.django_db

FORMSETS = {
    "comments-TOTAL_FORMS": "0",
    "comments-INITIAL_FORMS": "0",
    "comments-MIN_NUM_FORMS": "0",
    "comments-MAX_NUM_FORMS": "1000",
    "slots-INITIAL_FORMS": "0",
    "slots-MIN_NUM_FORMS": "1",
    "slots-MAX_NUM_FORMS": "1000",
}


def slot(index: int, *, question="", category="", count="1", mark="") -> dict:
    return {
        f"slots-{index}-question": question,
        f"slots-{index}-category": category,
        f"slots-{index}-include_subcategories": "on",
        f"slots-{index}-count": count,
        f"slots-{index}-mark": mark,
        f"slots-{index}-ORDER": str(index + 1),
        f"slots-{index}-DELETE": "",
        f"slots-{index}-id": "",
    }


def quiz_form(*slots: dict, **fields) -> dict:
    data = {
        "title": "Fire safety check",
        "slug": "fire-safety-check",
        "body-count": "0",
        "required_for_completion": "on",
        "estimated_minutes": "10",
        "time_limit_minutes": "10",
        "attempts_allowed": "2",
        "grading_method": "highest",
        "pass_percent": "60",
        "credit_hours": "0",
        "questions_per_page": "0",
        "navigation": "free",
        "shuffle_options": "on",
        "review_score": "immediately",
        "review_answers": "after_close",
        "review_feedback": "immediately",
        "slots-TOTAL_FORMS": str(len(slots)),
        **FORMSETS,
    }
    for part in slots:
        data.update(part)
    data.update(fields)
    return data


@pytest.fixture
def english_client():
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def add_url(course) -> str:
    return reverse("wagtailadmin_pages:add", args=("quizzes", "quizlessonpage", course.pk))


def test_a_trainer_builds_a_timed_quiz_of_fixed_and_random_questions(
    quiz_world, member_factory, english_client
):
    trainer = member_factory(quiz_world.org.province, role=roles.TRAINERS, username="author")
    pool = make_category("Pool")
    for _ in range(3):
        make_question(category=pool)
    fixed = make_question()
    english_client.force_login(trainer)

    form_page = english_client.get(add_url(quiz_world.quiz_course))
    response = english_client.post(
        add_url(quiz_world.quiz_course),
        quiz_form(slot(0, question=str(fixed.pk)), slot(1, category=str(pool.pk), count="2")),
    )

    assert form_page.status_code == 200
    assert response.status_code == 302, response.content.decode()[:3000]
    quiz = QuizLessonPage.objects.get(slug="fire-safety-check")
    assert (quiz.time_limit_minutes, quiz.attempts_allowed, quiz.live) == (10, 2, False)
    assert quiz.completion == QuizLessonPage.Completion.QUIZ
    assert [(s.question_id, s.category_id, s.count) for s in quiz.slots.all()] == [
        (fixed.pk, None, 1),
        (None, pool.pk, 2),
    ]


@pytest.mark.parametrize(
    "slots, fields, message",
    [
        (
            lambda q, c: [slot(0, question=str(q.pk), category=str(c.pk))],
            {},
            "Choose either one question or a category to draw from.",
        ),
        (lambda q, c: [slot(0)], {}, "Choose either one question or a category to draw from."),
        (
            lambda q, c: [slot(0, question=str(q.pk))],
            {"time_limit_minutes": "100000"},
            "Ensure this value is less than or equal to 1440.",
        ),
        (
            lambda q, c: [slot(0, question=str(q.pk))],
            {"pass_percent": "101"},
            "Ensure this value is less than or equal to 100.",
        ),
    ],
)
def test_a_broken_quiz_form_is_answered_with_its_message_and_stores_nothing(
    quiz_world, member_factory, english_client, slots, fields, message
):
    trainer = member_factory(quiz_world.org.province, role=roles.TRAINERS, username="author")
    question, category = make_question(), make_category("Other")
    english_client.force_login(trainer)
    before = QuizLessonPage.objects.count()

    response = english_client.post(
        add_url(quiz_world.quiz_course), quiz_form(*slots(question, category), **fields)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert QuizLessonPage.objects.count() == before


def test_a_member_cannot_reach_the_quiz_editor(quiz_world, english_client):
    english_client.force_login(quiz_world.alice)

    response = english_client.get(add_url(quiz_world.quiz_course))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))
