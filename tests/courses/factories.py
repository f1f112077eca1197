"""Builders for course content in tests."""

import itertools
from decimal import Decimal

from cms.models import Unit
from courses.models import CourseIndexPage, CoursePage, LessonPage

_n = itertools.count(1)


def course_section() -> CourseIndexPage:
    """The section the data migration creates under the home page."""
    return CourseIndexPage.objects.get(slug="courses")


def make_course(
    title: str | None = None,
    *,
    section: CourseIndexPage | None = None,
    audience: list[Unit] | None = None,
    lessons: int = 0,
    **fields,
) -> CoursePage:
    n = next(_n)
    section = section or course_section()
    course = CoursePage(
        title=title or f"Course {n}",
        slug=fields.pop("slug", f"course-{n}"),
        credit_hours=fields.pop("credit_hours", Decimal("2.0")),
        audience_everyone=audience is None,
        **fields,
    )
    section.add_child(instance=course)
    if audience is not None:
        course.audience_units.set(audience)
        course.save()
    for _ in range(lessons):
        make_lesson(course)
    return course


def make_lesson(course: CoursePage, title: str | None = None, *, body=None, **fields) -> LessonPage:
    n = next(_n)
    lesson = LessonPage(
        title=title or f"Lesson {n}",
        slug=fields.pop("slug", f"lesson-{n}"),
        body=body or [("text", f"<p>Text of lesson {n}</p>")],
        **fields,
    )
    course.add_child(instance=lesson)
    return lesson
