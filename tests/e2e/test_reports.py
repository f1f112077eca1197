"""A district manager reads the training reports on a phone in Chinese: the overview fits
the screen (the table scrolls inside its frame), drills down to a branch, finds who is
behind, and opens a member's printable record."""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cms import roles
from exams.hours.models import StudyHourEntry
from tests.browser import login_context
from tests.factories import make_member, make_unit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def district(live_server):
    root = make_unit("市委", code="E2E-ROOT", yearly_target_hours=32)
    district = make_unit("东城区委", parent=root, code="E2E-DIST")
    first = make_unit("东城第一支部", parent=district, code="E2E-B1")
    second = make_unit("东城第二支部", parent=district, code="E2E-B2")
    manager = make_member(district, roles.MANAGERS, username="e2e_district")
    keen = make_member(first, username="e2e_keen")
    behind = make_member(second, username="e2e_behind")
    for user, hours in ((keen, "33.00"), (behind, "4.50")):
        StudyHourEntry.objects.create(
            user=user,
            date=date.today(),
            year=date.today().year,
            hours=Decimal(hours),
            source=StudyHourEntry.Source.CORRECTION,
            key=f"e2e:{user.pk}",
            rule_code="test",
        )
    return manager, district, second, behind


def _screenshot(page, name: str) -> None:
    """With SCREENSHOTS_DIR set, keep what the manager saw (for the docs and reviews)."""
    if folder := os.environ.get("SCREENSHOTS_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _no_page_overflow(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_manager_drills_down_to_who_is_behind(browser, client, live_server, district, viewport):
    manager, unit, second, behind = district
    context = login_context(browser, client, manager, live_server)
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page = context.new_page()
    page.set_viewport_size(viewport)
    try:
        page.goto(live_server.url + "/admin/reports/")
        page.wait_for_selector(".report-table")
        assert page.url.endswith(f"/admin/reports/units/{unit.pk}/")
        assert "东城第一支部" in page.inner_text(".report-table")
        assert _no_page_overflow(page)
        _screenshot(page, f"reports-overview-{viewport['width']}")
        page.click("text=东城第二支部")
        page.wait_for_url(f"**/admin/reports/units/{second.pk}/**")
        assert "东城区委" in page.inner_text(".report-units")  # the breadcrumb back up
        page.goto(live_server.url + f"/admin/reports/units/{unit.pk}/members/?behind=1")
        names = page.inner_text(".report-table tbody")
        assert behind.profile.full_name in names and "e2e_keen" not in names
        assert _no_page_overflow(page)
        page.click(f"text={behind.profile.full_name}")
        page.wait_for_selector(".record")
        assert "4.50" in page.inner_text(".record-head")
        _screenshot(page, f"reports-record-{viewport['width']}")
        printable = page.get_attribute("a[href*='/print/']", "href")
        page.goto(live_server.url + printable)
        assert page.locator(".record").count() == 1
        assert page.evaluate("() => document.querySelector('aside, nav.sidebar') === null")
    finally:
        context.close()
