"""Upload → preview → confirm, for importing members in the Wagtail admin.

The checked rows stay on the server (``cms.importing.storage``) under a random token kept
in the session; the confirmation re-reads and re-checks them, never form fields.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from cms.forms import MemberImportForm
from cms.importing import ImportRefused, member_import_parse, member_import_write
from cms.importing.rows import ImportReport
from cms.importing.storage import (
    pending_import_delete,
    pending_import_load,
    pending_import_save,
)
from cms.importing.validation import rows_validate
from cms.selectors import user_is_manager

SESSION_KEY = "cms_member_import_token"
SHOWN_ERROR_ROWS = 1000


def user_may_import(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user_is_manager(user=user))


class ImportPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not user_may_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ImportPageMixin(ImportPermissionMixin, WagtailAdminTemplateMixin):
    page_title = gettext_lazy("Import members")
    header_icon = "upload"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("cms_member_import"), "label": self.page_title},
        ]


class MemberImportView(ImportPageMixin, FormView):
    template_name = "cms/admin/import_upload.html"
    form_class = MemberImportForm

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        report = member_import_parse(
            content=upload.read(), filename=upload.name, user=self.request.user
        )
        if not report.is_readable:
            for problem in report.file_errors:
                form.add_error("file", problem.message)
            return self.form_invalid(form)
        old = self.request.session.get(SESSION_KEY)
        if old:
            pending_import_delete(token=old)
        self.request.session[SESSION_KEY] = pending_import_save(
            rows=report.rows, user_id=self.request.user.pk, filename=upload.name
        )
        return redirect("cms_member_import_preview")


class PendingImportMixin:
    def load_pending(self):
        token = self.request.session.get(SESSION_KEY, "")
        return pending_import_load(token=token, user_id=self.request.user.pk)

    def nothing_pending(self) -> HttpResponseRedirect:
        messages.warning(self.request, _("There is no import waiting; upload a file first."))
        return redirect("cms_member_import")


class MemberImportPreviewView(PendingImportMixin, ImportPageMixin, TemplateView):
    template_name = "cms/admin/import_preview.html"
    page_subtitle = gettext_lazy("Preview")

    def get(self, request, *args, **kwargs):
        pending = self.load_pending()
        if pending is None:
            return self.nothing_pending()
        self.filename, rows = pending
        rows_validate(rows=rows, user=request.user)  # again: the database may have changed
        self.report = ImportReport(rows=rows)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        invalid = self.report.invalid_rows
        return super().get_context_data(
            filename=self.filename,
            report=self.report,
            valid_count=len(self.report.valid_rows),
            invalid_rows=invalid[:SHOWN_ERROR_ROWS],
            hidden_error_rows=max(0, len(invalid) - SHOWN_ERROR_ROWS),
            **kwargs,
        )


class MemberImportConfirmView(PendingImportMixin, ImportPermissionMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        pending = self.load_pending()
        if pending is None:
            return self.nothing_pending()
        _filename, rows = pending
        only_valid = request.POST.get("mode") == "valid"
        try:
            result = member_import_write(rows=rows, user=request.user, only_valid=only_valid)
        except ImportRefused:
            messages.error(
                request,
                _(
                    "Nothing was imported: some rows have errors. "
                    "Fix the file, or import only the valid rows."
                ),
            )
            return redirect("cms_member_import_preview")
        pending_import_delete(token=request.session.pop(SESSION_KEY, ""))
        messages.success(
            request,
            _("Imported %(created)d member(s); skipped %(skipped)d row(s) with errors.")
            % {"created": result.created, "skipped": result.skipped},
        )
        return redirect("members:index")


class MemberImportCancelView(ImportPermissionMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        pending_import_delete(token=request.session.pop(SESSION_KEY, ""))
        return redirect("cms_member_import")
