import pytest
from wagtail.rich_text import RichText

from courses.services import enrolment_create
from media_pipeline.models import LectureVideo

from .factories import make_course, make_lesson

pytestmark = pytest.mark.django_db


@pytest.fixture
def video():
    return LectureVideo.objects.create(title="Lecture", type="video", file="lecture.mp4")


def test_lecture_video_and_reading_lesson(org, video):
    course = make_course()
    reading = make_lesson(course, body=[("text", RichText("<p>Read me</p>"))])
    watching = make_lesson(
        course,
        body=[("text", RichText("<p>Intro</p>")), ("lecture_video", {"video": video})],
    )

    assert reading.lecture_video is None and reading.is_reading_lesson
    assert watching.lecture_video == video and not watching.is_reading_lesson


def test_video_not_ready_renders_a_placeholder(client, org, member, video):
    # given a lesson whose video is still being transcoded
    course = make_course()
    lesson = make_lesson(
        course,
        body=[
            ("lecture_video", {"video": video, "caption": "Part 1"}),
        ],
    )
    enrolment_create(user=member, course=course)
    client.force_login(member)

    # when
    html = client.get(lesson.url).content.decode()

    # then
    assert "<video" not in html
    assert f'data-video-id="{video.pk}"' in html
    assert "Part 1" in html
