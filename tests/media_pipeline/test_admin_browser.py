"""The admin in headless Chromium: the upload progress bar and the live status column."""

import os

import pytest

from media_pipeline.models import LectureVideo
from tests.browser import login_context
from tests.factories import UserFactory
from tests.media_pipeline.conftest import ensure_root_collection

pytestmark = [pytest.mark.e2e, pytest.mark.ffmpeg]


@pytest.fixture
def boss_page(browser, client, live_server, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.LANGUAGE_CODE = "en"
    ensure_root_collection()
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    context = login_context(browser, client, boss, live_server)
    page = context.new_page()
    yield page
    context.close()


def test_upload_shows_progress_then_the_listing(boss_page, live_server, clips):
    page = boss_page
    page.goto(f"{live_server.url}/admin/media/video/add/")
    page.fill("#id_title", "Browser lecture")
    page.set_input_files("#id_file", str(clips.v360))
    # Slow the upload down so that the bar is seen moving.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 50, "downloadThroughput": -1, "uploadThroughput": 200_000},
    )

    page.click("form[enctype='multipart/form-data'] [type=submit]")

    page.wait_for_selector(".lecture-upload progress", state="visible", timeout=5000)
    if shots := os.environ.get("MEDIA_SCREENSHOTS"):
        page.wait_for_timeout(800)
        page.screenshot(path=f"{shots}/upload.png")
    page.wait_for_url(f"{live_server.url}/admin/media/", timeout=60_000)
    video = LectureVideo.objects.get(title="Browser lecture")
    cell = page.locator(f'[data-lecture-id="{video.pk}"]')
    assert cell.get_attribute("data-lecture-status") in {"uploaded", "ready"}


def test_listing_follows_the_percent_live(boss_page, live_server, clips):
    from django.core.files import File

    with open(clips.v240, "rb") as fh:
        video = LectureVideo(title="Live lecture", type="video", status="transcoding")
        video.file.save("live.mp4", File(fh))
    LectureVideo.objects.filter(pk=video.pk).update(progress_percent=10)
    page = boss_page
    page.goto(f"{live_server.url}/admin/media/")
    cell = page.locator(f'[data-lecture-id="{video.pk}"]')
    assert cell.locator(".lecture-status__percent").inner_text() == "10%"

    LectureVideo.objects.filter(pk=video.pk).update(progress_percent=55)
    page.wait_for_function(
        f"document.querySelector('[data-lecture-id=\"{video.pk}\"] .lecture-status__percent')"
        ".textContent === '55%'",
        timeout=10_000,
    )
    LectureVideo.objects.filter(pk=video.pk).update(
        status="failed", failure_reason="ffmpeg was killed"
    )
    page.wait_for_selector(
        f'[data-lecture-id="{video.pk}"] .lecture-status__retry', state="visible", timeout=10_000
    )
    assert "ffmpeg was killed" in cell.inner_text()
    if shots := os.environ.get("MEDIA_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/listing.png")
