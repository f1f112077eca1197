"""Reports' pages outside the admin: an export's download (its requester only) and the
unsubscribe link of the scheduled mail (no login: the signed link is the key)."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from .exporting import CONTENT_TYPES
from .exports import ExportGone, export_for_download
from .models import ReportExport, ReportSubscription
from .subscriptions import subscription_end, subscription_from_token


@require_GET
def export_download(request: HttpRequest, export_id: int) -> HttpResponse:
    """The file of one's own finished export: 404 for anyone else (other managers and
    superusers included: an export is personal data asked for by one person), 410 once
    it has expired."""
    try:
        export = export_for_download(user=request.user, export_id=export_id)
    except ReportExport.DoesNotExist:
        raise Http404 from None
    except ExportGone:
        return render(request, "reports/admin/export_gone.html", status=410)
    filename = f"{export.report}-{export.created_at:%Y%m%d-%H%M}.{export.format}"
    content_type = CONTENT_TYPES[export.format]
    accel = getattr(settings, "MEDIA_ACCEL_REDIRECT_PREFIX", "")
    if accel:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + quote(export.file.name)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        try:
            handle = default_storage.open(export.file.name, "rb")
        except OSError:
            raise Http404 from None
        response = FileResponse(
            handle, as_attachment=True, filename=filename, content_type=content_type
        )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@csrf_exempt  # the signed token is the credential; mail clients post one-click unsubscribes
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page asking to confirm (link scanners must not unsubscribe anyone);
    POST: the subscription ends and the page says so. A tampered link is a 400."""
    template = "reports/mail/unsubscribe.html"
    try:
        subscription = subscription_from_token(token=token)
    except (signing.BadSignature, ValueError):
        return render(request, template, {"invalid": True}, status=400)
    except ReportSubscription.DoesNotExist:
        return render(request, template, {"gone": True}, status=404)
    done = False
    if request.method == "POST":
        done = subscription_end(
            subscription=subscription, reason=ReportSubscription.EndReason.UNSUBSCRIBED
        )
        subscription.refresh_from_db()
    return render(request, template, {"subscription": subscription, "done": done})
