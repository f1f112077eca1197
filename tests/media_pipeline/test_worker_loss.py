"""A killed worker: its ffmpeg dies with it, its lease is taken over at once, its temporary
folders are removed, and the admin's retry works while its lease is pending."""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from media_pipeline import lease, services
from media_pipeline.models import LectureVideo
from media_pipeline.tasks import transcode_video_task
from tests.factories import UserFactory
from tests.media_pipeline.conftest import ensure_root_collection, ffmpeg

pytestmark = pytest.mark.ffmpeg

ROOT = Path(__file__).resolve().parents[2]


def dead_holder() -> str:
    """The holder string of a process of this host that has exited."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return f"{socket.gethostname()}:{proc.pid}:1"


def alive(pid: int) -> bool:
    """Running (a zombie that nobody reaped yet counts as gone)."""
    return lease._start_ticks(pid) is not None


def hold(video: LectureVideo, *, holder: str, beat_age: float = 0.0, token: str = "") -> str:
    token = token or "a" * 32
    LectureVideo.objects.filter(pk=video.pk).update(
        status="transcoding",
        progress_percent=38,
        lock_token=token,
        lock_holder=holder,
        heartbeat_at=timezone.now() - timedelta(seconds=beat_age),
    )
    return token


def dead_run_dir(token: str) -> Path:
    path = Path(default_storage.path(f"{services.RENDITIONS_ROOT}/.tmp/{token}"))
    (path / "360p").mkdir(parents=True)
    (path / "360p" / "seg_00000.ts").write_bytes(b"\x47" * 188 * 100)
    return path


class TestLease:
    def test_holder_of_this_process_is_alive_and_an_exited_one_is_gone(self):
        assert not lease.holder_is_gone(lease.this_holder())
        assert lease.holder_is_gone(dead_holder())
        # a pid reused by another process: the start time differs
        assert lease.holder_is_gone(f"{socket.gethostname()}:{os.getpid()}:1")
        # another host is judged by its heartbeat only
        assert not lease.holder_is_gone("elsewhere:1:1")

    def test_redelivered_task_takes_over_a_dead_holders_fresh_lease(self, make_video, clips):
        video = make_video(clips.v240)
        token = hold(video, holder=dead_holder())
        leftover = dead_run_dir(token)

        assert transcode_video_task.delay(video.pk).get() == "ready"

        video.refresh_from_db()
        assert video.status == "ready" and video.attempts == 1 and video.lock_holder == ""
        assert not leftover.exists()

    def test_a_live_holder_keeps_its_lease(self, make_video, clips):
        video = make_video(clips.v240)
        hold(video, holder=lease.this_holder())

        assert transcode_video_task.delay(video.pk).get() == "busy"
        assert services.video_transcode_request(video=video) is False

        video.refresh_from_db()
        assert video.status == "transcoding" and video.lock_token == "a" * 32

    def test_a_silent_holder_on_another_host_loses_its_lease_in_seconds(
        self, make_video, clips, settings
    ):
        video = make_video(clips.v240)
        hold(video, holder="elsewhere:1:1", beat_age=lease.lease_seconds() + 1)

        assert transcode_video_task.delay(video.pk).get() == "ready"

    def test_admin_retry_works_while_a_dead_lease_is_pending(
        self, client, make_video, clips, django_capture_on_commit_callbacks
    ):
        client.force_login(UserFactory(username="boss", is_superuser=True, is_staff=True))
        video = make_video(clips.v240)
        token = hold(video, holder=dead_holder())
        leftover = dead_run_dir(token)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("media_pipeline_retry", args=(video.pk,)), follow=True)

        assert "queued for transcoding" in response.content.decode()
        video.refresh_from_db()
        assert video.status == "ready" and not leftover.exists()

    def test_stale_requeue_uses_the_lease(
        self, make_video, clips, django_capture_on_commit_callbacks
    ):
        dead = make_video(clips.v240, title="dead")
        busy = make_video(clips.v240, title="busy")
        hold(dead, holder=dead_holder())
        hold(busy, holder=lease.this_holder(), token="b" * 32)

        with django_capture_on_commit_callbacks(execute=True):
            requeued = services.transcodes_requeue_stale()

        assert requeued == [dead.pk]
        dead.refresh_from_db()
        busy.refresh_from_db()
        assert dead.status == "ready" and busy.status == "transcoding"


def test_ffmpeg_dies_with_the_process_that_started_it(tmp_path):
    # given a process running an endless ffmpeg through the pipeline's runner
    pid_file = tmp_path / "ffmpeg.pid"
    script = (
        "import os, sys, threading, time\n"
        "from media_pipeline import services\n"
        "def report():\n"
        "    time.sleep(1)\n"
        "    me = str(os.getpid())\n"
        "    kids = [p for p in os.listdir('/proc') if p.isdigit() and\n"
        "            open(f'/proc/{p}/stat').read().split(') ')[1].split()[1] == me]\n"
        f"    open({str(pid_file)!r}, 'w').write(' '.join(kids))\n"
        "threading.Thread(target=report, daemon=True).start()\n"
        "services._run_ffmpeg(['ffmpeg', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi',\n"
        "    '-i', 'testsrc=s=64x64:r=5', '-f', 'null', '-'], duration=1, timeout=600,\n"
        "    on_progress=lambda p: None)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"}
    runner = subprocess.Popen(
        [sys.executable, "-c", "import django; django.setup(); exec(open(0).read())"],
        stdin=subprocess.PIPE,
        cwd=ROOT,
        env=env,
        text=True,
    )
    runner.stdin.write(script)
    runner.stdin.close()
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, "ffmpeg did not start"
        time.sleep(0.1)
    ffmpeg_pids = [int(p) for p in pid_file.read_text().split()]
    assert ffmpeg_pids and all(alive(p) for p in ffmpeg_pids)
    # in its own process group, away from the worker's signals to its group
    assert all(os.getpgid(p) == p for p in ffmpeg_pids)

    # when that process is killed outright
    runner.send_signal(signal.SIGKILL)
    runner.wait()

    # then ffmpeg dies with it
    deadline = time.monotonic() + 5
    while any(alive(p) for p in ffmpeg_pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(p) for p in ffmpeg_pids)


# --- On the real worker -----------------------------------------------------------------


def ffmpeg_processes(needle: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "ffmpeg" in cmdline and needle in cmdline and alive(int(entry)):
            pids.append(int(entry))
    return pids


@pytest.fixture(scope="module")
def long_lecture(tmp_path_factory) -> Path:
    """Long enough that a kill lands mid-transcode on a busy 2-core machine."""
    path = tmp_path_factory.mktemp("long") / "long.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=40",
           "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=44100:duration=40",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-shortest", str(path))  # fmt: skip
    return path


@pytest.mark.worker
def test_kill_9_of_the_worker_child_mid_transcode(prefork_worker, long_lecture):
    from tests.conftest import wait_for

    # given a lecture being transcoded by the worker's child process
    ensure_root_collection()
    with open(long_lecture, "rb") as fh:
        video = LectureVideo(title="Killed mid-way", type="video")
        video.file.save("long.mp4", File(fh))
    started = time.monotonic()
    transcode_video_task.delay(video.pk)

    def under_way():
        video.refresh_from_db()
        return video.status == "transcoding" and video.progress_percent >= 10

    wait_for(under_way, timeout=120)
    holder, token, percent = video.lock_holder, video.lock_token, video.progress_percent
    child = int(holder.split(":")[1])
    assert child != prefork_worker.pid and alive(child)
    media_root = str(default_storage.path(""))
    orphans = ffmpeg_processes(media_root)
    assert orphans, "no ffmpeg running under the worker's child"
    full = (time.monotonic() - started) / (percent / 100)

    # when the child is killed outright (the pool forks a new one)
    os.kill(child, signal.SIGKILL)
    killed = time.monotonic()

    # then the ffmpeg it ran dies with it
    wait_for(lambda: not any(alive(p) for p in orphans), timeout=5)

    # and the re-delivered task takes the lease over: ready within a minute plus a transcode
    def finished():
        video.refresh_from_db()
        return video.status in ("ready", "failed")

    wait_for(finished, timeout=60 + 2 * full)
    assert video.status == "ready", video.failure_reason
    assert time.monotonic() - killed < 60 + 2 * full
    assert video.attempts == 2 and video.lock_holder == ""

    # one complete ladder, no stray files, no ffmpeg left
    ladders = Path(default_storage.path(f"{services.RENDITIONS_ROOT}/{video.pk}"))
    assert [p.name for p in ladders.iterdir()] == [Path(video.rendition_dir).name]
    assert sorted(p.name for p in Path(default_storage.path(video.rendition_dir)).iterdir()) == [
        "240p", "360p", "480p", "720p", "audio", "download.mp4", "master.m3u8", "poster.webp",
    ]  # fmt: skip
    tmp = Path(default_storage.path(services.RENDITIONS_ROOT)) / ".tmp"
    assert not tmp.exists() or not any(tmp.iterdir())
    import tempfile

    assert not list(Path(tempfile.gettempdir()).glob(f"lecture-*-{token}"))
    assert ffmpeg_processes(media_root) == []
