"""The real lesson page in headless Chromium: the media pipeline's ladder, the player script
and the heartbeat API together.

A 12-second 320x240 lecture is generated with ffmpeg's lavfi sources and transcoded once by
the media pipeline's service (a .ts or an fMP4 ladder, whichever the pipeline writes); each
test then plays it as a logged-in member and checks what the server credited against what the
browser says it played, and what went over the network: nothing of the video before the
member presses play, each segment once after.
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


def _open(browser, client, live_server, member, lesson, *, init_script=None, query=""):
    context = login_context(browser, client, member, live_server)
    context.add_init_script(CSP_RECORDER)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.goto(live_server.url + lesson.url + query)
    page.wait_for_selector(".player-bar:not([hidden])")
    return context, page


class NetLog:
    """Every request of the page as the DevTools protocol sees it, with whether it was
    answered from the browser's cache (not a transfer) or over the network."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.urls: dict[str, str] = {}
        self.cached: set[str] = set()
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        self.cdp.on(
            "Network.responseReceived",
            lambda e: e["response"].get("fromDiskCache") and self.cached.add(e["requestId"]),
        )

    def _sent(self, event) -> None:
        url = event["request"]["url"]
        if url.startswith("http"):
            self.urls[event["requestId"]] = url.split("?")[0]

    def fetched(self) -> list[str]:
        """Paths fetched over the network, in order (redirect hops count once)."""
        return [
            "/" + url.split("/", 3)[-1] for rid, url in self.urls.items() if rid not in self.cached
        ]

    def video(self) -> list[str]:
        """What of the video was fetched: playlists, init and media segments, hls.js."""
        return [
            p for p in self.fetched()
            if p.endswith((".m3u8", ".ts", ".m4s", ".mp4", ".m4a", ".aac")) or "hls" in p
        ]  # fmt: skip


def _tap_play(page) -> None:
    """A real click on play: the player's own button where hls.js is needed (the element has
    no source yet, so the browser's button is disabled), else the play button of the
    browser's controls (bottom left of the video in Chromium; a click elsewhere on the video
    does not start it)."""
    if page.is_visible("button[name=play]"):
        page.click("button[name=play]")
        return
    box = page.locator("video").bounding_box()
    page.mouse.click(box["x"] + 24, box["y"] + box["height"] - 48)


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
    # Nothing is fetched for it before play: the position is the element's start position.
    context, page = _open(browser, client, live_server, member, lesson)
    net = NetLog(context, page)
    try:
        page.wait_for_function(f"() => {VIDEO}.currentTime > 0")
        resumed = page.evaluate(f"() => {VIDEO}.currentTime")
        assert net.video() == []
        page.evaluate(f"() => {{ {VIDEO}.muted = true; }}")
        _tap_play(page)
        page.wait_for_function(f"() => {VIDEO}.currentTime > {resumed} + 0.3", timeout=20000)
        segments = [p for p in net.video() if p.endswith((".ts", ".m4s"))]
    finally:
        close_quietly(context, WatchBeat.objects.count)
    assert resumed == pytest.approx(summary.last_position, abs=0.5)
    assert segments and len(set(segments)) == len(segments), segments

    # A "continue learning" link's position (?t=) wins over the resume position.
    context, page = _open(browser, client, live_server, member, lesson, query="?t=2")
    try:
        page.wait_for_function(f"() => {VIDEO}.currentTime > 0")
        linked = page.evaluate(f"() => {VIDEO}.currentTime")
    finally:
        close_quietly(context, WatchBeat.objects.count)
    assert linked == pytest.approx(2, abs=0.1)
    assert summary.last_position > 3  # so the two positions differ


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
        # hls.js arrives once the page has loaded, before any tap (nothing of the video yet)
        page.wait_for_function("() => typeof window.Hls === 'function'")
        assert page.evaluate(f"() => {VIDEO}.readyState") == 0
        _play(page, 3)
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


@pytest.mark.parametrize("native", [True, False], ids=["native-hls", "hls-js"])
def test_nothing_of_the_video_is_fetched_before_play_and_each_segment_once_after(
    browser, client, live_server, lesson_world, native
):
    member, lesson = lesson_world
    init = None if native else NO_NATIVE_HLS
    context, page = _open(browser, client, live_server, member, lesson, init_script=init)
    net = NetLog(context, page)
    try:
        page.reload()  # from the start, with the log attached
        page.wait_for_selector(".player-bar:not([hidden])")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1000)
        before = net.video()
        page.evaluate(f"() => {{ {VIDEO}.muted = true; }}")
        _tap_play(page)
        page.wait_for_function(f"() => {VIDEO}.currentTime > 5", timeout=30000)
        after = net.video()[len(before) :]
    finally:
        close_quietly(context, WatchBeat.objects.count)
    # Before the tap: no playlist or segment; the hls.js script only where it is needed,
    # once the page has loaded (so that after the tap only media stands before the picture).
    hls_js = [p for p in before if p.endswith(".js")]
    assert [p for p in before if p not in hls_js] == []
    if native:
        assert hls_js == [], before
    assert not any(p.endswith(".js") for p in after), after  # hls.js came before the tap
    assert any(p.endswith("master.m3u8") for p in after), after
    if native:
        assert not any("hls" in p.rsplit("/", 1)[-1] for p in after), after
    assert sum(p.endswith((".ts", ".m4s")) for p in after) >= 2, after
    twice = {p for p in after if after.count(p) > 1}
    assert not twice, after


def test_data_saver_keeps_the_chosen_speed(browser, client, live_server, lesson_world):
    member, lesson = lesson_world
    context, page = _open(browser, client, live_server, member, lesson)
    try:
        page.select_option("select[name=rate]", "1.5")
        _play(page, 1)
        assert page.evaluate(f"() => {VIDEO}.playbackRate") == 1.5
        page.check("input[name=saver]")
        assert page.evaluate(f"() => {VIDEO}.src").split("?")[0].endswith("audio/index.m3u8")
        page.wait_for_function(f"() => !{VIDEO}.paused && {VIDEO}.readyState >= 3")
        page.wait_for_timeout(500)
        rate = page.evaluate(f"() => {VIDEO}.playbackRate")
        shown = page.input_value("select[name=rate]")
        page.uncheck("input[name=saver]")  # and back to the video
        page.wait_for_function(f"() => !{VIDEO}.paused && {VIDEO}.readyState >= 3")
        back = page.evaluate(f"() => {VIDEO}.playbackRate")
    finally:
        close_quietly(context, WatchBeat.objects.count)
    assert (rate, shown, back) == (1.5, "1.5", 1.5)


def test_watched_share_moves_while_playing_between_beats(
    browser, client, live_server, lesson_world, settings
):
    member, lesson = lesson_world
    settings.HEARTBEAT_INTERVAL_SECONDS = 60  # no tick while this test plays
    context, page = _open(browser, client, live_server, member, lesson)
    share = (
        "() => { const o = document.querySelector('[data-watched]');"
        " return o.hidden ? -1 : parseInt(o.querySelector('b').textContent, 10); }"
    )
    try:
        page.evaluate(f"() => {{ {VIDEO}.muted = true; }}")
        _tap_play(page)
        page.wait_for_function(f"() => ({share})() >= 0", timeout=20000)  # the play beat's answer
        first = page.evaluate(share)
        beats = WatchBeat.objects.filter(user=member).count()
        page.wait_for_function(f"() => {VIDEO}.currentTime > 6", timeout=20000)
        later = page.evaluate(share)
        between = WatchBeat.objects.filter(user=member).count() - beats
        page.evaluate(f"() => {VIDEO}.pause()")  # a pause beat: the server's figure again
        summary = _summary(member, lesson, until=lambda s: s.coverage_seconds > 4)
        credited = int(summary.coverage_ratio * 100)
        page.wait_for_function(f"() => Math.abs(({share})() - {credited}) <= 1", timeout=10000)
    finally:
        close_quietly(context, WatchBeat.objects.count)
    assert between == 0  # it moved without a beat
    assert first <= 10
    assert later >= 40  # of a 12-second lecture, more than 5 s played


def test_on_a_slow_link_the_native_player_gets_the_lowest_rung_only(
    browser, client, live_server, lesson_world
):
    """Chromium's native player, given the master playlist on a 2G-class link, left the
    lowest rung for the highest before its first frame; below 500 kbit/s (as the browser
    measures it) the page hands it the lowest rung's own playlist instead."""
    member, lesson = lesson_world
    context = login_context(browser, client, member, live_server)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 300, "downloadThroughput": 31250, "uploadThroughput": 31250},
    )
    net = NetLog(context, page)
    try:
        page.goto(live_server.url + lesson.url)
        page.wait_for_selector(".player-bar:not([hidden])")
        assert page.evaluate("() => navigator.connection.downlink") < 0.5
        src = page.evaluate(f"() => {VIDEO}.src")
        page.evaluate(f"() => {{ {VIDEO}.muted = true; }}")
        _tap_play(page)
        page.wait_for_function(f"() => {VIDEO}.currentTime > 0.3", timeout=30000)
        fetched = net.video()
    finally:
        close_quietly(context, WatchBeat.objects.count)
    assert src.endswith("/240p/index.m3u8"), src
    assert not any(p.endswith("master.m3u8") for p in fetched), fetched
