import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from courses.models import CourseIndexPage, CoursePage, LessonPage
from media_pipeline.models import LectureVideo

_n = itertools.count(1)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


def make_course(*, audience=None, credit_hours="2.0", **fields) -> CoursePage:
    n = next(_n)
    section = CourseIndexPage.objects.get(slug="courses")
    course = CoursePage(
        title=f"Exams course {n}",
        slug=f"exams-course-{n}",
        credit_hours=Decimal(credit_hours),
        audience_everyone=audience is None,
        **fields,
    )
    section.add_child(instance=course)
    if audience is not None:
        course.audience_units.set(audience)
        course.save()
    return course


def make_video_lesson(course: CoursePage, *, duration: float = 600.0, **fields) -> LessonPage:
    n = next(_n)
    video = LectureVideo.objects.create(
        title=f"Video {n}", file=f"media/v{n}.mp4", type="video", duration=duration
    )
    lesson = LessonPage(
        title=f"Video lesson {n}",
        slug=f"video-lesson-{n}",
        body=[("lecture_video", {"video": video})],
        **fields,
    )
    course.add_child(instance=lesson)
    return lesson


def make_reading_lesson(course: CoursePage, *, minutes: int = 5, **fields) -> LessonPage:
    n = next(_n)
    lesson = LessonPage(
        title=f"Reading lesson {n}",
        slug=f"reading-lesson-{n}",
        body=[("text", "<p>Read me</p>")],
        estimated_minutes=minutes,
        **fields,
    )
    course.add_child(instance=lesson)
    return lesson


@pytest.fixture
def world(org, member_factory):
    """Members in two branches, a course for everyone with a 600 s video lesson and a
    5-minute reading lesson, and a course only for the west branch."""
    course = make_course()
    west_course = make_course(audience=[org.west_branch])
    return SimpleNamespace(
        org=org,
        alice=member_factory(org.branch_a, username="alice"),
        bob=member_factory(org.branch_a, username="bob"),
        course=course,
        video=make_video_lesson(course, duration=600.0),
        reading=make_reading_lesson(course, minutes=5),
        west_lesson=make_video_lesson(west_course, duration=300.0),
    )


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def send_beat(
    user,
    lesson,
    *,
    session,
    seq: int,
    t: float,
    playing: bool = True,
    visible: bool = True,
    played: tuple[float, float] | None = None,
    position: float | None = None,
    event: str = "tick",
):
    """One beat straight to the service, at ``t`` seconds after ``T0`` (server time)."""
    from exams.tracking.services import BeatInput, heartbeat_record

    return heartbeat_record(
        user_id=user.pk,
        lesson_id=lesson.pk,
        beat=BeatInput(
            session=session,
            seq=seq,
            event=event,
            playing=playing,
            visible=visible,
            from_seconds=played[0] if played else None,
            to_seconds=played[1] if played else None,
            position=position,
        ),
        now=at(t),
    )
