"""The reports API (``/api/v1/reports/``): the figures of the report screens for the
organisation's own systems.

Managers (their unit's subtree) and superusers only: anyone else gets a 403, a unit,
member, course or quiz out of the user's scope or unknown a 404, a bad parameter a 400
with ``{"detail": message, "errors": {parameter: [messages]}}``. Each view is one
validator (a form of GET parameters; the filters are the screens' ``ReportFilterForm``)
and one selector.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.models import MemberProfile, Unit

from .course_report import course_report, report_course
from .figures import (
    SORT_KEYS,
    member_figures,
    members_of_unit,
    report_root,
    report_unit,
    report_units_for,
    unit_overview,
    unit_path_names,
    user_may_see_reports,
)
from .filters import FIRST_YEAR, LAST_YEAR, ReportFilterForm
from .quiz_report import quiz_report, report_quiz
from .records import member_record
from .serializers import (
    CourseReportSerializer,
    MemberRecordSerializer,
    MembersPageSerializer,
    OverviewSerializer,
    QuizReportSerializer,
    UnitSerializer,
)

# 400 (a bad parameter), 403 and 404: documented for each operation by cms.api_schema.
ERRORS: dict = {}
PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000


def _param(name: str, kind, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=description)


PERIOD_PARAMETERS = [
    _param("year", OpenApiTypes.INT, "The year (default: the current year)."),
    _param("date_from", OpenApiTypes.DATE, "First day counted, within the year."),
    _param("date_to", OpenApiTypes.DATE, "Last day counted, within the year."),
]
FILTER_PARAMETERS = [
    *PERIOD_PARAMETERS,
    _param("course", OpenApiTypes.INT, "Only this course's hours and required courses."),
    _param("topic", OpenApiTypes.INT, "Only the hours and required courses of this topic."),
]
UNIT_PARAMETER = _param("unit", OpenApiTypes.INT, "The unit (default: the user's own).")


class MayReadReports(permissions.BasePermission):
    message = gettext_lazy("Only managers may read the training reports.")

    def has_permission(self, request, view) -> bool:
        return user_may_see_reports(user=request.user)


class ReportsApiView(APIView):
    permission_classes = [permissions.IsAuthenticated, MayReadReports]
    # The parameters are read by Django forms, where "?year=" is "no year" (the report
    # screens' links send empty fields): documented as allowEmptyValue (cms.api_schema).
    blank_query_is_absent = True

    def bad_request(self, form: forms.Form) -> Response:
        errors = {
            ("non_field_errors" if name == "__all__" else name): [str(e) for e in messages]
            for name, messages in form.errors.items()
        }
        first_name, first = next(iter(errors.items()))
        detail = first[0] if first_name == "non_field_errors" else f"{first_name}: {first[0]}"
        return Response({"detail": detail, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)

    def unit_in_scope(self, unit_id: int | None) -> Unit:
        """A unit of the user's scope (the user's own when ``None``), or a 404."""
        try:
            if unit_id is None:
                unit = report_root(user=self.request.user)
                if unit is None:
                    raise Unit.DoesNotExist
                return unit
            return report_unit(user=self.request.user, unit_id=unit_id)
        except Unit.DoesNotExist:
            raise NotFound(_("There is no such unit in your reports.")) from None


# --- validators of the GET parameters ----------------------------------------------------


class OverviewQuery(ReportFilterForm):
    sort = forms.ChoiceField(choices=[(key, key) for key in SORT_KEYS], required=False)
    order = forms.ChoiceField(choices=[("asc", "asc"), ("desc", "desc")], required=False)


class MembersQuery(ReportFilterForm):
    page = forms.IntegerField(min_value=1, max_value=10**6, required=False)
    page_size = forms.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)
    # A boolean as the schema says ("true"/"false", or "1"/"0"), not Django's BooleanField,
    # which reads anything but "false" and "0" as true.
    behind = forms.TypedChoiceField(
        choices=[(value, value) for value in ("true", "false", "1", "0")],
        coerce=lambda value: value in ("true", "1"),
        required=False,
        empty_value=False,
    )


class UnitQuery(forms.Form):
    unit = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class QuizQuery(ReportFilterForm):
    unit = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    course = None
    topic = None


class YearQuery(forms.Form):
    year = forms.IntegerField(min_value=FIRST_YEAR, max_value=LAST_YEAR, required=False)


# --- endpoints ---------------------------------------------------------------------------


class UnitsApi(ReportsApiView):
    """``GET /api/v1/reports/units/``: the units whose reports the user may read, top
    first, each with its parent's id."""

    @extend_schema(
        operation_id="reports_units", responses={200: UnitSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request) -> Response:
        units = list(report_units_for(user=request.user).order_by("path"))
        ids = {unit.path: unit.pk for unit in units}
        names = unit_path_names(units=ids)
        step = Unit.steplen
        data = [
            {
                "id": unit.pk,
                "name": unit.name,
                "code": unit.code,
                "parent": ids.get(unit.path[:-step]),
                "depth": unit.depth,
                "path": names[unit.path],
            }
            for unit in units
        ]
        return Response(UnitSerializer(data, many=True).data)


class UnitOverviewApi(ReportsApiView):
    """``GET /api/v1/reports/units/<unit_id>/overview/``: the unit's members in total and
    per child unit (the overview screen's rows)."""

    @extend_schema(
        operation_id="reports_unit_overview",
        parameters=[
            *FILTER_PARAMETERS,
            _param("sort", OpenApiTypes.STR, "A column: " + ", ".join(SORT_KEYS) + "."),
            _param("order", OpenApiTypes.STR, "asc (default) or desc."),
        ],
        responses={200: OverviewSerializer, **ERRORS},
    )
    def get(self, request: Request, unit_id: int) -> Response:
        unit = self.unit_in_scope(unit_id)
        query = OverviewQuery(request.query_params)
        if not query.is_valid():
            return self.bad_request(query)
        overview = unit_overview(
            user=request.user,
            unit=unit,
            filters=query.filters(),
            sort=query.cleaned_data["sort"] or "percent_met",
            descending=query.cleaned_data["order"] == "desc",
        )
        return Response(OverviewSerializer(overview).data)


class UnitMembersApi(ReportsApiView):
    """``GET /api/v1/reports/units/<unit_id>/members/``: the members of the unit's subtree
    with their figures, by unit and name, a page at a time."""

    @extend_schema(
        operation_id="reports_unit_members",
        parameters=[
            *FILTER_PARAMETERS,
            _param("behind", OpenApiTypes.BOOL, "Only the members behind their yearly target."),
            _param("page", OpenApiTypes.INT, "The page, from 1."),
            _param(
                "page_size",
                OpenApiTypes.INT,
                f"Members per page (default {PAGE_SIZE}, at most {MAX_PAGE_SIZE}).",
            ),
        ],
        responses={200: MembersPageSerializer, **ERRORS},
    )
    def get(self, request: Request, unit_id: int) -> Response:
        unit = self.unit_in_scope(unit_id)
        query = MembersQuery(request.query_params)
        if not query.is_valid():
            return self.bad_request(query)
        filters = query.filters()
        page = query.cleaned_data["page"] or 1
        size = query.cleaned_data["page_size"] or PAGE_SIZE
        members = members_of_unit(unit=unit)
        if query.cleaned_data["behind"]:
            rows = [r for r in member_figures(members=members, filters=filters) if not r.met_target]
            count = len(rows)
            rows = rows[(page - 1) * size : page * size]
        else:
            count = members.count()
            ordered = members.order_by("unit__path", "full_name", "user_id")
            ids = list(ordered.values_list("pk", flat=True)[(page - 1) * size : page * size])
            rows = member_figures(members=MemberProfile.objects.filter(pk__in=ids), filters=filters)
        pages = max(1, -(-count // size))
        if page > pages:
            raise NotFound(_("There is no page %(page)s.") % {"page": page})
        paths = unit_path_names(units={r.unit_path for r in rows})
        data = {"count": count, "page": page, "page_size": size, "pages": pages, "results": rows}
        return Response(MembersPageSerializer(data, context={"paths": paths}).data)


class CourseApi(ReportsApiView):
    """``GET /api/v1/reports/courses/<course_id>/?unit=``: the course's enrolled members
    per child unit of the unit and in total: not started, in progress, overdue, completed."""

    @extend_schema(
        operation_id="reports_course",
        parameters=[UNIT_PARAMETER],
        responses={200: CourseReportSerializer, **ERRORS},
    )
    def get(self, request: Request, course_id: int) -> Response:
        query = UnitQuery(request.query_params)
        if not query.is_valid():
            return self.bad_request(query)
        unit = self.unit_in_scope(query.cleaned_data["unit"])
        try:
            course = report_course(course_id=course_id)
        except ObjectDoesNotExist:
            raise NotFound(_("There is no such course.")) from None
        report = course_report(user=request.user, course=course, unit=unit)
        return Response(CourseReportSerializer(report).data)


class QuizApi(ReportsApiView):
    """``GET /api/v1/reports/quizzes/<quiz_id>/?unit=``: the members' grades in the quiz
    per child unit of the unit and in total: pass rate and distribution in bands of 10 %."""

    @extend_schema(
        operation_id="reports_quiz",
        parameters=[UNIT_PARAMETER, *PERIOD_PARAMETERS],
        responses={200: QuizReportSerializer, **ERRORS},
    )
    def get(self, request: Request, quiz_id: int) -> Response:
        query = QuizQuery(request.query_params)
        if not query.is_valid():
            return self.bad_request(query)
        unit = self.unit_in_scope(query.cleaned_data["unit"])
        try:
            quiz = report_quiz(quiz_id=quiz_id)
        except ObjectDoesNotExist:
            raise NotFound(_("There is no such quiz.")) from None
        report = quiz_report(user=request.user, quiz=quiz, unit=unit, filters=query.filters())
        data: dict[str, Any] = {
            "quiz": report.quiz,
            "unit": report.unit,
            "filters": report.filters,
            "breadcrumbs": report.breadcrumbs,
            "bands": [{"low": low, "high": high} for low, high in report.bands],
            "rows": report.rows,
            "total": report.total,
        }
        return Response(QuizReportSerializer(data).data)


class MemberRecordApi(ReportsApiView):
    """``GET /api/v1/reports/members/<user_id>/record/``: a member's training record for a
    year: ledger, courses, quizzes, attended study sessions."""

    @extend_schema(
        operation_id="reports_member_record",
        parameters=[_param("year", OpenApiTypes.INT, "The year (default: the current year).")],
        responses={200: MemberRecordSerializer, **ERRORS},
    )
    def get(self, request: Request, user_id: int) -> Response:
        query = YearQuery(request.query_params)
        if not query.is_valid():
            return self.bad_request(query)
        try:
            record = member_record(
                user=request.user, member_user_id=user_id, year=query.cleaned_data["year"]
            )
        except MemberProfile.DoesNotExist:
            raise NotFound(_("There is no such member in your reports.")) from None
        return Response(MemberRecordSerializer(record).data)
