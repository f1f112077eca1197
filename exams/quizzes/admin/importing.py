"""Importing and exporting question banks in the Wagtail admin.

Upload (file, format, target category) → a preview of what the file holds, which writes
nothing → confirm. The upload waits in private storage behind a signed token
(``exams.quizzes.importing``); the confirmation parses it again and imports it once.
Also the Excel template download and the export of a category.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import include, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .. import formats
from .. import importing as services
from ..models import Question, QuestionCategory

PERMISSION = "quizzes.add_question"
SHOWN_PROBLEMS = 1000
CONTENT_TYPES = {
    "moodlexml": "application/xml; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gift": "text/plain; charset=utf-8",
    "aiken": "text/plain; charset=utf-8",
}
FORMAT_LABELS = {
    "gift": gettext_lazy("GIFT (Moodle)"),
    "moodlexml": gettext_lazy("Moodle XML"),
    "aiken": gettext_lazy("Aiken"),
    "xlsx": gettext_lazy("Excel template (.xlsx, or .csv of its columns)"),
}


def user_may_import(user) -> bool:
    return user.is_authenticated and user.has_perm(PERMISSION)


def _type_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Question.Type.choices}


class CategoryField(forms.TypedChoiceField):
    """A category by its full path, every path read in one query."""

    def __init__(self, *, empty_label: str | None, **kwargs) -> None:
        super().__init__(coerce=int, empty_value=None, **kwargs)
        self.empty_label = empty_label

    def refresh_choices(self) -> None:
        paths = services.category_paths()
        choices = sorted(((pk, " / ".join(names)) for pk, names in paths.items()), key=_by_label)
        self.choices = ([("", self.empty_label)] if self.empty_label else []) + choices

    def clean(self, value):
        pk = super().clean(value)
        if pk is None:
            return None
        category = QuestionCategory.objects.filter(pk=pk).first()
        if category is None:
            raise forms.ValidationError(_("This category no longer exists."))
        return category


def _by_label(choice: tuple[int, str]) -> str:
    return choice[1].casefold()


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Question file"),
        help_text=gettext_lazy(
            "GIFT or Aiken (.txt), Moodle XML (.xml) or the Excel template (.xlsx or .csv); "
            "at most 20 MB."
        ),
    )
    fmt = forms.ChoiceField(label=gettext_lazy("Format"), required=False)
    into = CategoryField(
        label=gettext_lazy("Import into"),
        required=False,
        empty_label=gettext_lazy("The top level"),
        help_text=gettext_lazy(
            "The categories of the file are made inside this category, and questions "
            "without a category go into it. Left empty, the file's categories are made at "
            "the top level and questions without a category go into a new category "
            "“Imported <date>”."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fmt"].choices = [("", _("Detect from the file"))] + [
            (name, FORMAT_LABELS.get(name, name)) for name in formats.FORMATS
        ]
        self.fields["into"].refresh_choices()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > services.MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB; split it into smaller files.")
                % {"size": services.MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


class ExportForm(forms.Form):
    category = CategoryField(label=gettext_lazy("Category"), empty_label=None)
    fmt = forms.ChoiceField(label=gettext_lazy("Format"))
    include_subcategories = forms.BooleanField(
        label=gettext_lazy("With its subcategories"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fmt"].choices = [
            (name, FORMAT_LABELS.get(name, name)) for name in services.EXPORT_FORMATS
        ]
        self.fields["fmt"].help_text = _(
            "GIFT has no form for fill-in-the-blanks and ordering questions: a GIFT export "
            "leaves them out. Moodle XML and the Excel template hold every type."
        )
        self.fields["category"].refresh_choices()


class ImportPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not user_may_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ImportPageMixin(ImportPermissionMixin, WagtailAdminTemplateMixin):
    page_title = gettext_lazy("Import questions")
    header_icon = "upload"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("quizzes_import:upload"), "label": self.page_title},
        ]


class ImportUploadView(ImportPageMixin, FormView):
    """The upload form; a good upload answers with the preview (nothing written)."""

    template_name = "quizzes/admin/import_upload.html"
    form_class = ImportUploadForm

    def form_invalid(self, form, *, problems=()):
        context = self.get_context_data(
            form=form,
            problems=problems[:SHOWN_PROBLEMS],
            hidden_problems=max(0, len(problems) - SHOWN_PROBLEMS),
        )
        return self.render_to_response(context, status=400)

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            preview = services.import_preview(
                filename=upload.name, data=data, fmt=form.cleaned_data["fmt"] or None
            )
        except services.ImportRefused as refusal:
            form.add_error("file", refusal.message)
            return self.form_invalid(form, problems=refusal.problems)
        into = form.cleaned_data["into"]
        token = services.import_upload_keep(
            data=data, filename=upload.name, fmt=preview.fmt, into=into, user=self.request.user
        )
        self.page_subtitle = _("Preview")
        labels = _type_labels()
        problems = preview.problems
        return TemplateResponse(
            self.request,
            "quizzes/admin/import_preview.html",
            self.get_context_data(
                preview=preview,
                token=token,
                into=into,
                format_label=FORMAT_LABELS.get(preview.fmt, preview.fmt),
                by_type=[(labels.get(qtype, qtype), n) for qtype, n in preview.by_type.items()],
                by_category=sorted(preview.by_category.items()),
                problems=problems[:SHOWN_PROBLEMS],
                hidden_problems=max(0, len(problems) - SHOWN_PROBLEMS),
                question_count=len(preview.questions),
            ),
        )


class _RefusalMixin(ImportPageMixin):
    template_name = "quizzes/admin/import_refused.html"

    def refused(self, refusal: services.ImportRefused):
        context = self.get_context_data(message=refusal.message)
        return self.render_to_response(context, status=refusal.status)


class ImportConfirmView(_RefusalMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        token = request.POST.get("token", "")
        try:
            report = services.import_upload_confirm(token=token, user=request.user)
        except services.ImportRefused as refusal:
            return self.refused(refusal)
        labels = _type_labels()
        messages.success(
            request,
            _(
                "Imported %(count)d question(s) (%(types)s) into %(categories)s; "
                "skipped %(skipped)d."
            )
            % {
                "count": report.created,
                "types": ", ".join(f"{labels.get(t, t)} {n}" for t, n in report.by_type.items()),
                "categories": ", ".join(sorted(report.by_category)),
                "skipped": len(report.skipped),
            },
        )
        return redirect("quizzes_import:upload")


class ImportCancelView(_RefusalMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        token = request.POST.get("token", "")
        try:
            services.import_upload_discard(token=token, user=request.user)
        except services.ImportRefused as refusal:
            return self.refused(refusal)
        return redirect("quizzes_import:upload")


class TemplateDownloadView(ImportPermissionMixin, View):
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        response = HttpResponse(
            formats.FORMATS["xlsx"].template(), content_type=CONTENT_TYPES["xlsx"]
        )
        response["Content-Disposition"] = content_disposition_header(True, "question-template.xlsx")
        return response


class ExportView(ImportPermissionMixin, WagtailAdminTemplateMixin, FormView):
    """The export form (GET); with a category and a format given, the file itself."""

    template_name = "quizzes/admin/import_export.html"
    form_class = ExportForm
    page_title = gettext_lazy("Export questions")
    header_icon = "download"
    http_method_names = ["get"]

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("quizzes_import:export"), "label": self.page_title},
        ]

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if "category" in self.request.GET:
            kwargs["data"] = self.request.GET
        return kwargs

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_bound:
            return self.form_valid(form) if form.is_valid() else self.form_invalid(form)
        return self.render_to_response(self.get_context_data(form=form))

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        category, fmt = form.cleaned_data["category"], form.cleaned_data["fmt"]
        data = services.export_category(
            category=category,
            fmt=fmt,
            include_subcategories=form.cleaned_data["include_subcategories"],
        )
        response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
        filename = services.export_filename(category=category, fmt=fmt)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response


class _ImportMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return user_may_import(request.user)


@hooks.register("register_quizzes_menu_item")
def register_import_menu_item():
    return _ImportMenuItem(
        _("Import questions"), reverse("quizzes_import:upload"), icon_name="upload", order=300
    )


@hooks.register("register_quizzes_menu_item")
def register_export_menu_item():
    return _ImportMenuItem(
        _("Export questions"), reverse("quizzes_import:export"), icon_name="download", order=310
    )


@hooks.register("register_admin_urls")
def register_import_urls():
    urls = [
        path("", ImportUploadView.as_view(), name="upload"),
        path("confirm/", ImportConfirmView.as_view(), name="confirm"),
        path("cancel/", ImportCancelView.as_view(), name="cancel"),
        path("template/", TemplateDownloadView.as_view(), name="template"),
        path("export/", ExportView.as_view(), name="export"),
    ]
    return [path("question-import/", include((urls, "quizzes_import"), namespace="quizzes_import"))]
