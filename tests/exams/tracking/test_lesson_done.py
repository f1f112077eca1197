"""``POST /exams/lessons/<id>/done/`` ("mark as done" on a reading lesson): refused until
the member's reading beats have credited the estimated time; order and audience checked."""

from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from courses.models import Enrolment, LessonProgress
from exams.tracking.models import WatchBeat, WatchSummary

from ...courses.factories import make_course as make_plain_course
from ...courses.factories import make_lesson
from ..conftest import T0, make_course, make_reading_lesson
from .driver import Clock, Tab


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield Clock(traveller, T0)


def read(clock, tab, seconds, *, every=20.0):
    """Read with the page visible for ``seconds`` (a beat every ``every`` s)."""
    if tab.seq < 0:
        tab.open()
    start = clock.t
    while clock.t < start + seconds:
        clock.to(min(start + seconds, clock.t + every))
        answer = tab.beat(playing=False)
    return answer


def done(client, lesson):
    response = client.post(reverse("tracking:lesson_done", args=[lesson.pk]))
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def is_done(user, lesson):
    return LessonProgress.objects.filter(
        user=user, lesson=lesson, state=LessonProgress.State.DONE
    ).exists()


def test_refused_before_the_estimated_time_with_a_clear_message(world, client, clock):
    client.force_login(world.alice)
    tab = Tab(world.alice, world.reading)
    answer = read(clock, tab, 150)  # half of the 5 minutes
    assert answer["engaged_seconds"] == 150 and not answer["completed"]

    response, messages = done(client, world.reading)

    assert response.status_code == 302 and response["Location"] == world.reading.url
    # "This reading takes about 5 minutes; you have spent 2. Keep reading: …" (translated)
    assert len(messages) == 1 and "5" in messages[0] and "2" in messages[0], messages
    assert not is_done(world.alice, world.reading)
    summary = WatchSummary.objects.get(user=world.alice, lesson=world.reading)
    assert summary.completed_at is None and summary.engaged_seconds == 150


def test_refused_without_any_reading(world, client, clock):
    client.force_login(world.alice)
    response, messages = done(client, world.reading)
    assert response.status_code == 302 and response["Location"] == world.reading.url
    assert len(messages) == 1
    assert not is_done(world.alice, world.reading)
    assert not WatchSummary.objects.exists() and not WatchBeat.objects.exists()


def test_idle_page_does_not_count_towards_the_time(world, client, clock):
    """The page open 10 minutes but hidden, then one visible beat: 20 s, not 10 min."""
    client.force_login(world.alice)
    tab = Tab(world.alice, world.reading)
    tab.open()
    clock.to(600)
    answer = tab.beat(playing=False)
    assert answer["engaged_seconds"] == 20
    response, _messages = done(client, world.reading)
    assert response["Location"] == world.reading.url
    assert not is_done(world.alice, world.reading)


def test_accepted_after_real_reading_beats(world, client, clock):
    client.force_login(world.alice)
    tab = Tab(world.alice, world.reading)
    answer = read(clock, tab, 300)
    assert answer["engaged_seconds"] == 300
    assert answer["completed"]  # the beat reaching the estimate completes it

    response, messages = done(client, world.reading)

    assert response.status_code == 302
    assert response["Location"] != world.reading.url
    assert messages  # "already done"
    assert is_done(world.alice, world.reading)


def test_estimate_lowered_after_the_time_was_spent_is_done_on_request(world, client, clock):
    client.force_login(world.alice)
    lesson = make_reading_lesson(world.course, minutes=10)
    read(clock, Tab(world.alice, lesson), 300)
    assert not is_done(world.alice, lesson)
    lesson.estimated_minutes = 5
    lesson.save_revision().publish()
    response, _messages = done(client, lesson)
    assert response["Location"] != lesson.url
    assert is_done(world.alice, lesson)
    assert WatchSummary.objects.get(user=world.alice, lesson=lesson).completed_at is not None


def test_video_lesson_is_refused(world, client, clock):
    client.force_login(world.alice)
    response, messages = done(client, world.video)
    assert response["Location"] == world.video.url and messages
    assert not is_done(world.alice, world.video)


def test_locked_lesson_is_refused(world, client, clock):
    client.force_login(world.alice)
    course = make_course(enforce_order=True)
    first = make_reading_lesson(course, minutes=1)
    second = make_reading_lesson(course, minutes=1)
    # its beats are refused too, so no time can be spent on it
    Tab(world.alice, second).open(expect=404)
    response, messages = done(client, second)
    assert response["Location"] == second.url
    assert len(messages) == 1, messages  # "Finish the lessons before this one first."
    assert not is_done(world.alice, second)
    # once the first is read, the second opens
    read(clock, Tab(world.alice, first), 60)
    assert is_done(world.alice, first)
    read(clock, Tab(world.alice, second), 60)
    assert is_done(world.alice, second)


def test_another_units_lesson_is_404(world, client, clock):
    client.force_login(world.alice)
    lesson = make_reading_lesson(world.west_lesson.get_parent().specific, minutes=1)
    response = client.post(reverse("tracking:lesson_done", args=[lesson.pk]))
    assert response.status_code == 404
    assert not LessonProgress.objects.filter(user=world.alice).exists()


def test_get_and_anonymous(world, client, clock):
    url = reverse("tracking:lesson_done", args=[world.reading.pk])
    assert client.post(url).status_code == 302  # to the login page
    assert not LessonProgress.objects.exists()
    client.force_login(world.alice)
    assert client.get(url).status_code == 405


# Moved from tests/courses/test_progress.py (the "done" URL is now tracking's, and a
# reading lesson needs its time spent first).


def test_mark_reading_lesson_done_through_the_page(client, org, member_factory, clock):
    # given an enrolled member on an ordered course of 1-minute readings
    member = member_factory(org.branch_a, username="member_a")
    course = make_plain_course("Ordered", enforce_order=True, credit_hours=Decimal("3.5"))
    one = make_lesson(course, "One", estimated_minutes=1)
    two = make_lesson(course, "Two (optional)", required_for_completion=False, estimated_minutes=1)
    three = make_lesson(course, "Three", estimated_minutes=1)
    client.force_login(member)
    client.post(reverse("courses:enrol", args=[course.pk]))

    # "done" straight away is refused: nothing read yet
    assert client.get(one.url).status_code == 200
    response, _messages = done(client, one)
    assert response["Location"] == one.url
    assert not is_done(member, one)

    # when they read and mark the required lessons done
    read(clock, Tab(member, one), 60)
    response, _messages = done(client, one)
    assert response["Location"] == two.url
    read(clock, Tab(member, three), 60)
    done(client, three)

    # then the course page says complete with the hours credited
    response = client.get(course.url)
    progress = response.context["progress"]
    assert progress.is_complete
    assert progress.hours_credited == Decimal("3.5")
    assert "3.5" in response.content.decode()


def test_marking_a_lesson_of_another_units_course_done_is_404(client, org, member_factory, clock):
    # given a course for the west branch only, and a member of branch A
    course = make_plain_course("West only", audience=[org.west_branch])
    lesson = make_lesson(course, "Reading", estimated_minutes=1)
    outsider = member_factory(org.branch_a, username="outsider")
    client.force_login(outsider)

    # when they post "done" for its lesson
    response = client.post(reverse("tracking:lesson_done", args=[lesson.pk]))

    # then it is not found and nothing is recorded
    assert response.status_code == 404
    assert not LessonProgress.objects.filter(user=outsider).exists()
    assert not Enrolment.objects.filter(user=outsider).exists()


def test_done_leads_to_the_next_lesson_and_the_last_to_the_course(
    client, org, member_factory, clock
):
    # given a member enrolled in three readings, the first one not done yet
    member = member_factory(org.branch_a, username="member_nav")
    course = make_plain_course("Navigation")
    one = make_lesson(course, "One", estimated_minutes=1)
    two = make_lesson(course, "Two", estimated_minutes=1)
    three = make_lesson(course, "Three", estimated_minutes=1)
    client.force_login(member)
    client.cookies["django_language"] = "en"
    client.post(reverse("courses:enrol", args=[course.pk]))

    # every lesson page links the lessons before and after it
    page = client.get(two.url)
    assert (page.context["previous_lesson"].pk, page.context["next_lesson"].pk) == (
        one.pk,
        three.pk,
    )
    html = page.content.decode()
    assert f'href="{one.url}" rel="prev"' in html and f'href="{three.url}" rel="next"' in html
    first = client.get(one.url)
    assert first.context["previous_lesson"] is None and first.context["next_lesson"].pk == two.pk

    # "done" on the last lesson goes to the course page, not back to the unfinished first
    read(clock, Tab(member, three), 60)
    response, _messages = done(client, three)
    assert response["Location"] == course.url
    # and on a middle lesson, to the lesson after it
    read(clock, Tab(member, two), 60)
    response, _messages = done(client, two)
    assert response["Location"] == three.url
