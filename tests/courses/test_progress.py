from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from courses.models import Enrolment, LessonProgress
from courses.selectors import course_progress, lesson_is_locked
from courses.services import (
    course_completion_evaluate,
    enrolment_create,
    lesson_complete,
    lesson_progress_record,
)

from .factories import make_course, make_lesson

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    course = make_course("Ordered", enforce_order=True, credit_hours=Decimal("3.5"))
    make_lesson(course, "One")
    make_lesson(course, "Two (optional)", required_for_completion=False)
    make_lesson(course, "Three")
    return course


def lessons(course):
    return list(course.get_children().specific().order_by("path"))


class TestLessonProgress:
    def test_record_moves_to_in_progress_and_keeps_position(self, org, member, course):
        one = lessons(course)[0]

        progress = lesson_progress_record(user=member, lesson=one, position_seconds=12.5)

        assert progress.state == LessonProgress.State.IN_PROGRESS
        assert progress.started_at is not None
        assert progress.last_position_seconds == 12.5
        assert Enrolment.objects.filter(user=member, course=course).exists()

    def test_a_done_lesson_stays_done(self, org, member, course):
        one = lessons(course)[0]
        lesson_complete(user=member, lesson=one)
        progress = lesson_progress_record(user=member, lesson=one, position_seconds=3)
        assert progress.state == LessonProgress.State.DONE


class TestCompletion:
    def test_complete_when_every_required_lesson_is_done_and_recorded_once(
        self, org, member, course
    ):
        # given
        one, _two, three = lessons(course)
        enrolment_create(user=member, course=course)
        first_time = timezone.now() - timedelta(days=1)

        # when the required lessons are done (the optional one never)
        lesson_complete(user=member, lesson=one, when=first_time)
        assert Enrolment.objects.get(user=member).completed_at is None
        lesson_complete(user=member, lesson=three, when=first_time)

        # then completion is recorded with the course's hours
        enrolment = Enrolment.objects.get(user=member)
        assert enrolment.completed_at == first_time
        assert enrolment.awarded_hours == Decimal("3.5")

        # and evaluating again, or completing again, changes nothing
        course.credit_hours = Decimal("9")
        course.save()
        assert course_completion_evaluate(user=member, course=course) is False
        lesson_complete(user=member, lesson=three)
        enrolment.refresh_from_db()
        assert enrolment.completed_at == first_time
        assert enrolment.awarded_hours == Decimal("3.5")

    def test_course_without_required_lessons_is_not_complete(self, org, member):
        course = make_course()
        enrolment_create(user=member, course=course)
        assert course_completion_evaluate(user=member, course=course) is False


class TestOrder:
    def test_locks_until_earlier_required_lessons_are_done(self, org, member, course):
        one, two, three = lessons(course)

        assert not lesson_is_locked(user=member, lesson=one)
        assert lesson_is_locked(user=member, lesson=two)
        assert lesson_is_locked(user=member, lesson=three)

        lesson_complete(user=member, lesson=one)

        assert not lesson_is_locked(user=member, lesson=two)
        assert not lesson_is_locked(user=member, lesson=three)  # two is optional

    def test_course_progress_rows(self, org, member, course):
        one, two, three = lessons(course)
        enrolment_create(user=member, course=course)
        lesson_progress_record(user=member, lesson=one)

        progress = course_progress(user=member, course=course)

        assert [r.state for r in progress.lessons] == ["in_progress", "not_started", "not_started"]
        assert [r.locked for r in progress.lessons] == [False, True, True]
        assert progress.next_lesson == one
        assert progress.percent == 0

        lesson_complete(user=member, lesson=one)
        progress = course_progress(user=member, course=course)
        assert progress.percent == 50
        assert progress.next_lesson == two
        assert progress.hours_credited == Decimal("0")

    def test_locked_lesson_page_hides_the_body(self, client, org, member, course):
        _one, _two, three = lessons(course)
        enrolment_create(user=member, course=course)
        client.force_login(member)

        response = client.get(three.url)

        assert response.status_code == 200
        assert response.context["locked"]
        assert "Text of lesson" not in response.content.decode()
        assert not LessonProgress.objects.filter(lesson=three).exists()
