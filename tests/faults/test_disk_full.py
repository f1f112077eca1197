"""The disk filling up during a transcode, on real ffmpeg and the real worker.

``MEDIA_ROOT`` (where uploads live and where ffmpeg writes the ladder before it is
published with one rename) is a tmpfs mounted for the test and shrunk, once a first video
is ready and a second one uploaded, to leave far less room than the second ladder needs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

from cms.settings.base import LANGUAGE_CODE as WORKER_LANGUAGE
from media_pipeline import services
from media_pipeline.failures import NotEnoughDiskSpace
from media_pipeline.models import LectureVideo
from media_pipeline.tasks import transcode_video_task
from tests.conftest import wait_for
from tests.media_pipeline.conftest import ensure_root_collection, ffmpeg

HEADROOM_KIB = 256  # left free for the second transcode: far less than its ladder


def _used_kib(path: Path) -> int:
    usage = shutil.disk_usage(path)
    return usage.used // 1024


def _remount(path: Path, size_kib: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size_kib}k", str(path)], check=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _plays(master: Path) -> bool:
    """ffmpeg decodes the whole ladder's master playlist without an error."""
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-v", "error", "-nostdin", "-i", str(master), "-f", "null", "-"],
        capture_output=True, text=True,
    )  # fmt: skip
    return done.returncode == 0 and not done.stderr.strip()


def _ladder_files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): _sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def media_on_small_disk(make_video, small_filesystem, settings):
    """``MEDIA_ROOT`` on a tmpfs of 64 MiB (shrunk by the test)."""
    root = small_filesystem(64 * 1024)
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def long_source(tmp_path) -> Path:
    """A 12 s 640×360 lecture with sound: its ladder takes megabytes."""
    path = tmp_path / "long-lecture.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=12",
           "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=44100:duration=12",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
           "-shortest", str(path))  # fmt: skip
    return path


@pytest.mark.ffmpeg
@pytest.mark.worker
def test_disk_full_fails_with_a_reason_keeps_the_source_and_the_other_video(
    media_on_small_disk, make_video, clips, long_source, celery_worker_process
):
    root = media_on_small_disk
    ensure_root_collection()
    # given a lecture already ready on that disk …
    ready = make_video(clips.v240, title="Ready before")
    assert transcode_video_task.delay(ready.pk) is not None
    ready = wait_for(
        lambda: LectureVideo.objects.filter(pk=ready.pk, status="ready").first(), timeout=120
    )
    ready_ladder = root / ready.rendition_dir
    ready_files = _ladder_files(ready_ladder)
    assert _plays(ready_ladder / "master.m3u8")
    # … a second one uploaded, and the disk shrunk to leave it 256 KiB
    upload = make_video(long_source, title="Too big for the disk")
    source = Path(upload.file.path)
    source_hash = _sha256(source)
    used_before = _used_kib(root)
    _remount(root, used_before + HEADROOM_KIB)

    # when the worker transcodes it
    transcode_video_task.delay(upload.pk)
    failed = wait_for(
        lambda: LectureVideo.objects.filter(pk=upload.pk, status="failed").first(), timeout=180
    )

    # then it ends failed at once (no retries filling the disk again) with the translated
    # reason, in the worker's language …
    with translation.override(WORKER_LANGUAGE):
        expected = str(NotEnoughDiskSpace())
    assert failed.failure_reason == expected
    assert failed.attempts == 1 and failed.lock_token == "" and failed.rendition_dir == ""
    # … the uploaded source kept as it was, the run's temporary files removed and the
    # space given back …
    assert source.exists() and _sha256(source) == source_hash
    tmp = root / services.RENDITIONS_ROOT / ".tmp"
    assert not tmp.exists() or not any(tmp.iterdir())
    assert not (root / services.RENDITIONS_ROOT / str(upload.pk)).exists()
    assert _used_kib(root) <= used_before + 8
    # … and the other lecture still ready, its ladder unchanged and playable
    ready.refresh_from_db()
    assert ready.status == "ready"
    assert _ladder_files(ready_ladder) == ready_files
    assert _plays(ready_ladder / "master.m3u8")

    # and once space is freed, "transcode again" makes it ready from the kept source
    _remount(root, 64 * 1024)
    assert services.video_transcode_request(video=failed)
    wait_for(
        lambda: LectureVideo.objects.filter(pk=upload.pk, status="ready").exists(), timeout=180
    )
    upload.refresh_from_db()
    assert _plays(root / upload.rendition_dir / "master.m3u8")
    assert os.path.isfile(source) and upload.failure_reason == ""


def test_not_enough_disk_space_is_told_from_other_errors():
    from media_pipeline.failures import is_disk_full

    assert is_disk_full(OSError(28, "No space left on device"))
    assert is_disk_full("[hls @ 0x1] Failed to write: No space left on device\nConversion failed!")
    assert not is_disk_full("Input/output error")
    assert not is_disk_full(OSError(13, "Permission denied"))
    with translation.override("en"):
        assert str(NotEnoughDiskSpace()).startswith("Not enough disk space")
