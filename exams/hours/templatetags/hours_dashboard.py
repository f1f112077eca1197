"""``{% hours_dashboard %}``: the member's study-hour dashboard on "My learning".

This year's credited hours against the yearly target, hours per month as a small inline
SVG chart, courses due and the last lessons to resume. Every number comes from the
ledger's selectors, so the dashboard, the reports and the exports agree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS_3

from cms.selectors import member_yearly_target
from courses.selectors import continue_learning, member_learning

from ..selectors import member_hours_by_month, member_year_hours

register = template.Library()

CHART_TOP = 10  # user units above the bars, for the value over the highest one
CHART_HEIGHT = 44  # the tallest bar; below the bars, the month numbers
CHART_VIEW_HEIGHT = 66
BAR_STEP = 20
BAR_WIDTH = 14
DUE_LIMIT = 5
RESUME_LIMIT = 3


def _months(hours: list[Decimal]) -> list[dict[str, Any]]:
    top = max(hours, default=Decimal("0")) or Decimal("1")
    bars = []
    for index, value in enumerate(hours):
        height = round(float(value / top) * CHART_HEIGHT, 1)
        bars.append(
            {
                "name": MONTHS_3[index + 1],
                "number": index + 1,
                "hours": value,
                "x": index * BAR_STEP + (BAR_STEP - BAR_WIDTH) // 2,
                "label_x": index * BAR_STEP + BAR_STEP // 2,
                "y": round(CHART_TOP + CHART_HEIGHT - height, 1),
                "value_y": round(CHART_TOP + CHART_HEIGHT - height - 2, 1),
                "height": height,
            }
        )
    return bars


def _courses_due(context: template.Context, user: Any) -> list[Any]:
    learning = context.get("learning")
    if learning is None:
        learning = member_learning(user=user)
    return [row for row in learning.required if row.enrolment.due_date][:DUE_LIMIT]


@register.inclusion_tag("exams/includes/hours_dashboard.html", takes_context=True)
def hours_dashboard(context: template.Context, year: int | None = None) -> dict[str, Any]:
    request = context.get("request")
    user = request.user
    year = year or timezone.localdate().year
    hours = member_year_hours(user=user, year=year)
    target = member_yearly_target(user=user)
    percent = min(100, round(100 * hours / target)) if target else 100
    by_month = member_hours_by_month(user=user, year=year)
    return {
        "request": request,
        "year": year,
        "hours": hours,
        "target": target,
        "percent": percent,
        "months": _months(by_month),
        "chart_width": 12 * BAR_STEP,
        "chart_height": CHART_VIEW_HEIGHT,
        "has_hours": any(by_month),
        "due": _courses_due(context, user),
        "today": timezone.localdate(),
        # the lessons really in progress, with their courses (courses.selectors)
        "resume": continue_learning(user=user, limit=RESUME_LIMIT),
    }
