"""Exports of report tables: small ones answer at once, large ones run in the background
and are listed with their progress until their file is ready."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from ..exporting import CONTENT_TYPES, export_plan, export_write
from ..exports import export_create, export_params, exports_of
from ..tables import BadReportRequest
from .base import ReportsMixin

LISTED_EXPORTS = 30


class ExportsMixin(ReportsMixin):
    header_icon = "download"

    def get_breadcrumbs_items(self):
        return [
            *super().get_breadcrumbs_items(),
            {"url": reverse("reports_exports"), "label": _("My exports")},
        ]


class ExportListView(ExportsMixin, TemplateView):
    """The requester's own exports, with progress; refreshes itself while one is pending."""

    template_name = "reports/admin/export_list.html"
    page_title = gettext_lazy("My exports")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        exports = list(exports_of(user=self.request.user)[:LISTED_EXPORTS])
        context["exports"] = exports
        context["pending"] = any(e.is_pending for e in exports)
        return context


class ExportView(ExportsMixin, TemplateView):
    """``?report=<name>&format=csv|xlsx&unit=<id>&<filters>``: the file at once for a small
    subtree; for a large one, a confirmation (GET) then a background export (POST)."""

    template_name = "reports/admin/export_confirm.html"
    page_title = gettext_lazy("Export")

    def get(self, request, *args, **kwargs):
        return self.export(request.GET)

    def post(self, request, *args, **kwargs):
        return self.export(request.POST)

    def refuse(self, message: str) -> TemplateResponse:
        return TemplateResponse(
            self.request,
            "reports/admin/export_error.html",
            self.get_context_data(error=message),
            status=400,
        )

    def export(self, data):
        user = self.request.user
        report, fmt = data.get("report", ""), data.get("format", "")
        try:
            params = export_params(query=data)
            plan = export_plan(user=user, report=report, params=params, fmt=fmt)
        except BadReportRequest as exc:
            return self.refuse(str(exc))
        except ObjectDoesNotExist:
            raise Http404 from None
        if plan.in_background:
            if self.request.method != "POST":
                return self.render_to_response(
                    self.get_context_data(
                        plan=plan,
                        hidden={**params, "report": report, "format": fmt}.items(),
                    )
                )
            export_create(user=user, plan=plan, params=params, language=translation.get_language())
            messages.success(
                self.request,
                _("Your export is being prepared. It will be listed here when it is ready."),
            )
            return redirect("reports_exports")
        # Closed by FileResponse once sent (or below on error).
        out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
        try:
            export_write(user=user, report=report, params=params, fmt=fmt, out=out)
        except BadReportRequest as exc:
            out.close()
            return self.refuse(str(exc))
        except (ObjectDoesNotExist, Http404):
            out.close()
            raise Http404 from None
        out.seek(0)
        response = FileResponse(
            out,
            as_attachment=True,
            filename=plan.filename(),
            content_type=CONTENT_TYPES[plan.fmt],
        )
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("exports/", ExportListView.as_view(), name="reports_exports"),
    path("exports/new/", ExportView.as_view(), name="reports_export"),
]
