"""The player script alone, on a stand-in page (harness_urls) over an HLS ladder made here.

Checks what the page sends, independent of the server side: one beat per contiguous played
range, a seek is not coverage, the data saver source, and the lazy hls.js path.
"""

import subprocess
import time
from types import SimpleNamespace

import pytest

from media_pipeline.selectors import PlaybackCaption, PlaybackInfo, PlaybackRung
from tests.browser import login_context
from tests.e2e import harness_urls
from tests.e2e.conftest import close_quietly
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.urls("tests.e2e.harness_urls"),
    pytest.mark.django_db(transaction=True),
]

MASTER = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-STREAM-INF:BANDWIDTH=150000,RESOLUTION=160x120,CODECS="avc1.42c00c,mp4a.40.2"
v120/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=320x240,CODECS="avc1.42c00d,mp4a.40.2"
v240/index.m3u8
"""


@pytest.fixture(scope="module")
def ladder(tmp_path_factory, ffmpeg_bin):
    root = tmp_path_factory.mktemp("ladder")
    src = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=12"]
    src += ["-f", "lavfi", "-i", "sine=frequency=440:duration=12"]
    hls = ["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod"]
    common = ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline"]
    common += ["-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-c:a", "aac", "-b:a", "32k"]
    for name, size in (("v120", "160x120"), ("v240", "320x240")):
        (root / name).mkdir()
        subprocess.run(
            [ffmpeg_bin, "-loglevel", "error", *src, "-s", size, *common, *hls,
             str(root / name / "index.m3u8")],
            check=True,
        )  # fmt: skip
    (root / "audio").mkdir()
    subprocess.run(
        [ffmpeg_bin, "-loglevel", "error", *src, "-vn", "-c:a", "aac", "-b:a", "32k", *hls,
         str(root / "audio" / "index.m3u8")],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [ffmpeg_bin, "-loglevel", "error", *src, *common, "-movflags", "+faststart",
         str(root / "lecture.mp4")],
        check=True,
    )  # fmt: skip
    (root / "master.m3u8").write_text(MASTER)
    (root / "en.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:05.000\nHello\n")
    return root


@pytest.fixture
def harness(ladder, live_server, settings, monkeypatch):
    from exams.tracking.templatetags import lecture_player

    settings.HEARTBEAT_INTERVAL_SECONDS = 2
    state = harness_urls.STATE
    monkeypatch.setattr(lecture_player, "watch_resume_position", lambda **kw: state["resume"])
    monkeypatch.setattr(
        lecture_player,
        "member_preferences",
        lambda **kw: SimpleNamespace(data_saver=state["prefs"]["data_saver"]),
    )
    m = "/m/"
    harness_urls.STATE.update(
        beats=[],
        fail=0,
        resume=0.0,
        prefs={"data_saver": False},
        root=str(ladder),
        playback=PlaybackInfo(
            video_id=1,
            kind="video",
            master_url=m + "master.m3u8",
            audio_url=m + "audio/index.m3u8",
            download_url=m + "lecture.mp4",
            duration=12.0,
            rungs=[PlaybackRung("v120", 120, 160, 0), PlaybackRung("v240", 240, 320, 0)],
            captions=[PlaybackCaption(language="en", label="English", url=m + "en.vtt")],
        ),
    )
    return harness_urls.STATE


def _open(browser, client, live_server, *, force_hlsjs=False):
    user = UserFactory()
    context = login_context(browser, client, user, live_server)
    if force_hlsjs:
        context.add_init_script(
            "HTMLMediaElement.prototype.canPlayType = (function (orig) {"
            " return function (t) { return /mpegurl/i.test(t) ? '' : orig.call(this, t); };"
            "})(HTMLMediaElement.prototype.canPlayType);"
        )
    page = context.new_page()
    page.goto(live_server.url + "/lesson/")
    return context, page


def _play(page, seconds):
    page.evaluate(
        "v => { v.muted = true; v.play().catch(() => {}); }", page.locator("video").element_handle()
    )
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.5", timeout=15000)
    page.wait_for_timeout(seconds * 1000)


def _played(page):
    return page.evaluate(
        "() => { const p = document.querySelector('video').played; const r = [];"
        " for (let i = 0; i < p.length; i++) r.push([p.start(i), p.end(i)]); return r; }"
    )


def _union(intervals):
    total, end = 0.0, None
    for a, b in sorted(intervals):
        if end is None or a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


def _wait_beat(state, event, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(b["event"] == event for b in state["beats"]):
            return
        time.sleep(0.05)
    pytest.fail(f"no {event!r} beat; got {[b['event'] for b in state['beats']]}")


def test_native_hls_beats_cover_what_was_played(browser, client, live_server, harness):
    context, page = _open(browser, client, live_server)
    try:
        assert page.evaluate("() => document.querySelector('video').src").endswith("master.m3u8")
        assert page.evaluate("() => typeof window.Hls") == "undefined"
        _play(page, 3)
        page.evaluate("() => { document.querySelector('video').currentTime = 9; }")
        page.wait_for_function(
            "() => document.querySelector('video').currentTime > 10", timeout=10000
        )
        page.evaluate("() => document.querySelector('video').pause()")
        _wait_beat(harness, "pause")
        played = _played(page)
    finally:
        close_quietly(context, lambda: len(harness["beats"]))
    beats = harness["beats"]
    seqs = [b["seq"] for b in beats]
    assert seqs == list(range(len(beats)))
    assert len({b["session"] for b in beats}) == 1
    events = [b["event"] for b in beats]
    assert events[0] == "play" and "seek" in events and "tick" in events
    ranges = [(b["from"], b["to"]) for b in beats if b["from"] is not None]
    # No beat's range spans the seek; together they match the browser's own played ranges.
    assert all(not (a < 8.5 and b > 9.5) for a, b in ranges)
    assert _union(ranges) == pytest.approx(_union(played), abs=0.6)
    assert beats[-1]["position"] == pytest.approx(played[-1][1], abs=0.5)


def test_hls_js_is_loaded_only_on_play_and_plays(browser, client, live_server, harness):
    context, page = _open(browser, client, live_server, force_hlsjs=True)
    try:
        requested = []
        page.on("request", lambda r: requested.append(r.url))
        page.wait_for_timeout(300)
        assert not any("hls.light" in u or ".m3u8" in u for u in requested)
        _play(page, 2)
        assert page.evaluate("() => typeof window.Hls") == "function"
        assert page.evaluate("() => document.querySelector('video').src").startswith("blob:")
        # The lowest rung first: the 120p playlist is fetched before any 240p one.
        playlists = [u for u in requested if u.endswith("index.m3u8")]
        assert playlists and "v120" in playlists[0]
    finally:
        close_quietly(context, lambda: len(harness["beats"]))


def test_data_saver_switches_to_sound_only_and_is_saved(browser, client, live_server, harness):
    context, page = _open(browser, client, live_server)
    try:
        page.check("input[name=saver]")
        assert page.evaluate("() => document.querySelector('video').src").endswith(
            "audio/index.m3u8"
        )
        page.wait_for_function("() => true")
        page.wait_for_timeout(300)
        assert harness["prefs"] == {"data_saver": True}
    finally:
        close_quietly(context, lambda: len(harness["beats"]))


def test_resume_quality_speed_and_hidden_tab(browser, client, live_server, harness):
    harness["resume"] = 6.0
    context, page = _open(browser, client, live_server)
    try:
        video = "document.querySelector('video')"
        # Before play nothing is loaded (preload="none"): the resume position is the
        # element's default start position, kept across a change of source.
        page.wait_for_function(f"() => {video}.currentTime >= 5.9")
        page.select_option("select[name=quality]", "1")
        assert page.evaluate(f"() => {video}.src").endswith("v240/index.m3u8")
        page.wait_for_function(f"() => {video}.currentTime >= 5.9")
        page.select_option("select[name=rate]", "1.5")
        assert page.evaluate(f"() => {video}.playbackRate") == 1.5
        page.select_option("select[name=captions]", "en")
        assert page.evaluate(f"() => {video}.textTracks[0].mode") == "showing"
        _play(page, 1)
        page.evaluate(
            "() => { Object.defineProperty(document, 'visibilityState',"
            " {value: 'hidden', configurable: true});"
            " document.dispatchEvent(new Event('visibilitychange')); }"
        )
        _wait_beat(harness, "hide")
        page.wait_for_timeout(2500)  # no ticks while hidden
    finally:
        close_quietly(context, lambda: len(harness["beats"]))
    events = [b["event"] for b in harness["beats"]]
    assert events[-1] == "hide" and "tick" not in events[events.index("hide") :]
    first = next(b for b in harness["beats"] if b["from"] is not None)
    assert first["from"] == pytest.approx(6.0, abs=0.3)
    assert harness["beats"][-1]["rate"] == 1.5


def test_a_beat_the_server_could_not_take_is_sent_again_with_its_seq(
    browser, client, live_server, harness
):
    harness["fail"] = 2  # the play beat and the first tick get a 503
    context, page = _open(browser, client, live_server)
    try:
        _play(page, 3)
        page.evaluate("() => document.querySelector('video').pause()")
        _wait_beat(harness, "pause")
        deadline = time.monotonic() + 5
        while {0, 1} - {b["seq"] for b in harness["beats"]} and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        close_quietly(context, lambda: len(harness["beats"]))
    seqs = {b["seq"] for b in harness["beats"]}
    assert seqs == set(range(max(seqs) + 1))  # nothing lost, 0 and 1 included
