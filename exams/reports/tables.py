"""Report tables: what a report screen shows, an export writes, the API lists and the mail
attaches, in one shape (columns with a kind, rows of plain values).

A report is registered under a name with ``register``; ``report_table`` builds it for a
user from GET-style parameters, checking scope on every call (an export task or a mail
runs it again at send time, as the user is then).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.models import MemberProfile, Unit

from .figures import (
    GroupFigures,
    MemberFigures,
    UnitOverview,
    User,
    member_figures,
    members_of_unit,
    report_unit,
    unit_overview,
    unit_path_names,
)
from .filters import ReportFilterForm, ReportFilters

TEXT, INT, HOURS, PERCENT, BOOL = "text", "int", "hours", "percent", "bool"


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: str = TEXT


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: Iterable[list]  # may be a generator: exports stream it


class BadReportRequest(ValueError):
    """Parameters a report cannot be built from (the message is for the user)."""


Builder = Callable[[User, Mapping[str, str]], Table]
REPORTS: dict[str, Builder] = {}


def register(name: str) -> Callable[[Builder], Builder]:
    def decorate(builder: Builder) -> Builder:
        REPORTS[name] = builder
        return builder

    return decorate


def report_table(*, name: str, user: User, params: Mapping[str, str]) -> Table:
    """The report ``name`` as ``user`` may see it now. Raises ``BadReportRequest`` for
    unknown reports or bad parameters, ``Unit.DoesNotExist`` (and the like) out of scope."""
    builder = REPORTS.get(name)
    if builder is None:
        raise BadReportRequest(gettext("Unknown report."))
    return builder(user, params)


def filters_from(params: Mapping[str, str]) -> ReportFilters:
    form = ReportFilterForm(params)
    if not form.is_valid():
        raise BadReportRequest(" ".join(str(e) for errors in form.errors.values() for e in errors))
    return form.filters()


def unit_from(user: User, params: Mapping[str, str]) -> Unit:
    try:
        unit_id = int(params.get("unit", ""))
    except ValueError:
        raise BadReportRequest(gettext("Choose a unit.")) from None
    return report_unit(user=user, unit_id=unit_id)


def _value(value):
    return float(value) if isinstance(value, Decimal) else value


# --- unit overview -------------------------------------------------------------------

OVERVIEW_COLUMNS = [
    Column("unit_path", _("Unit path")),
    Column("unit", _("Unit")),
    Column("members", _("Members"), INT),
    Column("met_target", _("Met the target"), INT),
    Column("percent_met", _("% met"), PERCENT),
    Column("behind_target", _("Behind target"), INT),
    Column("average_hours", _("Average hours"), HOURS),
    Column("median_hours", _("Median hours"), HOURS),
    Column("required_on_time", _("Required: on time"), INT),
    Column("required_late", _("Required: late"), INT),
    Column("required_overdue", _("Required: overdue"), INT),
    Column("required_open", _("Required: not yet due"), INT),
    Column("quiz_pass_rate", _("Quiz pass rate (%)"), PERCENT),
]


def group_label(group: GroupFigures) -> str:
    if group.own_members:
        return gettext("%(unit)s (own members)") % {"unit": group.unit.name}
    return group.unit.name


def overview_rows(overview: UnitOverview) -> list[list]:
    paths = unit_path_names(units=[g.unit.path for g in [*overview.rows, overview.total]])
    rows = []
    for group in [*overview.rows, overview.total]:
        is_total = group is overview.total
        rows.append(
            [
                paths[group.unit.path],
                gettext("Total") if is_total else group_label(group),
                group.members,
                group.met_target,
                _value(group.percent_met),
                group.behind_target,
                _value(group.average_hours),
                _value(group.median_hours),
                group.required_on_time,
                group.required_late,
                group.required_overdue,
                group.required_open,
                _value(group.quiz_pass_rate),
            ]
        )
    return rows


@register("overview")
def overview_table(user: User, params: Mapping[str, str]) -> Table:
    unit = unit_from(user, params)
    overview = unit_overview(user=user, unit=unit, filters=filters_from(params))
    return Table(
        name="overview",
        title=gettext("Training overview: %(unit)s, %(year)s")
        % {"unit": unit.name, "year": overview.filters.year},
        columns=OVERVIEW_COLUMNS,
        rows=overview_rows(overview),
    )


# --- members ---------------------------------------------------------------------------

MEMBER_COLUMNS = [
    Column("unit_path", _("Unit path")),
    Column("username", _("Username")),
    Column("full_name", _("Full name")),
    Column("hours", _("Hours in the period"), HOURS),
    Column("year_hours", _("Hours this year"), HOURS),
    Column("target", _("Yearly target"), HOURS),
    Column("met_target", _("Met the target"), BOOL),
    Column("shortfall", _("Hours short"), HOURS),
    Column("required_on_time", _("Required: on time"), INT),
    Column("required_late", _("Required: late"), INT),
    Column("required_overdue", _("Required: overdue"), INT),
    Column("required_open", _("Required: not yet due"), INT),
    Column("quizzes_taken", _("Quizzes taken"), INT),
    Column("quizzes_passed", _("Quizzes passed"), INT),
]


def member_rows(rows: list[MemberFigures]) -> Iterable[list]:
    paths = unit_path_names(units={r.unit_path for r in rows})
    for r in rows:
        yield [
            paths[r.unit_path],
            r.username,
            r.full_name,
            _value(r.hours),
            _value(r.year_hours),
            _value(r.target),
            r.met_target,
            _value(r.shortfall),
            r.required_on_time,
            r.required_late,
            r.required_overdue,
            r.required_open,
            r.quizzes_taken,
            r.quizzes_passed,
        ]


@register("members")
def members_table(user: User, params: Mapping[str, str]) -> Table:
    """Every member of the unit's subtree (``own=1``: of the unit itself only; ``behind=1``:
    only those short of the target)."""
    unit = unit_from(user, params)
    filters = filters_from(params)
    members = (
        MemberProfile.objects.filter(unit=unit)
        if params.get("own") == "1"
        else members_of_unit(unit=unit)
    )
    rows = member_figures(members=members, filters=filters)
    if params.get("behind") == "1":
        rows = [r for r in rows if not r.met_target]
    return Table(
        name="members",
        title=gettext("Members: %(unit)s, %(year)s") % {"unit": unit.name, "year": filters.year},
        columns=MEMBER_COLUMNS,
        rows=member_rows(rows),
    )
