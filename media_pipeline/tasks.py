"""Celery tasks of the media pipeline: thin wrappers around services, on the ``media`` queue."""

import logging

from celery import Task, shared_task
from django.conf import settings
from django.utils.translation import gettext as _

from . import services

log = logging.getLogger(__name__)


class TranscodeTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Retries of a transient failure ran out (or something unexpected broke).
        if args:
            services.video_transcode_fail(
                video_id=args[0],
                reason=_("Transcoding failed after several attempts: %(error)s")
                % {"error": str(exc)[:500]},
            )


@shared_task(
    name="media_pipeline.tasks.transcode_video_task",
    base=TranscodeTask,
    bind=True,
    autoretry_for=(services.TransientTranscodeError,),
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=3,
    time_limit=settings.MEDIA_TASK_MAX_SECONDS,
    soft_time_limit=settings.MEDIA_TASK_MAX_SECONDS - 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def transcode_video_task(self, video_id: int) -> str:
    try:
        outcome = services.video_transcode(video_id=video_id)
    except services.TranscodeBusy:
        log.info("lecture %s: not waiting for a transcode or already running", video_id)
        return "busy"
    return outcome.status


@shared_task(
    name="media_pipeline.tasks.requeue_stale_transcodes_task", time_limit=120, soft_time_limit=100
)
def requeue_stale_transcodes_task() -> list[int]:
    return services.transcodes_requeue_stale()
