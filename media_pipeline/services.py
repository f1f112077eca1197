"""Writes of the media pipeline: queueing, claiming, transcoding and publishing a ladder."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnavailable

from . import failures, ladder
from .lease import beat_seconds, lease_is_dead, this_holder
from .models import LectureVideo
from .probe import ProbeError, ProbeResult, incomplete_message, probe_media

log = logging.getLogger(__name__)

RENDITIONS_ROOT = "lecture_renditions"
ACTIVE = (LectureVideo.Status.PROBING, LectureVideo.Status.TRANSCODING)
LEASE_FIELDS = ("status", "lock_token", "lock_holder", "heartbeat_at")
_RUN_DIR = re.compile(r"^lecture-(?:work|src)-([0-9a-f]{32})$")
PR_SET_PDEATHSIG = 1
_LIBC = (
    ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    if sys.platform.startswith("linux")
    else None
)


class TransientTranscodeError(Exception):
    """Worth another try later: ffmpeg killed, out of time, an I/O error."""


class TranscodeBusy(Exception):
    """Another run holds this video's lock (or it is not waiting for a transcode)."""


class LockLost(Exception):
    """This run's lock was taken over (the job was found stale and re-queued)."""


@dataclass
class TranscodeOutcome:
    video_id: int
    status: str
    reason: str = ""


def transcode_time_limit(duration: float | None) -> int:
    """Hard limit (s) of one transcode: scaled by duration, below the task's ceiling."""
    ceiling = int(getattr(settings, "MEDIA_TASK_MAX_SECONDS", 6 * 3600))
    per_second = float(getattr(settings, "MEDIA_TRANSCODE_SECONDS_PER_SECOND", 3.0))
    return int(min(ceiling, 300 + per_second * (duration or ceiling)))


# --- Queueing -----------------------------------------------------------------------------


def transcode_enqueue(*, video_id: int, duration: float | None = None) -> None:
    """Send the transcode task once the current transaction commits."""
    from .tasks import transcode_video_task

    limit = transcode_time_limit(duration)

    def send() -> None:
        try:
            transcode_video_task.apply_async(
                (video_id,), time_limit=limit + 120, soft_time_limit=limit + 60
            )
        except BrokerUnavailable:
            # The upload still succeeds; the video is marked as a lost message, which the
            # next beat re-queue (every minute) sends again once the broker answers.
            log.warning("video %s: the broker is unavailable, the re-queue will send it", video_id)
            LectureVideo.objects.filter(pk=video_id, status=LectureVideo.Status.UPLOADED).update(
                heartbeat_at=timezone.now() - _lost_after() - timedelta(seconds=1)
            )

    transaction.on_commit(send)


def video_transcode_request(*, video: LectureVideo, force: bool = False) -> bool:
    """Mark ``video`` as waiting for a (re)transcode and queue it.

    Refused (returns False) while a transcode of it is alive, unless ``force`` (a new
    source file was uploaded): then the running transcode loses its lock, stops at its
    next heartbeat and publishes nothing. Used after an upload, by the admin's "retry"
    action and to re-transcode a ready video; the current ladder stays served until the
    new one replaces it.
    """
    lease = LectureVideo.objects.filter(pk=video.pk).values(*LEASE_FIELDS).first()
    if lease is None:
        return False
    if not force and lease["status"] in ACTIVE and not _lease_dead(lease):
        return False
    candidates = LectureVideo.objects.filter(pk=video.pk)
    if not force:  # refused if the lease changed hands since it was read
        candidates = candidates.filter(lock_token=lease["lock_token"])
    updated = candidates.update(
        status=LectureVideo.Status.UPLOADED,
        progress_percent=0,
        failure_reason="",
        lock_token="",
        lock_holder="",
        heartbeat_at=timezone.now(),
        attempts=0,
    )
    if not updated:
        return False
    if lease["status"] in ACTIVE and lease["lock_token"] and _lease_dead(lease):
        _remove_run_dirs(lease["lock_token"])
    video.refresh_from_db()
    transcode_enqueue(video_id=video.pk, duration=video.duration or None)
    return True


def video_apply_probe(*, video: LectureVideo, probe: ProbeResult) -> None:
    """Copy what the probe found onto ``video`` (not saved)."""
    video.type = "audio" if probe.kind == "audio" else "video"
    video.duration = round(probe.duration, 3)
    video.width = probe.width
    video.height = probe.height
    video.source_fps = probe.fps
    video.source_video_codec = probe.video_codec
    video.source_audio_codec = probe.audio_codec


# --- The transcode ------------------------------------------------------------------------


def _lease_dead(lease: dict) -> bool:
    return lease_is_dead(holder=lease["lock_holder"], heartbeat_at=lease["heartbeat_at"])


def _claim(video_id: int) -> str:
    """Take the video's lease: waiting for a transcode, or held by a run that is dead (its
    process gone from this host, or its heartbeat older than the lease)."""
    lease = LectureVideo.objects.filter(pk=video_id).values(*LEASE_FIELDS).first()
    if lease is None:
        raise TranscodeBusy(video_id)
    stolen = lease["status"] in ACTIVE and _lease_dead(lease)
    if lease["status"] != LectureVideo.Status.UPLOADED and not stolen:
        raise TranscodeBusy(video_id)
    token = uuid.uuid4().hex
    claimed = LectureVideo.objects.filter(
        pk=video_id, status=lease["status"], lock_token=lease["lock_token"]
    ).update(
        status=LectureVideo.Status.PROBING,
        lock_token=token,
        lock_holder=this_holder()[:255],
        heartbeat_at=timezone.now(),
        progress_percent=0,
        failure_reason="",
        attempts=F("attempts") + 1,
    )
    if not claimed:
        raise TranscodeBusy(video_id)
    if stolen:
        log.warning("lecture %s: took over the lease of %s", video_id, lease["lock_holder"])
    _remove_dead_run_dirs()
    return token


def _guarded(video_id: int, token: str, **fields) -> None:
    """Update the video only while this run still holds its lock."""
    fields.setdefault("heartbeat_at", timezone.now())
    if not LectureVideo.objects.filter(pk=video_id, lock_token=token).update(**fields):
        raise LockLost(video_id)


def _fail(video_id: int, token: str | None, reason: str) -> None:
    qs = LectureVideo.objects.filter(pk=video_id)
    if token is not None:
        qs = qs.filter(lock_token=token)
    qs.update(
        status=LectureVideo.Status.FAILED,
        failure_reason=reason[:2000],
        lock_token="",
        lock_holder="",
        heartbeat_at=None,
        progress_percent=0,
    )


def video_transcode_fail(*, video_id: int, reason: str) -> None:
    """Mark a video failed for good (used when retries of a transient failure run out)."""
    LectureVideo.objects.filter(pk=video_id).exclude(status=LectureVideo.Status.READY).update(
        status=LectureVideo.Status.FAILED,
        failure_reason=reason[:2000],
        lock_token="",
        lock_holder="",
        heartbeat_at=None,
    )


def _release(video_id: int, token: str) -> None:
    LectureVideo.objects.filter(pk=video_id, lock_token=token).update(
        status=LectureVideo.Status.UPLOADED,
        lock_token="",
        lock_holder="",
        heartbeat_at=timezone.now(),
    )


def _local_source(video: LectureVideo, scratch: str) -> str:
    """The source as a local path: the file itself, or a copy in ``scratch``."""
    storage = video.file.storage
    try:
        return storage.path(video.file.name)
    except NotImplementedError:
        target = os.path.join(scratch, "source" + os.path.splitext(video.file.name)[1][:8])
        with storage.open(video.file.name, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 4 * 1024 * 1024)
        return target


def _is_local(storage) -> bool:
    return isinstance(storage, FileSystemStorage)


def _tmp_root() -> str:
    return f"{RENDITIONS_ROOT}/.tmp"


def _scratch_dir(token: str, kind: str) -> str:
    path = os.path.join(tempfile.gettempdir(), f"lecture-{kind}-{token}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _work_dir(token: str) -> str:
    """Where ffmpeg writes: on the storage's own disk when it is local, so that
    publishing is one atomic rename; a private temporary folder otherwise. Both are
    named by the run's token, so that the run that takes over a dead one finds them."""
    if _is_local(default_storage):
        path = default_storage.path(f"{_tmp_root()}/{token}")
        os.makedirs(path, exist_ok=True)
        return path
    return _scratch_dir(token, "work")


def _remove_run_dirs(token: str) -> None:
    """Remove the temporary folders of the run ``token`` (on this host)."""
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        return
    if _is_local(default_storage):
        shutil.rmtree(default_storage.path(f"{_tmp_root()}/{token}"), ignore_errors=True)
    for kind in ("work", "src"):
        shutil.rmtree(os.path.join(tempfile.gettempdir(), f"lecture-{kind}-{token}"), True)


def _remove_dead_run_dirs() -> None:
    """Remove temporary folders whose run no longer holds a lease (a killed worker's)."""
    held = set(
        LectureVideo.objects.filter(status__in=ACTIVE)
        .exclude(lock_token="")
        .values_list("lock_token", flat=True)
    )
    names = []
    if _is_local(default_storage):
        root = default_storage.path(_tmp_root())
        if os.path.isdir(root):
            names += os.listdir(root)
    for name in os.listdir(tempfile.gettempdir()):
        if match := _RUN_DIR.match(name):
            names.append(match.group(1))
    for token in set(names) - held:
        _remove_run_dirs(token)


def _die_with_parent(parent_pid: int) -> None:
    """Run in ffmpeg's process before it starts: be killed when the worker dies.

    ``PR_SET_PDEATHSIG`` sends SIGKILL when the thread that started ffmpeg ends (the
    worker's child killed with ``kill -9`` included); if that already happened, exit.
    """
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _run_ffmpeg(args: list[str], *, duration: float, timeout: float, on_progress) -> None:
    """Run ffmpeg in its own process group, dying with this process.

    ``on_progress`` is called with a percentage when ffmpeg reports one and with None
    at least once a second otherwise, so that the caller can beat its heartbeat.
    """
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
            preexec_fn=functools.partial(_die_with_parent, os.getpid()),
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout
        timed_out = False
        try:
            while True:
                try:
                    line = lines.get(timeout=1.0)
                except queue.Empty:
                    line = ""
                if line is None:
                    break
                if time.monotonic() > deadline:
                    timed_out = True
                    _kill_group(proc)
                    break
                key, _sep, value = line.strip().partition("=")
                percent = None
                if key == "out_time_us" and value.lstrip("-").isdigit() and duration > 0:
                    percent = min(99, max(0, int(int(value) / 1e6 / duration * 100)))
                on_progress(percent)
            proc.wait()
        except BaseException:
            _kill_group(proc)
            proc.wait()
            raise
        stderr.seek(0)
        errors = stderr.read().decode("utf-8", "replace").strip()
    if timed_out:
        raise TransientTranscodeError(f"ffmpeg ran longer than {timeout:.0f} s")
    failures.raise_if_disk_full(errors)  # final, not transient: media_pipeline/failures.py
    if proc.returncode < 0 or "No space left" in errors or "Input/output error" in errors:
        raise TransientTranscodeError(f"ffmpeg exited with {proc.returncode}: {errors[-500:]}")
    if proc.returncode != 0:
        last = errors.splitlines()[-1] if errors else str(proc.returncode)
        raise ProbeError(_("The video could not be transcoded: %(error)s") % {"error": last})


def _publish(work_dir: str, video_id: int, token: str) -> str:
    """Move the finished ladder to its final folder; returns the storage prefix.

    Locally one rename; to a remote storage file by file, beating the heartbeat."""
    prefix = f"{RENDITIONS_ROOT}/{video_id}/{token[:16]}"
    if _is_local(default_storage):
        final = default_storage.path(prefix)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        os.replace(work_dir, final)
        return prefix
    beat = time.monotonic()
    for root, _dirs, files in os.walk(work_dir):
        for name in files:
            if time.monotonic() - beat > beat_seconds():
                _guarded(video_id, token)
                beat = time.monotonic()
            path = os.path.join(root, name)
            rel = os.path.relpath(path, work_dir).replace(os.sep, "/")
            with open(path, "rb") as fh:
                default_storage.save(f"{prefix}/{rel}", fh)
    return prefix


def storage_delete_tree(prefix: str) -> None:
    """Delete every file under ``prefix`` in the default storage."""
    if _is_local(default_storage):
        shutil.rmtree(default_storage.path(prefix), ignore_errors=True)
        return
    try:
        dirs, files = default_storage.listdir(prefix)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in files:
        default_storage.delete(f"{prefix}/{name}")
    for name in dirs:
        storage_delete_tree(f"{prefix}/{name}")


def _remove_other_ladders(video_id: int, keep: str) -> None:
    root = f"{RENDITIONS_ROOT}/{video_id}"
    try:
        dirs, _files = default_storage.listdir(root)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in dirs:
        if f"{root}/{name}" != keep:
            storage_delete_tree(f"{root}/{name}")


def video_transcode(
    *, video_id: int, options: ladder.EncodeOptions | None = None
) -> TranscodeOutcome:
    """Probe and transcode one video into its ladder; the Celery task's body.

    Raises :class:`TranscodeBusy` when another run holds the video and
    :class:`TransientTranscodeError` for failures worth a retry (the lock is released
    first). Bad input ends as ``failed`` with a reason and is not raised.
    """
    token = _claim(video_id)
    video = LectureVideo.objects.get(pk=video_id)
    scratch = _scratch_dir(token, "src")
    work_dir = None
    try:
        source = _local_source(video, scratch)
        _guarded(video_id, token)
        probe = probe_media(source)
        video_apply_probe(video=video, probe=probe)
        _guarded(
            video_id,
            token,
            status=LectureVideo.Status.TRANSCODING,
            type=video.type,
            duration=video.duration,
            width=video.width,
            height=video.height,
            source_fps=video.source_fps,
            source_video_codec=video.source_video_codec,
            source_audio_codec=video.source_audio_codec,
        )
        plan = ladder.plan_for(probe)
        work_dir = _work_dir(token)
        args = ladder.build_command(source, work_dir, plan, options)
        last = {"at": time.monotonic(), "percent": 0}

        def on_progress(percent: int | None) -> None:
            now = time.monotonic()
            if percent is not None:
                last["percent"] = percent
            if now - last["at"] >= (1.0 if percent is not None else beat_seconds()):
                last["at"] = now
                _guarded(video_id, token, progress_percent=last["percent"])

        _run_ffmpeg(
            args,
            duration=probe.duration,
            timeout=transcode_time_limit(probe.duration),
            on_progress=on_progress,
        )
        short = [c for c in ladder.check_outputs(work_dir, plan, options) if c.short]
        if short:
            worst = min(short, key=lambda c: c.seconds - c.expected)
            log.warning("lecture %s: outputs short of the source: %s", video_id, short)
            raise ProbeError(incomplete_message(end=worst.seconds, duration=worst.expected))
        manifest = ladder.finish_ladder(work_dir, plan)
        _guarded(video_id, token)  # still ours before anything becomes visible
        prefix = _publish(work_dir, video_id, token)
        work_dir = None
        with transaction.atomic():
            try:
                _guarded(
                    video_id,
                    token,
                    status=LectureVideo.Status.READY,
                    rendition_dir=prefix,
                    renditions=manifest.as_dict(),
                    progress_percent=100,
                    transcoded_at=timezone.now(),
                    lock_token="",
                    lock_holder="",
                    heartbeat_at=None,
                )
            except LockLost:
                storage_delete_tree(prefix)
                raise
        _remove_other_ladders(video_id, keep=prefix)
        return TranscodeOutcome(video_id, LectureVideo.Status.READY)
    except ProbeError as exc:
        _fail(video_id, token, str(exc))
        return TranscodeOutcome(video_id, LectureVideo.Status.FAILED, str(exc))
    except LockLost:
        log.warning("lecture %s: lock lost, another run took over", video_id)
        return TranscodeOutcome(video_id, "lock-lost")
    except (TransientTranscodeError, OSError) as exc:
        _release(video_id, token)
        raise TransientTranscodeError(str(exc)) from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)


def _lost_after() -> timedelta:
    """A video waiting this long for its first run lost its message (longer than any queue
    delay)."""
    return timedelta(seconds=getattr(settings, "MEDIA_TASK_MAX_SECONDS", 6 * 3600) + 3600)


def transcodes_requeue_stale() -> list[int]:
    """Re-queue videos whose transcode stopped beating (a killed worker); returns their ids.

    Also re-sends videos left waiting far longer than any queue delay (a lost message).
    """
    now = timezone.now()
    lost = Q(status=LectureVideo.Status.UPLOADED, heartbeat_at__lt=now - _lost_after())
    rows = LectureVideo.objects.filter(Q(status__in=ACTIVE) | lost).values(
        "pk", "duration", *LEASE_FIELDS
    )
    requeued = []
    for row in rows:
        if row["status"] in ACTIVE and not _lease_dead(row):
            continue
        updated = LectureVideo.objects.filter(
            pk=row["pk"], status=row["status"], lock_token=row["lock_token"]
        ).update(
            status=LectureVideo.Status.UPLOADED, lock_token="", lock_holder="", heartbeat_at=now
        )
        if updated:
            _remove_run_dirs(row["lock_token"])
            transcode_enqueue(video_id=row["pk"], duration=row["duration"] or None)
            requeued.append(row["pk"])
    return requeued


def video_delete_renditions(*, video_id: int) -> None:
    """Remove every ladder of a video (used when the video is deleted)."""
    storage_delete_tree(f"{RENDITIONS_ROOT}/{video_id}")


# --- Captions -----------------------------------------------------------------------------

_SRT_TIME = __import__("re").compile(r"(\d{1,2}:\d{2}:\d{2})[,.](\d{1,3})")


def caption_text_to_vtt(raw: bytes) -> str:
    """WebVTT text from an uploaded WebVTT or SRT file; raises ValueError if neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError(_("The caption file is not UTF-8 or GB18030 text."))
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if text.startswith("WEBVTT"):
        return text + "\n"
    if "-->" not in text:
        raise ValueError(_("This is not a WebVTT or SRT caption file."))
    lines = []
    for line in text.split("\n"):
        if "-->" in line:
            line = _SRT_TIME.sub(lambda m: f"{m.group(1)}.{m.group(2).ljust(3, '0')}", line)
        lines.append(line)
    return "WEBVTT\n\n" + "\n".join(lines) + "\n"
