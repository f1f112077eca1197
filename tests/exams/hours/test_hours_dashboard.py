"""The member's hours dashboard (``{% hours_dashboard %}``) on "My learning"."""

from datetime import date
from decimal import Decimal

from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from exams.hours.models import StudyHourEntry
from exams.tracking.models import WatchSummary


def _credit(user, day: date, hours: str, key: str) -> None:
    StudyHourEntry.objects.create(
        user=user,
        date=day,
        year=day.year,
        hours=Decimal(hours),
        source=StudyHourEntry.Source.CORRECTION,
        key=key,
        rule_code="test",
    )


def _render(user) -> str:
    request = RequestFactory().get("/learn/my/")
    request.user = user
    template = Template("{% load hours_dashboard %}{% hours_dashboard %}")
    return template.render(Context({"request": request}))


def test_given_credited_hours_when_rendered_then_year_total_bar_and_months(world):
    year = timezone.localdate().year
    _credit(world.alice, date(year, 1, 10), "2.50", "a")
    _credit(world.alice, date(year, 3, 5), "5.00", "b")
    _credit(world.alice, date(year - 1, 3, 5), "9.00", "old")
    _credit(world.bob, date(year, 3, 5), "7.00", "bob")

    html = _render(world.alice)

    assert "<strong>7.50</strong>" in html
    assert 'aria-valuenow="23"' in html  # 7.5 of the unit's 32 hours
    assert html.count("<rect") == 12
    assert 'height="44.0"' in html  # March, the highest month, fills the chart
    assert 'height="22.0"' in html  # January, half of March


def test_given_a_lesson_half_watched_then_it_is_offered_to_resume(world):
    WatchSummary.objects.create(
        user=world.alice,
        lesson=world.video,
        duration=600,
        intervals=[[0, 300]],
        coverage_seconds=300,
        last_position=125,
    )

    html = _render(world.alice)

    assert world.video.title in html
    assert "2:05" in html and "50%" in html
    assert "<svg" not in html  # no hours yet: no empty chart


def test_my_learning_page_shows_the_dashboard(world, client):
    client.force_login(world.alice)
    response = client.get(reverse("courses:my_learning"))
    assert response.status_code == 200
    assert b"hours-dashboard" in response.content
