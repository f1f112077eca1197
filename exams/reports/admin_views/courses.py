"""The course report: a unit's courses, one course per child unit, and its members."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.generic import TemplateView

from courses.models import CoursePage

from ..charts import BLUE, GREEN, GREY, RED, Series, StackedBarChart, StackedRow
from ..course_report import (
    COURSE_COLUMNS,
    COURSE_MEMBER_COLUMNS,
    STATE_LABELS,
    STATES,
    CourseReport,
    course_member_rows,
    course_report,
    course_summaries,
    group_name,
    report_course,
)
from ..figures import report_breadcrumbs, unit_path_names
from .base import ReportsMixin, query_without

PER_PAGE = 100


def course_states_chart(report: CourseReport) -> StackedBarChart:
    """The members' states per row of the course report, as shares of those enrolled."""
    total = report.total
    return StackedBarChart(
        id=f"course-states-{report.course.pk}-{report.unit.pk}",
        title=gettext("Where the enrolled members are"),
        description=gettext(
            "%(course)s, members of %(unit)s: %(completed)s completed, %(in_progress)s in "
            "progress, %(not_started)s not started and %(overdue)s overdue, of %(enrolled)s "
            "enrolled."
        )
        % {
            "course": report.course.title,
            "unit": report.unit.name,
            "completed": total.completed,
            "in_progress": total.in_progress,
            "not_started": total.not_started,
            "overdue": total.overdue,
            "enrolled": total.enrolled,
        },
        series=[
            Series(STATE_LABELS["completed"], GREEN),
            Series(STATE_LABELS["in_progress"], BLUE),
            Series(STATE_LABELS["not_started"], GREY),
            Series(STATE_LABELS["overdue"], RED),
        ],
        rows=[
            StackedRow(
                label=group_name(g, total=g is total),
                values=[g.completed, g.in_progress, g.not_started, g.overdue],
                total_row=g is total,
            )
            for g in [*report.rows, total]
        ],
    )


def _query(**params) -> str:
    """The non-empty parameters as a query string (for the export buttons)."""
    return urlencode({key: value for key, value in params.items() if value})


def _with_paths(rows) -> list[tuple]:
    """Each row with its unit's path of names (for the unit path column)."""
    paths = unit_path_names(units={r.unit_path for r in rows})
    return [(r, paths[r.unit_path]) for r in rows]


class CourseMixin(ReportsMixin):
    def course_in_scope(self, course_id: int) -> CoursePage:
        """A live course (courses are not scoped: the members counted are)."""
        try:
            return report_course(course_id=course_id)
        except CoursePage.DoesNotExist:
            raise Http404 from None

    def get_breadcrumbs_items(self):
        items = super().get_breadcrumbs_items()
        unit = getattr(self, "unit", None)
        if unit is not None:
            items.append(
                {"url": reverse("reports_courses", args=[unit.pk]), "label": gettext("Courses")}
            )
        return items


class UnitCoursesView(CourseMixin, TemplateView):
    """The live courses with enrolments in the unit's subtree, with their totals."""

    template_name = "reports/admin/courses.html"
    page_title = gettext_lazy("Course report")

    def get(self, request, unit_id: int):
        self.unit = self.unit_in_scope(unit_id)
        return self.render_to_response(
            self.get_context_data(
                unit=self.unit,
                courses=course_summaries(unit=self.unit),
                breadcrumbs=report_breadcrumbs(user=request.user, unit=self.unit),
            )
        )

    def get_page_subtitle(self):
        return self.unit.name


class CourseView(CourseMixin, TemplateView):
    """One course per child unit of the unit, with a total; drill down into a child unit
    or to the members."""

    template_name = "reports/admin/course.html"
    page_title = gettext_lazy("Course report")

    def get(self, request, unit_id: int, course_id: int):
        self.unit = self.unit_in_scope(unit_id)
        self.course = self.course_in_scope(course_id)
        report = course_report(user=request.user, course=self.course, unit=self.unit)
        return self.render_to_response(
            self.get_context_data(
                unit=self.unit,
                course=self.course,
                report=report,
                columns=[c for c in COURSE_COLUMNS if c.key != "unit_path"],
                chart=course_states_chart(report),
                export_query=urlencode({"course": self.course.pk}),
                breadcrumbs=report.breadcrumbs,
            )
        )

    def get_page_subtitle(self):
        return self.course.title


class StateForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        choices=[("", gettext_lazy("All")), *STATE_LABELS.items()],
        required=False,
    )
    own = forms.BooleanField(required=False, widget=forms.HiddenInput)


class CourseMembersView(CourseMixin, TemplateView):
    """The enrolled members of the unit's subtree (``state``: only those in that state;
    ``own=1``: only the members directly in the unit)."""

    template_name = "reports/admin/course_members.html"
    page_title = gettext_lazy("Course report: members")

    def get(self, request, unit_id: int, course_id: int):
        self.unit = self.unit_in_scope(unit_id)
        self.course = self.course_in_scope(course_id)
        form = StateForm(request.GET)
        context = {
            "unit": self.unit,
            "course": self.course,
            "form": form,
            "breadcrumbs": report_breadcrumbs(user=request.user, unit=self.unit),
        }
        if not form.is_valid():
            return self.bad_request(context)
        state, own = form.cleaned_data["state"], form.cleaned_data["own"]
        rows = course_member_rows(course=self.course, unit=self.unit)
        if state:
            rows = [r for r in rows if r.state == state]
        if own:
            rows = [r for r in rows if r.unit_id == self.unit.pk]
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("p"))
        context.update(
            page=page,
            rows=_with_paths(page),
            columns=COURSE_MEMBER_COLUMNS,
            state=state,
            own=own,
            states=STATES,
            export_query=_query(course=self.course.pk, state=state, own="1" if own else ""),
            page_query=query_without(request.GET, "p"),
        )
        return self.render_to_response(self.get_context_data(**context))

    def get_page_subtitle(self):
        return self.course.title


urlpatterns = [
    path("units/<int:unit_id>/courses/", UnitCoursesView.as_view(), name="reports_courses"),
    path(
        "units/<int:unit_id>/courses/<int:course_id>/",
        CourseView.as_view(),
        name="reports_course",
    ),
    path(
        "units/<int:unit_id>/courses/<int:course_id>/members/",
        CourseMembersView.as_view(),
        name="reports_course_members",
    ),
]
