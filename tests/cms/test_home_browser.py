"""The demo's home page in Chromium, as a member of branch BR-E1 and as a visitor: it fits
a 360 px phone without sideways scrolling and needs no script; the banner loads lazily.
With SCREENSHOTS_DIR set, screenshots go to <SCREENSHOTS_DIR>/home/."""

import io
import os
from pathlib import Path

import pytest

from cms import demo as cms_demo
from courses import demo as courses_demo
from tests.browser import login_context
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def demo(live_server, settings):
    out = io.StringIO()
    cms_demo.seed(stdout=out)
    courses_demo.seed(stdout=out)
    return UserFactory._meta.model.objects.get(username="member1")


def _screenshot(page, name: str) -> None:
    if folder := os.environ.get("SCREENSHOTS_DIR"):
        path = Path(folder) / "home"
        path.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_home_page_fits_the_screen_for_a_member_and_a_visitor(
    browser, client, live_server, demo, viewport
):
    member_context = login_context(browser, client, demo, live_server)
    visitor_context = browser.new_context()
    size = f"{viewport['width']}x{viewport['height']}"
    try:
        for who, context in (("member", member_context), ("visitor", visitor_context)):
            context.add_cookies(
                [{"name": "django_language", "value": "zh-hans", "url": live_server.url}]
            )
            page = context.new_page()
            page.set_viewport_size(viewport)
            scripts: list[str] = []

            def note_script(request, scripts=scripts):
                if request.resource_type == "script":
                    scripts.append(request.url)

            page.on("request", note_script)
            page.goto(live_server.url + "/")
            page.wait_for_load_state("networkidle")

            assert page.evaluate(
                "() => document.documentElement.scrollWidth"
                " <= document.documentElement.clientWidth + 1"
            ), f"{who} at {size} scrolls sideways"
            assert not scripts
            assert page.locator(".banner img[loading=lazy]").count() == 1
            assert page.locator(".notices li").count() >= 1
            if who == "member":
                assert page.locator(".home-strip .home-panel").count() == 3
                assert page.locator(".home-courses li").count() >= 1
            else:
                assert page.locator(".home-strip").count() == 0
            _screenshot(page, f"{who}-{size}")
    finally:
        member_context.close()
        visitor_context.close()
