"""Members of a unit's subtree with their figures, and one member's training record."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from cms.models import MemberProfile

from ..figures import member_figures, members_of_unit, report_breadcrumbs, unit_path_names
from ..filters import FIRST_YEAR, LAST_YEAR
from ..records import member_record, record_title
from ..tables import MEMBER_COLUMNS
from .base import ReportsMixin, filter_forms, query_without

PER_PAGE = 100

MEMBER_SORT_KEYS = {
    "unit_path": lambda r: (r.unit_path, r.full_name),
    "username": lambda r: r.username,
    "full_name": lambda r: r.full_name,
    "hours": lambda r: r.hours,
    "year_hours": lambda r: r.year_hours,
    "target": lambda r: r.target,
    "met_target": lambda r: r.met_target,
    "shortfall": lambda r: r.shortfall,
    "required_on_time": lambda r: r.required_on_time,
    "required_late": lambda r: r.required_late,
    "required_overdue": lambda r: r.required_overdue,
    "required_open": lambda r: r.required_open,
    "quizzes_taken": lambda r: r.quizzes_taken,
    "quizzes_passed": lambda r: r.quizzes_passed,
}


class UnitMembersView(ReportsMixin, TemplateView):
    """``behind=1`` lists only the members short of their yearly target."""

    template_name = "reports/admin/members.html"
    page_title = gettext_lazy("Members")

    def get(self, request, unit_id: int):
        unit = self.unit_in_scope(unit_id)
        filters_form, sort_form = filter_forms(
            request.GET, keys=list(MEMBER_SORT_KEYS), default_sort="unit_path"
        )
        context = {"unit": unit, "form": filters_form, "sort_form": sort_form}
        if not (filters_form.is_valid() and sort_form.is_valid()):
            return self.bad_request(context)
        filters = filters_form.filters()
        behind = request.GET.get("behind") == "1"
        own = request.GET.get("own") == "1"
        members = MemberProfile.objects.filter(unit=unit) if own else members_of_unit(unit=unit)
        rows = member_figures(members=members, filters=filters)
        if behind:
            rows = [r for r in rows if not r.met_target]
        rows.sort(
            key=MEMBER_SORT_KEYS[sort_form.cleaned_data["sort"]],
            reverse=sort_form.cleaned_data["descending"],
        )
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("p"))
        context.update(
            page=page,
            paths=unit_path_names(units={r.unit_path for r in page}),
            breadcrumbs=report_breadcrumbs(user=request.user, unit=unit),
            columns=MEMBER_COLUMNS,
            behind=behind,
            own=own,
            sort=sort_form.cleaned_data["sort"],
            descending=sort_form.cleaned_data["descending"],
            query=query_without(request.GET, "sort", "order", "p"),
            page_query=query_without(request.GET, "p"),
            filters=filters,
            filter_query=urlencode(filters.as_query()),
            filters_summary=filters_form.summary(),
        )
        return self.render_to_response(self.get_context_data(**context))


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=FIRST_YEAR, max_value=LAST_YEAR, required=False)


class MemberRecordView(ReportsMixin, TemplateView):
    template_name = "reports/admin/member_record.html"
    page_title = gettext_lazy("Training record")
    printable = False

    def get(self, request, user_id: int):
        form = YearForm(request.GET)
        if not form.is_valid():
            return self.bad_request({"form": form})
        year = form.cleaned_data["year"] or timezone.localdate().year
        try:
            record = member_record(user=request.user, member_user_id=user_id, year=year)
        except MemberProfile.DoesNotExist:
            raise Http404 from None
        return self.render_to_response(
            self.get_context_data(
                record=record,
                title=record_title(record),
                form=form,
                years=range(year - 2, year + 1),
                print_url=reverse("reports_member_print", args=[user_id]) + f"?year={year}",
            )
        )


class MemberRecordPrintView(MemberRecordView):
    """The record alone on the page, laid out for paper."""

    template_name = "reports/member_record_print.html"


urlpatterns = [
    path("units/<int:unit_id>/members/", UnitMembersView.as_view(), name="reports_members"),
    path("members/<int:user_id>/", MemberRecordView.as_view(), name="reports_member"),
    path(
        "members/<int:user_id>/print/", MemberRecordPrintView.as_view(), name="reports_member_print"
    ),
]
