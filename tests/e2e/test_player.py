"""The real lesson page in headless Chromium: the media pipeline's ladder, the player script
and the heartbeat API together.

A 12-second 320x240 lecture is generated with ffmpeg's lavfi sources and transcoded once by
the media pipeline's service; each test then plays it as a logged-in member and checks what
the server credited against what the browser says it played.
"""

import os
import subprocess
import time

import pytest
from django.core.files import File

from courses.models import CoursePage, LessonPage
from exams.tracking.models import MemberPreference, WatchBeat, WatchSummary
from media_pipeline.models import LectureVideo
from media_pipeline.services import video_transcode
from tests.browser import login_context
from tests.e2e.conftest import close_quietly, course_section
from tests.factories import make_member, make_unit

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.ffmpeg,
    pytest.mark.django_db(transaction=True),
]

BEAT = 2  # seconds between beats in these tests
VIDEO = "document.querySelector('video')"
_ladder: dict = {}


def _lecture(tmp_path_factory, ffmpeg_bin) -> LectureVideo:
    """The transcoded lecture; transcoded once, then reused row by row (the test database
    is flushed between tests, the media folder is not)."""
    if _ladder:
        return LectureVideo.objects.create(**_ladder)
    source = tmp_path_factory.mktemp("lecture") / "lecture.mp4"
    subprocess.run(
        [ffmpeg_bin, "-loglevel", "error",
         "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=12",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=12",
         "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest", str(source)],
        check=True,
    )  # fmt: skip
    with source.open("rb") as fh:
        video = LectureVideo.objects.create(
            title="E2E lecture", file=File(fh, name="lecture.mp4"), type="video"
        )
    video_transcode(video_id=video.pk)
    video.refresh_from_db()
    assert video.status == LectureVideo.Status.READY, video.failure_reason
    _ladder.update(
        {
            field.attname: getattr(video, field.attname)
            for field in LectureVideo._meta.concrete_fields
            if not field.primary_key and not field.is_relation
        }
    )
    return video


@pytest.fixture
def lesson_world(tmp_path_factory, ffmpeg_bin, live_server, settings):
    settings.HEARTBEAT_INTERVAL_SECONDS = BEAT
    section = course_section()
    video = _lecture(tmp_path_factory, ffmpeg_bin)
    unit = make_unit("E2E branch")
    member = make_member(unit, username="viewer")
    course = section.add_child(
        instance=CoursePage(title="E2E course", slug="e2e-course", allow_download=True)
    )
    lesson = course.add_child(
        instance=LessonPage(
            title="E2E lesson",
            slug="e2e-lesson",
            body=[("lecture_video", {"video": video, "caption": ""})],
        )
    )
    return member, lesson


# Records what the Content-Security-Policy blocks (the page itself cannot see it otherwise).
CSP_RECORDER = (
    "window.__csp = []; document.addEventListener('securitypolicyviolation',"
    " (e) => window.__csp.push(e.effectiveDirective + ' ' + e.blockedURI));"
)


def _open(browser, client, live_server, member, lesson, *, init_script=None):
    context = login_context(browser, client, member, live_server)
    context.add_init_script(CSP_RECORDER)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.goto(live_server.url + lesson.url)
    page.wait_for_selector(".player-bar:not([hidden])")
    return context, page


def _play(page, seconds: float) -> None:
    page.evaluate(f"() => {{ const v = {VIDEO}; v.muted = true; v.play().catch(() => {{}}); }}")
    page.wait_for_function(f"() => {VIDEO}.currentTime > 0.3", timeout=20000)
    page.wait_for_timeout(seconds * 1000)


def _played_seconds(page) -> float:
    return page.evaluate(
        f"() => {{ const p = {VIDEO}.played; let s = 0;"
        " for (let i = 0; i < p.length; i++) s += p.end(i) - p.start(i); return s; }"
    )


def _summary(member, lesson, *, until=None, timeout: float = 10.0) -> WatchSummary:
    deadline = time.monotonic() + timeout
    while True:
        summary = WatchSummary.objects.filter(user=member, lesson=lesson).first()
        if summary is not None and (until is None or until(summary)):
            return summary
        if time.monotonic() > deadline:
            pytest.fail(f"watch summary not as expected: {summary and vars(summary)}")
        time.sleep(0.1)


def test_credited_coverage_matches_what_was_played_and_resumes_elsewhere(
    browser, client, live_server, lesson_world
):
    member, lesson = lesson_world
    context, page = _open(browser, client, live_server, member, lesson)
    try:
        assert page.evaluate(f"() => {VIDEO}.src").endswith("master.m3u8")
        assert page.is_visible("a[download]")  # the course allows offline download
        _play(page, 5)
        page.evaluate(f"() => {VIDEO}.pause()")
        played = _played_seconds(page)
        position = page.evaluate(f"() => {VIDEO}.currentTime")
        if os.environ.get("E2E_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["E2E_SCREENSHOTS"], "player.png"))
        summary = _summary(member, lesson, until=lambda s: abs(s.last_position - position) < 0.5)
    finally:
        close_quietly(context, WatchBeat.objects.count)
    assert played > 4
    assert summary.coverage_seconds == pytest.approx(played, abs=BEAT)
    assert summary.engaged_seconds > 0

    # Another device: the player seeks to where the member left off.
    context, page = _open(browser, client, live_server, member, lesson)
    try:
        page.wait_for_function(f"() => {VIDEO}.readyState >= 1 && {VIDEO}.currentTime > 0")
        resumed = page.evaluate(f"() => {VIDEO}.currentTime")
    finally:
        close_quietly(context, WatchBeat.objects.count)
    assert resumed == pytest.approx(summary.last_position, abs=0.5)


def test_data_saver_plays_sound_only_and_is_remembered(browser, client, live_server, lesson_world):
    member, lesson = lesson_world
    context, page = _open(browser, client, live_server, member, lesson)
    try:
        page.check("input[name=saver]")
        assert page.evaluate(f"() => {VIDEO}.src").split("?")[0].endswith("audio/index.m3u8")
        assert page.is_disabled("select[name=quality]")
        for _ in range(50):
            if MemberPreference.objects.filter(user=member, data_saver=True).exists():
                break
            time.sleep(0.1)
        else:
            pytest.fail("the data saver choice was not saved")
        page.reload()
        page.wait_for_selector(".player-bar:not([hidden])")
        assert page.is_checked("input[name=saver]")
        assert page.evaluate(f"() => {VIDEO}.src").split("?")[0].endswith("audio/index.m3u8")
        _play(page, 1)
    finally:
        close_quietly(context, WatchBeat.objects.count)


NO_NATIVE_HLS = (
    "HTMLMediaElement.prototype.canPlayType = (function (orig) {"
    " return function (t) { return /mpegurl/i.test(t) ? '' : orig.call(this, t); };"
    "})(HTMLMediaElement.prototype.canPlayType);"
)


def test_hls_js_plays_the_ladder_where_hls_is_not_native(
    browser, client, live_server, lesson_world
):
    member, lesson = lesson_world
    context, page = _open(browser, client, live_server, member, lesson, init_script=NO_NATIVE_HLS)
    try:
        assert page.evaluate("() => typeof window.Hls") == "undefined"
        _play(page, 3)
        assert page.evaluate("() => typeof window.Hls") == "function"
        page.evaluate(f"() => {VIDEO}.pause()")
        # hls.js (worker, MediaSource blobs) plays under the enforced policy, unhindered
        assert page.evaluate("() => window.__csp") == []
        played = _played_seconds(page)
        summary = _summary(member, lesson, until=lambda s: s.coverage_seconds > 0)
    finally:
        close_quietly(context, WatchBeat.objects.count)
    assert summary.coverage_seconds == pytest.approx(played, abs=BEAT)


HIDE_TAB = (
    "() => { Object.defineProperty(document, 'visibilityState', {value: 'hidden',"
    " configurable: true}); document.dispatchEvent(new Event('visibilitychange')); }"
)


def test_reading_lesson_sends_visible_time_and_a_beacon_on_hide(
    browser, client, live_server, lesson_world
):
    member, video_lesson = lesson_world
    course = video_lesson.get_parent()
    reading = course.add_child(
        instance=LessonPage(
            title="E2E reading",
            slug="e2e-reading",
            body=[("text", "<p>Read me.</p>")],
            estimated_minutes=5,
        )
    )
    context = login_context(browser, client, member, live_server)
    page = context.new_page()
    scripts = []
    page.on("request", lambda r: r.resource_type == "script" and scripts.append(r.url))
    try:
        page.goto(live_server.url + reading.url)
        page.wait_for_timeout(BEAT * 1000 + 1500)
        page.evaluate(HIDE_TAB)  # sent with navigator.sendBeacon, the CSRF token in the body
        deadline = time.monotonic() + 10
        while not WatchBeat.objects.filter(user=member, event="hide").exists():
            if time.monotonic() > deadline:
                pytest.fail("no hide beat reached the server")
            time.sleep(0.1)
    finally:
        close_quietly(context, WatchBeat.objects.count)
    assert [u.rsplit("/", 1)[-1] for u in scripts] == ["reading.js"]
    beats = list(WatchBeat.objects.filter(user=member).order_by("seq"))
    assert [b.event for b in beats][:2] == ["show", "tick"]
    assert all(b.from_seconds is None and not b.playing for b in beats)
    assert WatchSummary.objects.get(user=member, lesson=reading).engaged_seconds > 0
