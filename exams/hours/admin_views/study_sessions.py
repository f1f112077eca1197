"""Wagtail admin views for managers: study sessions of their units and attendance."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from cms.selectors import units_visible_to, user_is_manager
from exams.hours.forms import AttendanceForm, AttendanceImportForm, StudySessionForm
from exams.hours.models import Attendance, AttendanceChange
from exams.hours.rules import rules_current
from exams.hours.selectors import study_sessions_visible_to
from exams.hours.services import (
    attendance_import,
    attendance_record,
    attendance_remove,
    study_session_create,
)
from exams.hours.services.attendance import session_eligible_members


def user_may_manage_sessions(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user_is_manager(user=user))


class ManagerMixin(WagtailAdminTemplateMixin):
    header_icon = "date"

    def dispatch(self, request, *args, **kwargs):
        if not user_may_manage_sessions(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("exams_study_sessions"), "label": _("Study sessions")},
        ]


class StudySessionListView(ManagerMixin, TemplateView):
    template_name = "exams/admin/study_session_list.html"
    page_title = gettext_lazy("Study sessions")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sessions"] = study_sessions_visible_to(user=self.request.user)[:500]
        return context


class StudySessionCreateView(ManagerMixin, FormView):
    template_name = "exams/admin/study_session_form.html"
    page_title = gettext_lazy("New study session")
    form_class = StudySessionForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "units": units_visible_to(user=self.request.user),
            "rules": rules_current(),
        }

    def form_valid(self, form):
        try:
            session = study_session_create(**form.cleaned_data, by=self.request.user)
        except (PermissionDenied, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if hasattr(exc, "messages") else str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Study session created. Now record who attended."))
        return redirect("exams_study_session", pk=session.pk)


class StudySessionView(ManagerMixin, TemplateView):
    """Attendance of one session: tick members, import a list, see the history."""

    template_name = "exams/admin/study_session_detail.html"

    def dispatch(self, request, *args, **kwargs):
        if not user_may_manage_sessions(request.user):
            raise PermissionDenied
        self.session = get_object_or_404(
            study_sessions_visible_to(user=request.user), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return str(self.session)

    def eligible(self):
        return session_eligible_members(session=self.session, by=self.request.user).select_related(
            "user", "unit"
        )

    def attendance_form(self, data=None):
        you = _("you: recorded by another manager")
        choices = [
            (
                str(m.user_id),
                f"{m.full_name} ({m.user.username})"
                + (f" — {you}" if m.user_id == self.request.user.pk else ""),
            )
            for m in self.eligible()
        ]
        present = Attendance.objects.filter(session=self.session).values_list("user_id", flat=True)
        return AttendanceForm(
            data, choices=choices, initial={"members": [str(pk) for pk in present]}
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("attendance_form", self.attendance_form())
        context.setdefault("import_form", AttendanceImportForm())
        context["session"] = self.session
        context["history"] = AttendanceChange.objects.filter(session=self.session).select_related(
            "user", "by"
        )
        context["present_count"] = Attendance.objects.filter(session=self.session).count()
        return context

    def post(self, request, *args, **kwargs):
        if "file" in request.FILES or request.POST.get("action") == "import":
            return self.post_import(request)
        form = self.attendance_form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(attendance_form=form), status=400)
        wanted = {int(pk) for pk in form.cleaned_data["members"]}
        eligible = {m.user_id: m.user for m in self.eligible()}
        present = set(
            Attendance.objects.filter(session=self.session).values_list("user_id", flat=True)
        )
        reason = form.cleaned_data["reason"]
        try:
            with transaction.atomic():  # all of the changes, or none
                added = attendance_record(
                    session=self.session,
                    users=[eligible[pk] for pk in wanted - present if pk in eligible],
                    by=request.user,
                    reason=reason,
                )
                removed = 0
                for pk in present - wanted:
                    if pk in eligible:
                        removed += bool(
                            attendance_remove(
                                session=self.session,
                                user=eligible[pk],
                                by=request.user,
                                reason=reason,
                            )
                        )
        except (PermissionDenied, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if hasattr(exc, "messages") else str(exc))
            return self.render_to_response(self.get_context_data(attendance_form=form), status=400)
        messages.success(
            request,
            _("Attendance saved: %(added)d added, %(removed)d removed.")
            % {"added": len(added), "removed": removed},
        )
        return redirect("exams_study_session", pk=self.session.pk)

    def post_import(self, request):
        form = AttendanceImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(import_form=form), status=400)
        upload = form.cleaned_data["file"]
        try:
            rows = attendance_import(
                session=self.session, content=upload.read(), filename=upload.name, by=request.user
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
            return self.render_to_response(self.get_context_data(import_form=form), status=400)
        recorded = sum(r.recorded for r in rows)
        bad = [r for r in rows if r.error]
        messages.success(
            request,
            _("%(recorded)d rows recorded, %(bad)d rows with problems.")
            % {"recorded": recorded, "bad": len(bad)},
        )
        return self.render_to_response(self.get_context_data(import_rows=bad))
