"""The quiz report: a unit's quizzes, one quiz per child unit, and its members."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.generic import TemplateView

from exams.quizzes.models import QuizLessonPage

from ..charts import BLUE, Bar, BarChart, ColumnChart, Series
from ..figures import report_breadcrumbs, unit_path_names
from ..filters import ReportFilterForm
from ..quiz_report import (
    QUIZ_MEMBER_COLUMNS,
    QuizReport,
    band_label,
    group_name,
    quiz_member_rows,
    quiz_report,
    quiz_summaries,
    report_quiz,
)
from .base import ReportsMixin, query_without

PER_PAGE = 100


class PeriodForm(ReportFilterForm):
    """The year and date range of the report (a quiz belongs to one course already)."""

    course = None
    topic = None


def quiz_distribution_chart(report: QuizReport) -> ColumnChart:
    """How many members' grades fall in each band of 10 %, in total."""
    bands = report.bands
    total = report.total
    return ColumnChart(
        id=f"quiz-distribution-{report.quiz.pk}-{report.unit.pk}",
        title=gettext("Grades of the members"),
        description=gettext(
            "%(quiz)s, members of %(unit)s: how many grades fall in each band of 10 %%; "
            "%(taken)s members with a grade, average %(average)s %%."
        )
        % {
            "quiz": report.quiz.title,
            "unit": report.unit.name,
            "taken": total.taken,
            "average": "–" if total.average_percent is None else total.average_percent,
        },
        value_label=gettext("Grade (%)"),
        labels=[f"{low:.0f}" for low, _high in bands],
        names=[band_label(low, high) for low, high in bands],
        series=[Series(gettext("Members"), BLUE, total.distribution)],
    )


def quiz_pass_rate_chart(report: QuizReport) -> BarChart:
    total = report.total
    return BarChart(
        id=f"quiz-pass-rate-{report.quiz.pk}-{report.unit.pk}",
        title=gettext("Pass rate per unit"),
        description=gettext(
            "%(quiz)s: share of the members with a grade who passed, per unit; %(passed)s of "
            "%(taken)s in all."
        )
        % {"quiz": report.quiz.title, "passed": total.passed, "taken": total.taken},
        value_label=gettext("Pass rate (%)"),
        detail_label=gettext("Passed / with a grade"),
        bars=[
            Bar(
                label=group_name(g, total=g is total),
                value=g.pass_rate,
                detail=f"{g.passed} / {g.taken}",
                total=g is total,
            )
            for g in [*report.rows, total]
        ],
    )


class QuizMixin(ReportsMixin):
    def quiz_in_scope(self, quiz_id: int) -> QuizLessonPage:
        """A live quiz (quizzes are not scoped: the members counted are)."""
        try:
            return report_quiz(quiz_id=quiz_id)
        except QuizLessonPage.DoesNotExist:
            raise Http404 from None

    def get_breadcrumbs_items(self):
        items = super().get_breadcrumbs_items()
        unit = getattr(self, "unit", None)
        if unit is not None:
            items.append(
                {"url": reverse("reports_quizzes", args=[unit.pk]), "label": gettext("Quizzes")}
            )
        return items

    def period(self, context: dict):
        """The period's filters, or None after putting the form with its errors in
        ``context``."""
        form = PeriodForm(self.request.GET)
        context["form"] = form
        if not form.is_valid():
            return None
        filters = form.filters()
        context["filters"] = filters
        context["filter_query"] = urlencode(filters.as_query())
        return filters


class UnitQuizzesView(QuizMixin, TemplateView):
    """The live quizzes with grades of the unit's subtree in the period."""

    template_name = "reports/admin/quizzes.html"
    page_title = gettext_lazy("Quiz report")

    def get(self, request, unit_id: int):
        self.unit = self.unit_in_scope(unit_id)
        context = {
            "unit": self.unit,
            "breadcrumbs": report_breadcrumbs(user=request.user, unit=self.unit),
        }
        filters = self.period(context)
        if filters is None:
            return self.bad_request(context)
        context["quizzes"] = quiz_summaries(unit=self.unit, filters=filters)
        return self.render_to_response(self.get_context_data(**context))

    def get_page_subtitle(self):
        return self.unit.name


class QuizView(QuizMixin, TemplateView):
    """One quiz per child unit of the unit, with a total and the score distribution."""

    template_name = "reports/admin/quiz.html"
    page_title = gettext_lazy("Quiz report")

    def get(self, request, unit_id: int, quiz_id: int):
        self.unit = self.unit_in_scope(unit_id)
        self.quiz = self.quiz_in_scope(quiz_id)
        context = {"unit": self.unit, "quiz": self.quiz}
        filters = self.period(context)
        if filters is None:
            context["breadcrumbs"] = report_breadcrumbs(user=request.user, unit=self.unit)
            return self.bad_request(context)
        report = quiz_report(user=request.user, quiz=self.quiz, unit=self.unit, filters=filters)
        context.update(
            report=report,
            breadcrumbs=report.breadcrumbs,
            band_names=[band_label(low, high) for low, high in report.bands],
            distribution_chart=quiz_distribution_chart(report),
            pass_rate_chart=quiz_pass_rate_chart(report),
            export_query=urlencode({"quiz": self.quiz.pk}),
        )
        return self.render_to_response(self.get_context_data(**context))

    def get_page_subtitle(self):
        return self.quiz.title


class PassedForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=gettext_lazy("Result"),
        choices=[
            ("", gettext_lazy("All")),
            ("1", gettext_lazy("Passed")),
            ("0", gettext_lazy("Not passed")),
        ],
        coerce=lambda value: value == "1",
        empty_value=None,
        required=False,
    )
    own = forms.BooleanField(required=False, widget=forms.HiddenInput)


class QuizMembersView(QuizMixin, TemplateView):
    """The members of the unit's subtree with a grade in the period (``passed=1`` or
    ``0``: only those who passed or not; ``own=1``: only those directly in the unit)."""

    template_name = "reports/admin/quiz_members.html"
    page_title = gettext_lazy("Quiz report: members")

    def get(self, request, unit_id: int, quiz_id: int):
        self.unit = self.unit_in_scope(unit_id)
        self.quiz = self.quiz_in_scope(quiz_id)
        context = {
            "unit": self.unit,
            "quiz": self.quiz,
            "breadcrumbs": report_breadcrumbs(user=request.user, unit=self.unit),
        }
        filters = self.period(context)
        passed_form = PassedForm(request.GET)
        context["passed_form"] = passed_form
        if filters is None or not passed_form.is_valid():
            return self.bad_request(context)
        passed, own = passed_form.cleaned_data["passed"], passed_form.cleaned_data["own"]
        rows = quiz_member_rows(quiz=self.quiz, unit=self.unit, filters=filters)
        if passed is not None:
            rows = [r for r in rows if r.passed == passed]
        if own:
            rows = [r for r in rows if r.unit_id == self.unit.pk]
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("p"))
        paths = unit_path_names(units={r.unit_path for r in page})
        context.update(
            page=page,
            rows=[(r, paths[r.unit_path]) for r in page],
            columns=QUIZ_MEMBER_COLUMNS,
            own=own,
            export_query=urlencode(
                {
                    "quiz": self.quiz.pk,
                    **({} if passed is None else {"passed": "1" if passed else "0"}),
                    **({"own": "1"} if own else {}),
                }
            ),
            page_query=query_without(request.GET, "p"),
        )
        return self.render_to_response(self.get_context_data(**context))

    def get_page_subtitle(self):
        return self.quiz.title


urlpatterns = [
    path("units/<int:unit_id>/quizzes/", UnitQuizzesView.as_view(), name="reports_quizzes"),
    path("units/<int:unit_id>/quizzes/<int:quiz_id>/", QuizView.as_view(), name="reports_quiz"),
    path(
        "units/<int:unit_id>/quizzes/<int:quiz_id>/members/",
        QuizMembersView.as_view(),
        name="reports_quiz_members",
    ),
]
