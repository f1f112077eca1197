"""'Continue where you left off' (继续上次的学习) on My learning: the lesson really in
progress, with its course, at its position; completed courses and done lessons dropped;
another member's progress never shown. And the monthly chart's values."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment, LessonProgress
from courses.selectors import continue_learning
from exams.hours.models import StudyHourEntry
from exams.tracking.models import WatchSummary
from media_pipeline.models import LectureVideo

from ..exams.conftest import T0, make_reading_lesson, make_video_lesson
from ..exams.tracking.driver import Tab
from .factories import make_course, make_lesson

pytestmark = pytest.mark.django_db


def watched(user, lesson, *, position, covered, minutes_ago, completed=False):
    """The watch log of ``user`` in ``lesson``, as the heartbeats leave it."""
    summary = WatchSummary.objects.create(
        user=user,
        lesson=lesson,
        duration=600,
        intervals=[[0, covered]],
        coverage_seconds=covered,
        last_position=position,
        completed_at=timezone.now() if completed else None,
    )
    # updated_at is auto_now: set the time the way the beats would have
    WatchSummary.objects.filter(pk=summary.pk).update(
        updated_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return summary


def my_learning(client, user) -> str:
    client.force_login(user)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("courses:my_learning"))
    assert response.status_code == 200
    return response.content.decode()


def continue_section(html: str) -> str:
    match = re.search(r'<ul class="continue">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


@pytest.fixture
def twins(org):
    """Two courses whose lessons share titles, as the demo courses do."""
    first = make_course("Safety basics")
    second = make_course("Fire drills")
    return {
        course: titled_video_lesson(course, "Lesson 1 · Introduction") for course in (first, second)
    }


def titled_video_lesson(course, title):
    video = LectureVideo.objects.create(
        title=title, file=f"media/{course.slug}.mp4", type="video", duration=600.0
    )
    return make_lesson(course, title, body=[("lecture_video", {"video": video})])


def test_the_lecture_in_progress_is_listed_with_its_course_at_its_position(client, member, twins):
    # given a member who watched the introduction of "Fire drills" up to 2:05
    (first, _), (second, lesson) = twins.items()
    watched(member, lesson, position=125.4, covered=300, minutes_ago=5)

    html = continue_section(my_learning(client, member))

    # then the row names the course (the lessons share titles) and links the exact position
    assert f'href="{lesson.url}?t=125"' in html
    assert "Fire drills" in html and "Safety basics" not in html
    assert "at 2:05 · 50% watched" in html


def test_heartbeats_over_http_put_the_lecture_on_the_list(client, member, twins):
    # given a member who plays the first 40 s of a lecture, beats sent as the player does
    (_, lesson), _second = twins.items()
    client.force_login(member)
    client.post(reverse("courses:enrol", args=[lesson.get_parent().pk]))
    with time_machine.travel(T0, tick=False) as traveller:
        tab = Tab(member, lesson)
        tab.open()
        for second in (20, 40):
            traveller.shift(timedelta(seconds=20))
            tab.beat(played=(second - 20, second))

    rows = continue_learning(user=member, limit=3)

    assert [(r.lesson.pk, r.position_seconds) for r in rows] == [(lesson.pk, 40)]
    assert rows[0].url == f"{lesson.url}?t=40"


def test_completed_courses_and_done_lessons_are_dropped(client, member, twins):
    (first, one), (second, two) = twins.items()
    # a course completed (an optional lesson of it still half watched)
    Enrolment.objects.create(user=member, course=first, completed_at=timezone.now())
    watched(member, one, position=60, covered=60, minutes_ago=1)
    # a lesson done, though its watch log says otherwise
    LessonProgress.objects.create(user=member, lesson=two, state=LessonProgress.State.DONE)
    watched(member, two, position=30, covered=30, minutes_ago=2)

    assert continue_learning(user=member, limit=3) == []
    assert '<ul class="continue">' not in my_learning(client, member)


def test_the_lecture_in_progress_is_not_hidden_behind_recently_finished_ones(client, member):
    # given four lectures finished just now and one left half way yesterday
    course = make_course("Long course")
    for n in range(4):
        lesson = make_video_lesson(course)
        watched(member, lesson, position=600, covered=600, minutes_ago=n, completed=True)
    half = titled_video_lesson(course, "The half-watched one")
    watched(member, half, position=300, covered=300, minutes_ago=24 * 60)

    rows = continue_learning(user=member, limit=3)

    assert [r.lesson.pk for r in rows] == [half.pk]


def test_one_row_per_course_most_recent_first_and_limited(member):
    courses = [make_course(f"Course {n}") for n in range(4)]
    expected = []
    for n, course in enumerate(courses):
        older = make_video_lesson(course)
        newer = make_video_lesson(course)
        watched(member, older, position=10, covered=10, minutes_ago=100 + n)
        watched(member, newer, position=20, covered=20, minutes_ago=n)
        expected.append(newer.pk)

    rows = continue_learning(user=member, limit=3)

    assert [r.lesson.pk for r in rows] == expected[:3]
    assert len({r.course.pk for r in rows}) == 3


def test_a_reading_in_progress_links_the_lesson_without_a_position(client, member):
    course = make_course("Reading course")
    reading = make_reading_lesson(course)
    client.force_login(member)
    client.post(reverse("courses:enrol", args=[course.pk]))
    client.get(reading.url)  # opening it starts it

    html = continue_section(my_learning(client, member))

    assert f'href="{reading.url}"' in html and "?t=" not in html
    assert "watched" not in html


def test_another_members_progress_never_shows(client, org, member, member_factory, twins):
    # given another member of the same branch deep in a lecture, and one of another branch
    (_, lesson), _second = twins.items()
    neighbour = member_factory(org.branch_a, username="neighbour")
    watched(neighbour, lesson, position=400, covered=400, minutes_ago=1)
    LessonProgress.objects.create(
        user=neighbour, lesson=lesson, state=LessonProgress.State.IN_PROGRESS
    )

    # then the member's list is empty, on the page and from the selector
    assert continue_section(my_learning(client, member)) == ""
    assert continue_learning(user=member, limit=3) == []
    # and the neighbour sees their own
    assert [r.lesson.pk for r in continue_learning(user=neighbour, limit=3)] == [lesson.pk]


def test_a_course_no_longer_open_to_the_member_is_not_offered(org, member):
    # given a lecture of a west-only course in the member's log (they moved from there)
    west = make_course("West only", audience=[org.west_branch])
    lesson = make_video_lesson(west)
    watched(member, lesson, position=100, covered=100, minutes_ago=1)
    # and a draft lesson, unpublished after it was watched
    course = make_course("Open course")
    draft = make_video_lesson(course)
    watched(member, draft, position=100, covered=100, minutes_ago=1)
    draft.unpublish()

    assert continue_learning(user=member, limit=3) == []


def test_anonymous_and_zero_limit_are_empty(member, twins):
    from django.contrib.auth.models import AnonymousUser

    assert continue_learning(user=AnonymousUser(), limit=3) == []
    assert continue_learning(user=member, limit=0) == []


def test_queries_do_not_grow_with_the_courses(member):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            rows = continue_learning(user=member, limit=10)
            [row.course.title for row in rows]
        return len(queries)

    course = make_course()
    watched(member, make_video_lesson(course), position=5, covered=5, minutes_ago=1)
    one = count()
    for n in range(5):
        watched(member, make_video_lesson(make_course()), position=5, covered=5, minutes_ago=n)
    assert count() == one


# --- the monthly chart ------------------------------------------------------------------


def test_the_monthly_chart_labels_each_bar_with_its_hours(client, member):
    year = timezone.localdate().year
    for month, hours in ((1, "2.50"), (3, "5.00")):
        StudyHourEntry.objects.create(
            user=member,
            date=date(year, month, 10),
            year=year,
            hours=Decimal(hours),
            source=StudyHourEntry.Source.CORRECTION,
            key=f"m{month}",
            rule_code="test",
        )

    html = my_learning(client, member)
    chart = re.search(r'<svg class="hours-chart".*?</svg>', html, re.S).group(0)

    # the values are written over their bars (months without hours stay unlabelled)
    values = re.findall(r'<text class="value"[^>]*>([^<]+)</text>', chart)
    assert values == ["2.5", "5"]
    # the drawing is hidden from screen readers, which read a table of every month instead
    assert 'aria-hidden="true"' in chart
    table = re.search(r'<table class="sr-only".*?</table>', html, re.S).group(0)
    cells = re.findall(r"<td>([^<]*)</td>", table)
    assert len(cells) == 24 and cells[1] == "2.50" and cells[5] == "5" and cells[3] == "0"
