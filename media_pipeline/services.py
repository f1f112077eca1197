"""Writes of the media pipeline: queueing, claiming, transcoding and publishing a ladder."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
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

from . import ladder
from .models import LectureVideo
from .probe import ProbeError, ProbeResult, probe_media

log = logging.getLogger(__name__)

RENDITIONS_ROOT = "lecture_renditions"
ACTIVE = (LectureVideo.Status.PROBING, LectureVideo.Status.TRANSCODING)


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


def stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "MEDIA_TRANSCODE_STALE_SECONDS", 600))


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
    transaction.on_commit(
        lambda: transcode_video_task.apply_async(
            (video_id,), time_limit=limit + 120, soft_time_limit=limit + 60
        )
    )


def video_transcode_request(*, video: LectureVideo, force: bool = False) -> bool:
    """Mark ``video`` as waiting for a (re)transcode and queue it.

    Refused (returns False) while a transcode of it is alive, unless ``force`` (a new
    source file was uploaded): then the running transcode loses its lock, stops at its
    next heartbeat and publishes nothing. Used after an upload, by the admin's "retry"
    action and to re-transcode a ready video; the current ladder stays served until the
    new one replaces it.
    """
    alive = Q(status__in=ACTIVE, heartbeat_at__gte=timezone.now() - stale_after())
    candidates = LectureVideo.objects.filter(pk=video.pk)
    if not force:
        candidates = candidates.exclude(alive)
    updated = candidates.update(
        status=LectureVideo.Status.UPLOADED,
        progress_percent=0,
        failure_reason="",
        lock_token="",
        heartbeat_at=timezone.now(),
        attempts=0,
    )
    if not updated:
        return False
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


def _claim(video_id: int) -> str:
    token = uuid.uuid4().hex
    now = timezone.now()
    waiting = Q(status=LectureVideo.Status.UPLOADED)
    stale = Q(status__in=ACTIVE) & (
        Q(heartbeat_at__lt=now - stale_after()) | Q(heartbeat_at__isnull=True)
    )
    claimed = (
        LectureVideo.objects.filter(pk=video_id)
        .filter(waiting | stale)
        .update(
            status=LectureVideo.Status.PROBING,
            lock_token=token,
            heartbeat_at=now,
            progress_percent=0,
            failure_reason="",
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        raise TranscodeBusy(video_id)
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
        heartbeat_at=None,
        progress_percent=0,
    )


def video_transcode_fail(*, video_id: int, reason: str) -> None:
    """Mark a video failed for good (used when retries of a transient failure run out)."""
    LectureVideo.objects.filter(pk=video_id).exclude(status=LectureVideo.Status.READY).update(
        status=LectureVideo.Status.FAILED,
        failure_reason=reason[:2000],
        lock_token="",
        heartbeat_at=None,
    )


def _release(video_id: int, token: str) -> None:
    LectureVideo.objects.filter(pk=video_id, lock_token=token).update(
        status=LectureVideo.Status.UPLOADED, lock_token="", heartbeat_at=timezone.now()
    )


def _local_source(video: LectureVideo, scratch: str) -> str:
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


def _work_dir(token: str) -> str:
    """Where ffmpeg writes: on the storage's own disk when it is local, so that
    publishing is one atomic rename; a private temporary folder otherwise."""
    if _is_local(default_storage):
        path = default_storage.path(f"{RENDITIONS_ROOT}/.tmp/{token}")
        os.makedirs(path, exist_ok=True)
        return path
    return tempfile.mkdtemp(prefix=f"lecture-{token[:8]}-")


def _run_ffmpeg(args: list[str], *, duration: float, timeout: float, on_progress) -> None:
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, text=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            proc.kill()

        watchdog = threading.Timer(timeout, kill)
        watchdog.start()
        try:
            for line in proc.stdout:
                key, _sep, value = line.strip().partition("=")
                if key == "out_time_us" and value.lstrip("-").isdigit() and duration > 0:
                    on_progress(min(99, max(0, int(int(value) / 1e6 / duration * 100))))
            proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            watchdog.cancel()
        stderr.seek(0)
        errors = stderr.read().decode("utf-8", "replace").strip()
    if timed_out.is_set():
        raise TransientTranscodeError(f"ffmpeg ran longer than {timeout:.0f} s")
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
            if time.monotonic() - beat > 30:
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
    scratch = tempfile.mkdtemp(prefix="lecture-src-")
    work_dir = None
    try:
        source = _local_source(video, scratch)
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
        last = {"at": 0.0, "percent": -1}

        def on_progress(percent: int) -> None:
            now = time.monotonic()
            if now - last["at"] >= 1.0:
                last.update(at=now, percent=percent)
                _guarded(video_id, token, progress_percent=percent)

        _run_ffmpeg(
            args,
            duration=probe.duration,
            timeout=transcode_time_limit(probe.duration),
            on_progress=on_progress,
        )
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


def transcodes_requeue_stale() -> list[int]:
    """Re-queue videos whose transcode stopped beating (a killed worker); returns their ids.

    Also re-sends videos left waiting far longer than any queue delay (a lost message).
    """
    now = timezone.now()
    lost_after = timedelta(seconds=getattr(settings, "MEDIA_TASK_MAX_SECONDS", 6 * 3600) + 3600)
    stale = Q(status__in=ACTIVE) & (
        Q(heartbeat_at__lt=now - stale_after()) | Q(heartbeat_at__isnull=True)
    )
    lost = Q(status=LectureVideo.Status.UPLOADED, heartbeat_at__lt=now - lost_after)
    requeued = []
    for video_id, token, duration in LectureVideo.objects.filter(stale | lost).values_list(
        "pk", "lock_token", "duration"
    ):
        updated = (
            LectureVideo.objects.filter(pk=video_id, lock_token=token)
            .filter(stale | lost)
            .update(status=LectureVideo.Status.UPLOADED, lock_token="", heartbeat_at=now)
        )
        if updated:
            transcode_enqueue(video_id=video_id, duration=duration or None)
            requeued.append(video_id)
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
