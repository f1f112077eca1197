"""Exports made in the background: asked for, run by ``export_task``, downloaded by their
requester only, removed when they expire."""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from .exporting import ExportPlan, Progress, export_write
from .figures import User
from .models import ReportExport
from .tables import BadReportRequest

log = logging.getLogger(__name__)

RESERVED_PARAMS = {"report", "format", "csrfmiddlewaretoken"}
MAX_PARAMS = 20
MAX_PARAM_LENGTH = 200


# How a queued export is listed until its file (and the report's own title) is made.
REPORT_LABELS = {
    "overview": gettext_lazy("Training overview"),
    "members": gettext_lazy("Members"),
    "course": gettext_lazy("Course report"),
    "course_members": gettext_lazy("Course report: members"),
    "quiz": gettext_lazy("Quiz report"),
    "quiz_members": gettext_lazy("Quiz report: members"),
}


class ExportGone(Exception):
    """The export existed but its file has expired (a 410)."""


def export_params(*, query: Mapping[str, str]) -> dict[str, str]:
    """The report parameters of a request (every parameter but the export's own), as
    stored with an export and passed to ``tables.report_table``."""
    params = {key: query.get(key) or "" for key in query if key not in RESERVED_PARAMS}
    if len(params) > MAX_PARAMS or any(
        len(key) > 50 or len(value) > MAX_PARAM_LENGTH for key, value in params.items()
    ):
        raise BadReportRequest(gettext("Too many or too long report parameters."))
    return params


def export_create(
    *, user: User, plan: ExportPlan, params: Mapping[str, str], language: str
) -> ReportExport:
    """Record an export and queue ``export_task`` once the transaction commits."""
    from . import tasks

    export = ReportExport.objects.create(
        requester=user,
        report=plan.report,
        params=dict(params),
        format=plan.fmt,
        language=language,
        title=gettext("%(report)s: %(unit)s, %(year)s")
        % {
            "report": REPORT_LABELS.get(plan.report, plan.report),
            "unit": plan.unit.name,
            "year": plan.filters.year,
        },
    )
    # robust: with the broker down the request still succeeds (the export is recorded and
    # shown as queued); exports_requeue_waiting sends it again once the broker is back.
    transaction.on_commit(lambda: tasks.export_task.delay(export.pk), robust=True)
    return export


def exports_requeue_waiting(*, now: datetime | None = None) -> list[int]:
    """Send again the exports still queued after ``REPORTS_EXPORT_REQUEUE_AFTER`` (their
    message was lost, or the broker was down when they were asked for). Running one twice
    is harmless: ``export_run`` claims an export once."""
    from . import tasks

    now = now or timezone.now()
    waiting = ReportExport.objects.filter(
        status=ReportExport.Status.QUEUED,
        created_at__lt=now - settings.REPORTS_EXPORT_REQUEUE_AFTER,
    )
    ids = list(waiting.values_list("pk", flat=True))
    for export_id in ids:
        tasks.export_task.delay(export_id)
    return ids


def _progress_saver(export_id: int) -> Progress:
    last = [-1]

    def save(percent: int) -> None:
        if percent != last[0]:
            ReportExport.objects.filter(pk=export_id).update(progress=percent)
            last[0] = percent

    return save


def _fail(export_id: int, reason: str) -> str:
    ReportExport.objects.filter(pk=export_id).update(
        status=ReportExport.Status.FAILED, error=reason, finished_at=timezone.now()
    )
    return ReportExport.Status.FAILED


def export_run(*, export_id: int) -> str:
    """Make the file of a queued export, checking the requester's scope as it is now.
    Returns the final status ("skipped" if the export was not waiting to run)."""
    claimed = ReportExport.objects.filter(pk=export_id, status=ReportExport.Status.QUEUED).update(
        status=ReportExport.Status.RUNNING, started_at=timezone.now(), progress=0
    )
    if not claimed:
        return "skipped"
    export = ReportExport.objects.select_related("requester").get(pk=export_id)
    user = export.requester
    with translation.override(export.language or settings.LANGUAGE_CODE):
        try:
            if not user.is_active:
                raise PermissionDenied
            with tempfile.TemporaryFile() as tmp:
                title, rows = export_write(
                    user=user,
                    report=export.report,
                    params=export.params,
                    fmt=export.format,
                    out=tmp,
                    progress=_progress_saver(export_id),
                )
                tmp.seek(0)
                name = default_storage.save(
                    f"{settings.REPORTS_EXPORT_DIR}/{user.pk}/{uuid.uuid4().hex}.{export.format}",
                    File(tmp, name=f"export.{export.format}"),
                )
        except (ObjectDoesNotExist, Http404, PermissionDenied):
            log.warning("export %s: %s no longer has the unit in scope", export_id, user.pk)
            return _fail(
                export_id,
                gettext(
                    "You can no longer see the reports of this unit (your role or your unit "
                    "has changed), so no file was made."
                ),
            )
        except BadReportRequest as exc:
            return _fail(export_id, str(exc))
        except Exception:
            log.exception("export %s failed", export_id)
            _fail(export_id, gettext("The export failed. Please try again later."))
            raise
    now = timezone.now()
    ReportExport.objects.filter(pk=export_id).update(
        status=ReportExport.Status.DONE,
        progress=100,
        file=name,
        rows=rows,
        title=title[:255],
        finished_at=now,
        expires_at=now + settings.REPORTS_EXPORT_TTL,
    )
    return ReportExport.Status.DONE


def exports_of(*, user: User) -> QuerySet[ReportExport]:
    """The user's own exports, newest first (nobody sees another's)."""
    if not user.is_authenticated:
        return ReportExport.objects.none()
    return ReportExport.objects.filter(requester=user)


def export_for_download(*, user: User, export_id: int) -> ReportExport:
    """The user's own finished export. ``ReportExport.DoesNotExist`` for anyone else's
    (superusers included), a missing or unfinished one; ``ExportGone`` once expired."""
    export = exports_of(user=user).get(pk=export_id, status=ReportExport.Status.DONE)
    if export.is_expired or not export.file:
        raise ExportGone
    return export


def exports_remove_expired(*, now: datetime | None = None) -> int:
    """Remove the files of expired exports, fail exports whose worker died, delete old
    rows. Returns the number of files removed."""
    now = now or timezone.now()
    removed = 0
    expired = ReportExport.objects.filter(expires_at__lte=now).exclude(file="")
    for export_id, name in list(expired.values_list("pk", "file")):
        default_storage.delete(name)
        ReportExport.objects.filter(pk=export_id).update(file="")
        removed += 1
    stuck_after = timedelta(seconds=2 * settings.CELERY_TASK_TIME_LIMIT)
    stuck = ReportExport.objects.filter(
        Q(status=ReportExport.Status.RUNNING, started_at__lt=now - stuck_after)
        | Q(status=ReportExport.Status.QUEUED, created_at__lt=now - timedelta(days=1))
    )
    for export_id in stuck.values_list("pk", flat=True):
        with translation.override(settings.LANGUAGE_CODE):
            _fail(export_id, gettext("The export was interrupted. Please ask for it again."))
    old = ReportExport.objects.filter(
        created_at__lt=now - settings.REPORTS_EXPORT_TTL - settings.REPORTS_EXPORT_KEEP
    )
    for name in old.exclude(file="").values_list("file", flat=True):
        default_storage.delete(name)
        removed += 1
    old.delete()
    return removed
