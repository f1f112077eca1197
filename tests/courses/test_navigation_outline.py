"""The course outline that shows where the member is (course page and every lesson page),
without JavaScript and light; ``?t=`` start positions; previous/next stay."""

import gzip
import re

import pytest
from django.urls import reverse

from courses.models import LessonProgress
from media_pipeline.models import LectureVideo

from .factories import make_course, make_lesson

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    course = make_course("Outline course")
    for title in ("One", "Two", "Three"):
        make_lesson(course, title)
    return course


def lessons(course):
    return list(course.get_children().specific().order_by("path"))


def get(client, user, url):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def set_state(user, lesson, state):
    LessonProgress.objects.update_or_create(user=user, lesson=lesson, defaults={"state": state})


def outline_items(html: str) -> list[str]:
    outline = re.search(r'<details class="card outline">(.*?)</details>', html, re.S).group(1)
    return re.findall(r"<li[^>]*>.*?</li>", outline, re.S)


def test_lesson_page_outline_marks_here_and_the_states(client, member, course):
    one, two, three = lessons(course)
    client.force_login(member)
    client.post(reverse("courses:enrol", args=[course.pk]))
    set_state(member, one, LessonProgress.State.DONE)

    html = get(client, member, two.url)

    # a <details> list (opens without JavaScript), its summary says where the member is
    assert re.search(r"<summary>Course outline · lesson 2 of 3 · 1 done</summary>", html)
    first, here, last = outline_items(html)
    assert f'href="{one.url}"' in first and "Done" in first
    # the current lesson is marked for eyes and for screen readers, and not a link to itself
    assert 'aria-current="page"' in here and "You are here" in here and "href" not in here
    assert "In progress" in here  # opening it started it
    assert f'href="{three.url}"' in last and "Not started" in last
    assert html.count("aria-current") == 1
    # the breadcrumb says it too
    assert "Outline course</a> · lesson 2 of 3" in html


def test_outline_shows_only_the_members_own_progress(client, org, member, member_factory, course):
    one, two, _three = lessons(course)
    other = member_factory(org.branch_a, username="other")
    set_state(other, one, LessonProgress.State.DONE)
    set_state(other, two, LessonProgress.State.IN_PROGRESS)
    client.force_login(member)
    client.post(reverse("courses:enrol", args=[course.pk]))

    items = outline_items(get(client, member, one.url))

    assert "Done" not in "".join(items)
    assert "Not started" in items[1]


def test_outline_without_enrolment_lists_lessons_without_states(client, member, course):
    html = get(client, member, lessons(course)[0].url)
    items = outline_items(html)
    assert len(items) == 3 and "Not started" not in html and "You are here" in items[0]


def test_course_page_marks_the_lesson_in_progress(client, member, course):
    one, two, three = lessons(course)
    client.force_login(member)
    client.post(reverse("courses:enrol", args=[course.pk]))
    set_state(member, one, LessonProgress.State.DONE)
    set_state(member, three, LessonProgress.State.IN_PROGRESS)  # skipped ahead

    html = get(client, member, course.url)

    current = re.findall(r'<li class="here" aria-current="step">(.*?)</li>', html, re.S)
    assert len(current) == 1 and f'href="{three.url}"' in current[0]
    assert "You are here" in current[0] and "In progress" in current[0]
    # and "Continue" leads there
    assert re.search(rf'<a class="btn" href="{three.url}">Continue: Three</a>', html)


def test_course_page_without_enrolment_marks_nothing(client, member, course):
    html = get(client, member, course.url)
    assert "aria-current" not in html and "You are here" not in html


def test_a_long_outline_stays_light(client, member):
    course = make_course("Twenty lessons")
    for n in range(20):
        make_lesson(course, f"第{n + 1}课 · 一个相当长的课节标题，和演示课程的一样")
    client.force_login(member)
    client.post(reverse("courses:enrol", args=[course.pk]))
    middle = lessons(course)[10]

    response = client.get(middle.url, HTTP_ACCEPT_ENCODING="gzip")

    # the whole lesson page, outline included, is a few KB on the wire (budget: 40 KB
    # with styles and scripts, bench/page_weight.py)
    assert response["Content-Encoding"] == "gzip"
    assert len(response.content) < 8 * 1024
    assert len(outline_items(gzip.decompress(response.content).decode())) == 20


def test_previous_and_next_stay_on_every_lesson(client, member, course):
    one, two, three = lessons(course)
    html = get(client, member, two.url)
    assert f'href="{one.url}" rel="prev"' in html and f'href="{three.url}" rel="next"' in html
    last = get(client, member, three.url)
    assert 'rel="next"' not in last and f'href="{two.url}" rel="prev"' in last
    # "done" on the last lesson leads to the course page: tested through HTTP in
    # tests/exams/tracking/test_lesson_done.py (test_done_leads_to_the_next_lesson_and_…)


# --- ?t= start position -------------------------------------------------------------


@pytest.fixture
def lecture(course):
    video = LectureVideo.objects.create(
        title="Talk", file="media/talk.mp4", type="video", duration=600.0
    )
    return make_lesson(course, "Talk", body=[("lecture_video", {"video": video})])


def test_a_valid_start_position_reaches_the_player(client, member, lecture):
    html = get(client, member, f"{lecture.url}?t=123.7")
    assert 'data-start-seconds="123"' in html
    assert 'data-start-seconds="0"' in get(client, member, f"{lecture.url}?t=0")


@pytest.mark.parametrize(
    "bad", ["abc", "-5", "nan", "inf", "1e309", "86400", "99999999999", "", "12abc", "%00"]
)
def test_a_bad_start_position_is_ignored(client, member, lecture, bad):
    html = get(client, member, f"{lecture.url}?t={bad}")
    assert "data-start-seconds" not in html


def test_a_start_position_never_opens_another_branchs_lesson(client, org, member):
    west = make_course("West only", audience=[org.west_branch])
    lesson = make_lesson(west, "Hidden")
    client.force_login(member)
    assert client.get(f"{lesson.url}?t=10").status_code == 404


def test_a_quiz_lesson_shows_the_outline_too(client, member, course):
    from ..exams.quizzes.conftest import make_quiz

    quiz = make_quiz(course)

    html = get(client, member, quiz.url)

    items = outline_items(html)
    assert len(items) == 4 and 'aria-current="page"' in items[3]
    assert f'href="{lessons(course)[2].url}" rel="prev"' in html
