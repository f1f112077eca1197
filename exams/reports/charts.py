"""Charts of the training reports, drawn on the server as small SVG.

A chart is a data object whose geometry is computed here, so that its template only
places shapes; each template draws the chart with a ``<title>`` and a ``<desc>``, scales
to the width of its container (a ``viewBox``, ``width: 100%``) and shows the same numbers
in a table below it. Three kinds:

- ``ColumnChart``: columns per category, one per series (hours per month, this year
  against last; a score distribution) — ``reports/includes/column_chart.html``;
- ``BarChart``: one horizontal bar of 0–100 % per row (target attainment, pass rate) —
  ``reports/includes/bar_chart.html``;
- ``StackedBarChart``: one horizontal bar per row split into shares of its total
  (required courses on time / late / overdue / open) —
  ``reports/includes/stacked_bar_chart.html``.

The figures come from ``figures`` and ``exams.hours.selectors`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.dates import MONTHS
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.models import Unit
from exams.hours.selectors import members_hours_by_month

from .figures import UnitOverview, members_of_unit
from .tables import group_label

Number = int | Decimal

# Colours with at least 3:1 contrast against white (and the numbers are in the table).
BLUE, GREY_BLUE = "#1f5f99", "#6f8299"
GREEN, AMBER, RED, GREY = "#2e7d32", "#a35f00", "#c62828", "#6b7280"


def _svg_number(value: float) -> str:
    """A coordinate for SVG: short and with a dot, whatever the language."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _nice_ceiling(value: Number) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at least ``value`` (the top of an axis)."""
    value = Decimal(value)
    if value <= 0:
        return Decimal(1)
    scale = Decimal(1)
    while scale * 10 <= value:
        scale *= 10
    while scale > value:
        scale /= 10
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if scale * step >= value:
            return (scale * step).normalize()
    return scale * 10  # pragma: no cover (10 × scale ≥ value by construction)


@dataclass(frozen=True)
class Series:
    label: str | Promise
    color: str
    values: list[Number] = field(default_factory=list)


# --- columns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    x: str
    y: str
    width: str
    height: str
    color: str
    title: str


@dataclass
class ColumnChart:
    """Categories along the bottom (``labels`` short, ``names`` in full for the table),
    one column per series in each."""

    id: str
    title: str | Promise
    description: str
    value_label: str | Promise
    labels: list[str]
    names: list[str]
    series: list[Series]

    width: int = 360
    height: int = 190
    left: int = 40
    top: int = 10
    bottom: int = 22

    @property
    def baseline(self) -> int:
        return self.height - self.bottom

    @property
    def top_value(self) -> Decimal:
        return _nice_ceiling(max((v for s in self.series for v in s.values), default=0))

    @property
    def ticks(self) -> list[dict]:
        top = self.top_value
        plot = self.baseline - self.top
        return [
            {"value": top * share, "y": _svg_number(self.baseline - plot * float(share))}
            for share in (Decimal(0), Decimal("0.5"), Decimal(1))
        ]

    @property
    def slot(self) -> float:
        return (self.width - self.left - 4) / max(len(self.labels), 1)

    @property
    def axis_labels(self) -> list[dict]:
        return [
            {"x": _svg_number(self.left + self.slot * (i + 0.5)), "text": label}
            for i, label in enumerate(self.labels)
        ]

    @property
    def columns(self) -> list[Column]:
        top = float(self.top_value)
        plot = self.baseline - self.top
        count = max(len(self.series), 1)
        inner = self.slot * 0.8
        each = inner / count
        shapes = []
        for s_index, series in enumerate(self.series):
            for c_index, value in enumerate(series.values):
                height = plot * float(value) / top if top else 0
                shapes.append(
                    Column(
                        x=_svg_number(self.left + self.slot * (c_index + 0.1) + each * s_index),
                        y=_svg_number(self.baseline - height),
                        width=_svg_number(max(each - 1, 1)),
                        height=_svg_number(height),
                        color=series.color,
                        title=f"{series.label}, {self.names[c_index]}: {_plain(value)}",
                    )
                )
        return shapes

    @property
    def table_rows(self) -> list[dict]:
        return [
            {"name": name, "values": [s.values[i] for s in self.series]}
            for i, name in enumerate(self.names)
        ]

    @property
    def totals(self) -> list[Number]:
        return [sum(s.values, Decimal(0)) for s in self.series]


def _plain(value: Number) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
    return str(value)


# --- bars (0–100 %) ------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    value: Decimal | None  # a percentage; None: no figure (nobody to count)
    detail: str = ""  # e.g. "3 / 8"
    total: bool = False


@dataclass
class BarChart:
    """One horizontal bar per row, its length a percentage; the label sits above the bar
    so that long unit names fit a phone's width."""

    id: str
    title: str | Promise
    description: str
    value_label: str | Promise
    detail_label: str | Promise
    bars: list[Bar]

    width: int = 320
    row: int = 32
    right: int = 46

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * self.row + 4

    @property
    def track(self) -> int:
        return self.width - self.right

    @property
    def shapes(self) -> list[dict]:
        shapes = []
        for index, bar in enumerate(self.bars):
            y = index * self.row
            share = float(bar.value or 0) / 100
            shapes.append(
                {
                    "bar": bar,
                    "label_y": y + 12,
                    "bar_y": y + 17,
                    "bar_width": _svg_number(self.track * min(max(share, 0), 1)),
                    "value_x": self.track + 4,
                    "value_y": y + 26,
                    "text": "—" if bar.value is None else f"{bar.value:f}%",
                }
            )
        return shapes


# --- stacked bars ----------------------------------------------------------------------


@dataclass
class StackedRow:
    label: str
    values: list[int]
    total_row: bool = False

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass
class StackedBarChart:
    """One horizontal bar per row, split into its series' shares of the row's total."""

    id: str
    title: str | Promise
    description: str
    series: list[Series]  # labels and colours; the values are in the rows
    rows: list[StackedRow]
    total_label: str | Promise = _("Total")

    width: int = 320
    row: int = 32

    @property
    def height(self) -> int:
        return max(len(self.rows), 1) * self.row + 4

    @property
    def shapes(self) -> list[dict]:
        shapes = []
        for index, row in enumerate(self.rows):
            y = index * self.row
            segments = []
            x = 0.0
            for series, value in zip(self.series, row.values, strict=True):
                if not value:
                    continue
                width = self.width * value / row.total
                share = (Decimal(value) * 100 / row.total).quantize(
                    Decimal("0.1"), rounding=ROUND_HALF_UP
                )
                segments.append(
                    {
                        "x": _svg_number(x),
                        "width": _svg_number(width),
                        "color": series.color,
                        "title": f"{series.label}: {value} ({share:f}%)",
                    }
                )
                x += width
            shapes.append({"row": row, "label_y": y + 12, "bar_y": y + 17, "segments": segments})
        return shapes


# --- the overview's charts -------------------------------------------------------------


def hours_by_month_chart(*, unit: Unit, year: int) -> ColumnChart:
    """Hours credited per month to the members of ``unit``'s subtree, ``year`` against
    the year before (``exams.hours.selectors.members_hours_by_month``). Two queries."""
    members = members_of_unit(unit=unit).values("user_id")
    this_year = members_hours_by_month(user_ids=members, year=year)
    last_year = members_hours_by_month(user_ids=members, year=year - 1)
    return ColumnChart(
        id=f"hours-by-month-{unit.pk}",
        title=gettext("Study hours per month: %(unit)s") % {"unit": unit.name},
        description=gettext(
            "Hours credited each month of %(year)s (%(this)s h in all) against %(last_year)s "
            "(%(last)s h), members of %(unit)s and of the units below it."
        )
        % {
            "year": year,
            "last_year": year - 1,
            "this": _plain(sum(this_year, Decimal(0))),
            "last": _plain(sum(last_year, Decimal(0))),
            "unit": unit.name,
        },
        value_label=_("Hours"),
        labels=[str(month) for month in range(1, 13)],
        names=[str(MONTHS[month]) for month in range(1, 13)],
        series=[
            Series(str(year), BLUE, this_year),
            Series(str(year - 1), GREY_BLUE, last_year),
        ],
    )


def target_attainment_chart(*, overview: UnitOverview) -> BarChart:
    """The share of members who met the yearly target, per row of the overview and in
    total (``GroupFigures.percent_met``)."""
    groups = [*overview.rows, overview.total]
    return BarChart(
        id=f"target-attainment-{overview.unit.pk}",
        title=gettext("Members who met the yearly target, %(year)s")
        % {"year": overview.filters.year},
        description=gettext(
            "Share of members who met their yearly study-hour target, per unit: "
            "%(met)s of %(members)s in all."
        )
        % {"met": overview.total.met_target, "members": overview.total.members},
        value_label=_("% met"),
        detail_label=_("Met / members"),
        bars=[
            Bar(
                label=gettext("Total") if g is overview.total else group_label(g),
                value=g.percent_met,
                detail=f"{g.met_target} / {g.members}",
                total=g is overview.total,
            )
            for g in groups
        ],
    )


def required_completion_chart(*, overview: UnitOverview) -> StackedBarChart:
    """Required courses due in the period, per row of the overview and in total:
    completed on time, late, overdue, not yet due (``GroupFigures.required_*``)."""
    groups = [*overview.rows, overview.total]
    total = overview.total
    return StackedBarChart(
        id=f"required-completion-{overview.unit.pk}",
        title=gettext("Required courses, %(year)s") % {"year": overview.filters.year},
        description=gettext(
            "Required courses due in the period, per unit, as shares: completed on time "
            "(%(on_time)s in all), late (%(late)s), overdue (%(overdue)s), not yet due "
            "(%(open)s)."
        )
        % {
            "on_time": total.required_on_time,
            "late": total.required_late,
            "overdue": total.required_overdue,
            "open": total.required_open,
        },
        series=[
            Series(_("On time"), GREEN),
            Series(_("Late"), AMBER),
            Series(_("Overdue"), RED),
            Series(_("Not yet due"), GREY),
        ],
        rows=[
            StackedRow(
                label=gettext("Total") if g is total else group_label(g),
                values=[g.required_on_time, g.required_late, g.required_overdue, g.required_open],
                total_row=g is total,
            )
            for g in groups
        ],
    )
