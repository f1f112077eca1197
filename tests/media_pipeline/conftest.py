import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files import File

from media_pipeline.models import LectureVideo


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args], check=True
    )


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in English, whatever translations are compiled."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> SimpleNamespace:
    """Tiny real media files, generated once per session."""
    d: Path = tmp_path_factory.mktemp("clips")
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2"]
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    c = SimpleNamespace(dir=d)
    c.v360 = d / "clip-360.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=2", *tone, *x264, "-c:a", "aac",
           "-shortest", str(c.v360))  # fmt: skip
    c.v240 = d / "clip-240.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2", *tone, *x264, "-c:a", "aac",
           "-shortest", str(c.v240))  # fmt: skip
    c.silent = d / "silent.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2", *x264, str(c.silent))
    c.mp3 = d / "talk.mp3"
    ffmpeg(*tone, "-c:a", "libmp3lame", "-b:a", "64k", str(c.mp3))
    c.audio_mkv = d / "sound-only.mkv"
    ffmpeg(*tone, "-c:a", "aac", str(c.audio_mkv))
    c.not_media = d / "notes.mp4"
    c.not_media.write_bytes(b"These are lecture notes, not a video.\n" * 20)
    c.empty = d / "empty.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=s=64x64", "-t", "0", str(c.empty))
    c.wide = d / "wide.mkv"
    ffmpeg("-f", "lavfi", "-i", "color=s=4100x16:r=5:d=1", *x264, str(c.wide))
    c.ts = d / "part.ts"
    ffmpeg("-i", str(c.v240), "-c", "copy", str(c.ts))
    # A canary: a FIFO that only a reader would open. See ``canary_opened``.
    c.canary = d / "canary.ts"
    os.mkfifo(c.canary)
    c.playlist = d / "lecture.m3u8"
    c.playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{c.ts}\n#EXT-X-ENDLIST\n")
    c.disguised = d / "disguised.mp4"
    c.disguised.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{c.canary}\n#EXT-X-ENDLIST\n"
    )
    c.concat = d / "list.mp4"
    c.concat.write_text(f"ffconcat version 1.0\nfile '{c.canary}'\n")
    return c


def ensure_root_collection() -> None:
    """A transactional test flushes the tables, the root collection included."""
    from wagtail.models import Collection

    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")


@pytest.fixture
def make_video(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    def make(path: Path, title: str = "Lecture", **fields) -> LectureVideo:
        with open(path, "rb") as fh:
            video = LectureVideo(title=title, type="video", **fields)
            video.file.save(path.name, File(fh))
        return video

    return make


@pytest.fixture
def prefork_worker(transactional_db, settings):
    """A real ``celery worker`` with one prefork child, as in production: the task runs in
    the child, and the parent re-delivers it if the child is killed."""
    from tests.conftest import real_worker

    yield from real_worker(
        settings,
        pool=["--pool", "prefork", "-c", "1", "--without-heartbeat"],
        log_name="test-prefork-worker",
        stop_timeout=30,
    )
