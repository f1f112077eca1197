"""Charts: their numbers are the figures', their SVG is well formed and accessible."""

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from exams.hours.selectors import members_hours_by_month
from exams.reports.charts import (
    Bar,
    BarChart,
    StackedBarChart,
    StackedRow,
    _nice_ceiling,
    hours_by_month_chart,
    required_completion_chart,
    target_attainment_chart,
)
from exams.reports.figures import members_of_unit, unit_overview
from exams.reports.filters import ReportFilters

from .conftest import TODAY, YEAR, credit

SVG = "{http://www.w3.org/2000/svg}"


def _svg(html: str) -> ET.Element:
    """The chart's SVG, parsed (it must be well-formed XML)."""
    match = re.search(r"<svg xmlns=.*?</svg>", html, re.S)
    assert match, html[:300]
    return ET.fromstring(match.group(0))


def _accessible(svg: ET.Element) -> None:
    assert svg.get("role") == "img"
    assert svg.get("width") == "100%" and svg.get("viewBox", "").startswith("0 0 ")
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


@pytest.mark.parametrize(
    ("value", "top"),
    [(0, 1), (Decimal("0.3"), Decimal("0.5")), (7, 10), (40, 50), (101, 200), (250, 250)],
)
def test_axis_tops_are_round_numbers(value, top):
    assert _nice_ceiling(value) == Decimal(top)


@pytest.mark.django_db
def test_hours_per_month_are_the_ledgers_this_year_against_last(
    report_world, django_assert_max_num_queries
):
    w = report_world
    credit(w.a1, "4.50", date(YEAR - 1, 3, 10))

    with django_assert_max_num_queries(2):
        chart = hours_by_month_chart(unit=w.east, year=YEAR)

    this_year, last_year = chart.series
    assert this_year.values == members_hours_by_month(
        user_ids=members_of_unit(unit=w.east).values("user_id"), year=YEAR
    )
    assert this_year.values[1:3] == [Decimal("32.00"), Decimal("40.00")]  # February, March
    assert this_year.values[8] == Decimal("10.00")  # September
    assert last_year.values[2] == Decimal("4.50") and sum(last_year.values) == Decimal("4.50")
    assert chart.totals == [Decimal("82.00"), Decimal("4.50")]
    assert chart.top_value == 50
    march = [c for c in chart.columns if c.title.startswith(f"{YEAR}, March")][0]
    plot = chart.baseline - chart.top
    assert float(march.height) == pytest.approx(plot * 40 / 50, abs=0.1)
    assert "West" not in chart.description and "82" in chart.description

    html = render_to_string("reports/includes/column_chart.html", {"chart": chart})

    svg = _svg(html)
    _accessible(svg)
    assert len(svg.findall(f"{SVG}rect")) == 24
    assert "<td>32</td>" in html and "<td>4.50</td>" in html  # the numbers, in a table


@pytest.mark.django_db
def test_target_attainment_is_the_overviews_percent_met(report_world):
    w = report_world
    overview = unit_overview(
        user=w.manager_east, unit=w.east, filters=ReportFilters.for_year(YEAR), today=TODAY
    )

    chart = target_attainment_chart(overview=overview)

    bars = {bar.label: bar for bar in chart.bars}
    groups = {g.unit.name: g for g in overview.rows if not g.own_members}
    assert bars["Branch A"].value == groups["Branch A"].percent_met == Decimal("25.0")
    assert bars["Branch B"].value == Decimal("50.0")  # b1 of b1 and manager_b
    assert bars["Branch A"].detail == "1 / 4"
    assert chart.bars[-1].total and chart.bars[-1].value == overview.total.percent_met
    shapes = {s["bar"].label: s for s in chart.shapes}
    assert float(shapes["Branch B"]["bar_width"]) == pytest.approx(chart.track / 2, abs=0.1)

    html = render_to_string("reports/includes/bar_chart.html", {"chart": chart})

    _accessible(_svg(html))
    assert "East district (own members)" in html and "25.0%" in html


@pytest.mark.django_db
def test_required_courses_are_stacked_per_unit(report_world):
    w = report_world
    overview = unit_overview(
        user=w.manager_province, unit=w.province, filters=ReportFilters.for_year(YEAR), today=TODAY
    )

    chart = required_completion_chart(overview=overview)

    rows = {row.label: row for row in chart.rows}
    assert rows["East district"].values == [1, 1, 1, 0]  # on time, late, overdue, open
    assert rows["West district"].values == [0, 0, 0, 1]
    assert rows["Total"].values == [
        overview.total.required_on_time,
        overview.total.required_late,
        overview.total.required_overdue,
        overview.total.required_open,
    ]
    east = next(s for s in chart.shapes if s["row"].label == "East district")
    assert [float(seg["width"]) for seg in east["segments"]] == pytest.approx(
        [chart.width / 3] * 3, abs=0.1
    )
    assert east["segments"][2]["title"] == "Overdue: 1 (33.3%)"

    html = render_to_string("reports/includes/stacked_bar_chart.html", {"chart": chart})

    svg = _svg(html)
    _accessible(svg)
    assert "Not yet due" in html


def test_empty_charts_draw_without_dividing_by_zero():
    bars = BarChart("empty", "Nobody", "No members.", "% met", "Met / members", [Bar("A", None)])
    stacked = StackedBarChart("none", "None", "No courses.", [], [StackedRow("A", [])])

    assert bars.shapes[0]["bar_width"] == "0" and bars.shapes[0]["text"] == "—"
    assert stacked.shapes[0]["segments"] == []
    for template, chart in [
        ("reports/includes/bar_chart.html", bars),
        ("reports/includes/stacked_bar_chart.html", stacked),
    ]:
        _accessible(_svg(render_to_string(template, {"chart": chart})))


def test_labels_are_escaped_in_the_svg():
    chart = BarChart(
        "esc", "<b>", "a & b", "%", "n", [Bar('Unit "<script>"', Decimal("50.0"), "1 / 2")]
    )

    html = render_to_string("reports/includes/bar_chart.html", {"chart": chart})

    assert "<script>" not in html
    _accessible(_svg(html))
