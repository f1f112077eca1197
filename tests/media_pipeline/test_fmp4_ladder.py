"""The leaner ladder: fMP4 (CMAF) segments that both supported players play, an audio-only
rung and a poster within their budgets, measured on real (synthetic) speech.

The lecture is generated at run time: espeak-ng narration over dense text slides drawn
with ffmpeg (``media_pipeline.demo.spoken_lecture``), as in bench/transcode.py.
"""

import shutil
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.storage import default_storage

from media_pipeline import ladder, services
from media_pipeline.demo import spoken_lecture
from media_pipeline.models import LectureVideo
from media_pipeline.selectors import video_playback
from tests.courses.factories import make_course, make_lesson
from tests.factories import UserFactory

pytestmark = pytest.mark.ffmpeg

SECONDS = 20
AUDIO_ONLY_MB_PER_MIN = 0.35
POSTER_MAX_BYTES = 10 * 1024


@pytest.fixture(scope="session")
def speech_lecture(tmp_path_factory) -> Path:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng)")
    path = tmp_path_factory.mktemp("speech") / "spoken.mp4"
    return Path(spoken_lecture(str(path), width=640, height=360, seconds=SECONDS))


def transcoded(path: Path) -> LectureVideo:
    with open(path, "rb") as fh:
        video = LectureVideo(title="Spoken", type="video")
        video.file.save(path.name, File(fh))
    outcome = services.video_transcode(video_id=video.pk)
    assert outcome.status == "ready", outcome.reason
    video.refresh_from_db()
    return video


def rung_bytes(folder: Path) -> int:
    """What a player downloads for a rung: its init segment and every segment."""
    return sum(p.stat().st_size for p in folder.iterdir() if p.suffix in (".mp4", ".m4s"))


def test_audio_rung_and_poster_fit_their_budgets_on_speech(db, settings, tmp_path, speech_lecture):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    video = transcoded(speech_lecture)

    root = Path(default_storage.path(video.rendition_dir))
    minutes = video.duration / 60
    audio = root / ladder.AUDIO_DIR
    assert (audio / "init.mp4").exists() and any(audio.glob("*.m4s"))
    assert rung_bytes(audio) / minutes / 1e6 <= AUDIO_ONLY_MB_PER_MIN
    poster = root / video.renditions["poster"]
    assert poster.name == "poster.webp" and poster.read_bytes()[8:12] == b"WEBP"
    assert poster.stat().st_size <= POSTER_MAX_BYTES
    # every rung is fMP4 and its codecs are read from its init segment
    master = (root / "master.m3u8").read_text()
    assert 'CODECS="avc1.64' in master and "avc1.640028" not in master  # not the fallback
    for rung in video.renditions["rungs"]:
        assert '#EXT-X-MAP:URI="init.mp4"' in (root / rung["playlist"]).read_text()


def test_a_missing_or_empty_init_segment_makes_the_rung_short(
    db, settings, tmp_path, speech_lecture
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    video = transcoded(speech_lecture)
    root = Path(default_storage.path(video.rendition_dir))
    from media_pipeline.probe import probe_media

    plan = ladder.plan_for(probe_media(str(speech_lecture)))
    assert not [c for c in ladder.check_outputs(str(root), plan) if c.short]

    (root / "240p" / "init.mp4").unlink()
    (root / "audio" / "init.mp4").write_bytes(b"")

    assert {c.name for c in ladder.check_outputs(str(root), plan) if c.short} == {
        "240p",
        "audio",
    }


# --- Both players we support play the fMP4 ladder, through the protected view ----------------

NO_NATIVE_HLS = (
    "HTMLMediaElement.prototype.canPlayType = (function (orig) {"
    " return function (t) { return /mpegurl/i.test(t) ? '' : orig.call(this, t); };"
    "})(HTMLMediaElement.prototype.canPlayType);"
)
HLS_JS = Path(__file__).resolve().parents[2] / "static_src" / "vendor" / "hls.light.min.js"


@pytest.fixture
def served_ladder(transactional_db, settings, tmp_path, speech_lecture, live_server):
    from tests.media_pipeline.conftest import ensure_root_collection

    settings.MEDIA_ROOT = str(tmp_path / "media")
    ensure_root_collection()
    video = transcoded(speech_lecture)
    make_lesson(make_course(), body=[("lecture_video", {"video": video, "caption": ""})])
    member = UserFactory(username="viewer")
    return member, video_playback(user=member, video=video)


def _member_page(browser, client, live_server, member, *, native: bool):
    client.force_login(member)
    # The page is ours (set below), not the site's: its CSP would stop the injected hls.js.
    context = browser.new_context(bypass_csp=True)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    if not native:
        context.add_init_script(NO_NATIVE_HLS)
    page = context.new_page()
    page.goto(live_server.url + "/robots.txt")  # any page of the site: same origin
    page.set_content("<video muted playsinline></video>")
    return context, page


@pytest.mark.e2e
@pytest.mark.parametrize("native", [True, False], ids=["native-hls", "hls.js"])
def test_the_fmp4_ladder_plays(browser, client, live_server, served_ladder, native):
    member, info = served_ladder
    context, page = _member_page(browser, client, live_server, member, native=native)
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    try:
        can_native = page.evaluate(
            "() => document.querySelector('video').canPlayType('application/vnd.apple.mpegurl')"
        )
        assert bool(can_native) is native
        if native:
            page.evaluate(
                "url => { const v = document.querySelector('video'); v.src = url;"
                " v.play().catch(() => {}); }",
                info.master_url,
            )
        else:
            page.add_script_tag(content=HLS_JS.read_text())
            assert page.evaluate("() => Hls.isSupported()")
            page.evaluate(
                "url => { const v = document.querySelector('video');"
                " const hls = new Hls(); hls.loadSource(url); hls.attachMedia(v);"
                " hls.on(Hls.Events.MANIFEST_PARSED, () => v.play().catch(() => {})); }",
                info.master_url,
            )
        page.wait_for_function(
            "() => document.querySelector('video').currentTime > 0.5", timeout=30000
        )
        error = page.evaluate("() => document.querySelector('video').error")
    finally:
        context.close()
    assert error is None
    assert any(url.endswith("/init.mp4") for url in requested), requested
    assert any(url.endswith(".m4s") for url in requested), requested
