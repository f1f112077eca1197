"""The unit overview: a unit's members in total and per child unit, with drill-down."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from ..charts import hours_by_month_chart, required_completion_chart, target_attainment_chart
from ..figures import SORT_KEYS, report_root, unit_overview
from ..tables import OVERVIEW_COLUMNS
from .base import ReportsMixin, filter_forms, query_without


class ReportsHomeView(ReportsMixin, TemplateView):
    """Opens on the user's own unit."""

    template_name = "reports/admin/no_unit.html"
    page_title = gettext_lazy("Training reports")

    def get(self, request, *args, **kwargs):
        root = report_root(user=request.user)
        if root is not None:
            return redirect("reports_unit", unit_id=root.pk)
        return super().get(request, *args, **kwargs)


class UnitOverviewView(ReportsMixin, TemplateView):
    template_name = "reports/admin/overview.html"
    page_title = gettext_lazy("Training overview")

    def get(self, request, unit_id: int):
        unit = self.unit_in_scope(unit_id)
        filters_form, sort_form = filter_forms(
            request.GET, keys=list(SORT_KEYS), default_sort="percent_met"
        )
        context = {"unit": unit, "form": filters_form, "sort_form": sort_form}
        if not (filters_form.is_valid() and sort_form.is_valid()):
            return self.bad_request(context)
        filters = filters_form.filters()
        overview = unit_overview(
            user=request.user,
            unit=unit,
            filters=filters,
            sort=sort_form.cleaned_data["sort"],
            descending=sort_form.cleaned_data["descending"],
        )
        context.update(
            overview=overview,
            hours_chart=hours_by_month_chart(unit=unit, year=filters.year),
            target_chart=target_attainment_chart(overview=overview),
            required_chart=required_completion_chart(overview=overview),
            columns=OVERVIEW_COLUMNS,
            sort=sort_form.cleaned_data["sort"],
            descending=sort_form.cleaned_data["descending"],
            query=query_without(request.GET, "sort", "order"),
            filter_query=urlencode(filters.as_query()),
            filters_summary=filters_form.summary(),
        )
        return self.render_to_response(self.get_context_data(**context))

    def get_page_subtitle(self):
        unit = self.kwargs.get("unit")
        return unit.name if unit else ""


urlpatterns = [
    path("", ReportsHomeView.as_view(), name="reports_home"),
    path("units/<int:unit_id>/", UnitOverviewView.as_view(), name="reports_unit"),
]
