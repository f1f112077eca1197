import io

import pytest
from django.urls import reverse

from cms import demo as cms_demo
from courses import demo
from courses.models import CourseAssignment, CoursePage, Enrolment, LessonPage

pytestmark = pytest.mark.django_db


def log_in(client, username: str) -> None:
    """Through the login page: authentication needs the request (login throttling)."""
    client.logout()
    response = client.post(reverse("login"), {"username": username, "password": "demo12345"})
    assert response.status_code == 302


def seed_twice():
    out = io.StringIO()
    cms_demo.seed(stdout=out)
    demo.seed(stdout=out)
    first = (
        CoursePage.objects.count(),
        LessonPage.objects.count(),
        CourseAssignment.objects.count(),
        Enrolment.objects.count(),
    )
    demo.seed(stdout=out)
    second = (
        CoursePage.objects.count(),
        LessonPage.objects.count(),
        CourseAssignment.objects.count(),
        Enrolment.objects.count(),
    )
    return first, second


def test_demo_catalogue_is_idempotent_and_has_every_block_kind():
    first, second = seed_twice()

    assert first == second
    assert first[0] >= 3
    kinds = {block.block_type for lesson in LessonPage.objects.all() for block in lesson.body}
    assert {"text", "image", "document", "callout", "quote"} <= kinds
    assert all(c.live and c.search_terms for c in CoursePage.objects.all())


def test_member_of_branch_sees_the_required_course_in_my_learning(client):
    seed_twice()
    assignment = CourseAssignment.objects.get()
    assert assignment.unit.code == "BR-E1"
    assert assignment.assigned_by.username == "manager_branch"

    log_in(client, "member1")
    learning = client.get(reverse("courses:my_learning")).context["learning"]

    assert [r.course.title for r in learning.required] == ["基层党建信息化建设"]
    log_in(client, "member4")  # BR-E2: not required
    assert not client.get(reverse("courses:my_learning")).context["learning"].required


def test_uses_the_demo_lecture_when_there_is_one():
    from media_pipeline.demo import DEMO_TITLE
    from media_pipeline.models import LectureVideo

    video = LectureVideo.objects.create(title=DEMO_TITLE, type="video", file="demo.mp4")
    seed_twice()

    lessons = LessonPage.objects.filter(slug="lecture")
    assert lessons.count() == 3
    assert all(lesson.lecture_video == video for lesson in lessons)
    assert not any(lesson.is_reading_lesson for lesson in lessons)


def test_every_demo_page_renders_for_a_member(client):
    from media_pipeline.demo import DEMO_TITLE
    from media_pipeline.models import LectureVideo

    LectureVideo.objects.create(title=DEMO_TITLE, type="video", file="demo.mp4")
    seed_twice()
    log_in(client, "member1")

    assert client.get(reverse("courses:catalogue")).status_code == 200
    for course in CoursePage.objects.all():
        assert client.get(course.url).status_code == 200
        for lesson in LessonPage.objects.child_of(course):
            response = client.get(lesson.url)
            assert response.status_code == 200
    safety = CoursePage.objects.get(slug="work-safety-basics")  # lessons in any order
    reading = LessonPage.objects.child_of(safety).get(slug="reading")
    html = client.get(reading.url).content.decode()
    assert "《论语》" in html and "下载讲义" in html
    intro = client.get(LessonPage.objects.child_of(safety).get(slug="intro").url)
    intro = intro.content.decode()
    assert ".webp" in intro
