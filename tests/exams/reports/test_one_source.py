"""One source of truth: the member's dashboard, their record, the manager's member list,
member record, CSV export, API and scheduled mail (its XLSX) agree for every member, and
the overview's total with them, on data made by the real services, after a correction,
a recomputation and a move to another unit."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from exams.hours.services import (
    attendance_record,
    attendance_remove,
    ledger_recompute,
    study_session_create,
)
from exams.reports.figures import members_of_unit, unit_overview
from exams.reports.filters import ReportFilters
from exams.reports.mail import report_mail
from exams.reports.models import ReportSubscription

pytestmark = pytest.mark.django_db

DASHBOARD_HOURS = re.compile(r"<strong>([\d.]+)</strong>")


def _dashboard_hours(client, user) -> Decimal:
    client.force_login(user)
    html = client.get("/learn/").content.decode()
    return Decimal(DASHBOARD_HOURS.search(html).group(1))


def _record_hours(client, user, year) -> Decimal:
    client.force_login(user)
    return client.get(f"/learn/record/?year={year}").context["record"].year_hours


def _figures_everywhere(client, w, year):
    """Per username: (dashboard, own record, manager's member list, manager's record)."""
    client.force_login(w.manager_province)
    listed = {}
    page = 1
    while True:
        response = client.get(f"/admin/reports/units/{w.province.pk}/members/?year={year}&p={page}")
        listed.update({r.username: r.year_hours for r in response.context["page"]})
        if not response.context["page"].has_next():
            break
        page += 1
    managers_record = {}
    for member in (w.a1, w.a2, w.b1, w.w1, w.e0):
        managers_record[member.username] = (
            client.get(f"/admin/reports/members/{member.pk}/?year={year}")
            .context["record"]
            .year_hours
        )
    exported = _exported_hours(client, w, year)
    api = client.get(
        f"/api/v1/reports/units/{w.province.pk}/members/?year={year}&page_size=1000"
    ).json()
    assert api["pages"] == 1
    from_api = {row["username"]: Decimal(row["year_hours"]) for row in api["results"]}
    mailed = _mailed_hours(w, year)
    return {
        member.username: (
            _dashboard_hours(client, member),
            _record_hours(client, member, year),
            listed[member.username],
            managers_record[member.username],
            exported[member.username],
            from_api[member.username],
            mailed[member.username],
        )
        for member in (w.a1, w.a2, w.b1, w.w1, w.e0)
    }


def _exported_hours(client, w, year) -> dict[str, Decimal]:
    """The manager's CSV export of the members table."""
    response = client.get(
        f"/admin/reports/exports/new/?report=members&format=csv&unit={w.province.pk}&year={year}"
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    header = rows[0]
    user, hours = header.index("Username"), header.index("Hours this year")
    return {row[user]: Decimal(row[hours]) for row in rows[1:]}


def _mailed_hours(w, year) -> dict[str, Decimal]:
    """The XLSX attached to the manager's scheduled report."""
    subscription, _ = ReportSubscription.objects.get_or_create(
        manager=w.manager_province, unit=w.province, frequency="weekly", language="en"
    )
    today = timezone.localdate()
    message = report_mail(subscription=subscription, period=today, today=today)
    (_name, content, _type) = message.attachments[0]
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    user, hours = rows[0].index("Username"), rows[0].index("Hours this year")
    return {row[user]: Decimal(str(row[hours])).quantize(Decimal("0.01")) for row in rows[1:]}


def _assert_agree(client, w, year):
    seen = _figures_everywhere(client, w, year)
    for username, values in seen.items():
        assert len(set(values)) == 1, (username, values)
    overview = unit_overview(
        user=w.manager_province, unit=w.province, filters=ReportFilters.for_year(year)
    )
    assert overview.total.hours_total == sum((r.year_hours for r in _listed(w, year)), Decimal("0"))
    return {username: values[0] for username, values in seen.items()}


def _listed(w, year):
    from exams.reports.figures import member_figures

    return member_figures(
        members=members_of_unit(unit=w.province), filters=ReportFilters.for_year(year)
    )


def test_every_screen_agrees_through_corrections_recompute_and_moves(report_world, client):
    w = report_world
    client.cookies["django_language"] = "en"
    today = timezone.localdate()
    year = today.year
    day = today - timedelta(days=1) if today.day > 1 else today
    session_a = study_session_create(
        unit=w.east, topic="Safety", date=day, duration_minutes=90, by=w.manager_east
    )
    session_w = study_session_create(
        unit=w.west_branch, topic="Rules", date=day, duration_minutes=135, by=w.manager_west
    )
    attendance_record(session=session_a, users=[w.a1, w.a2, w.b1], by=w.manager_east)
    attendance_record(session=session_w, users=[w.w1], by=w.manager_west)

    before = _assert_agree(client, w, year)
    assert before["a2"] - (Decimal("10.00") if year == 2026 else 0) == session_a.credit_hours

    attendance_remove(session=session_a, user=w.a2, by=w.manager_east, reason="was not there")
    after_correction = _assert_agree(client, w, year)
    assert after_correction["a2"] == before["a2"] - session_a.credit_hours

    ledger_recompute(date_from=date(year, 1, 1), date_to=today, by=None)
    _assert_agree(client, w, year)

    # b1 moves to the west: the east district's figures lose them, the west's gain them
    east = unit_overview(user=w.manager_east, unit=w.east, filters=ReportFilters.for_year(year))
    profile = w.b1.profile
    profile.unit = w.west_branch
    profile.save()
    east_after = unit_overview(
        user=w.manager_east, unit=w.east, filters=ReportFilters.for_year(year)
    )
    assert east_after.total.members == east.total.members - 1
    west = unit_overview(
        user=w.manager_west, unit=w.west_branch, filters=ReportFilters.for_year(year)
    )
    assert w.b1.pk in {r.user_id for r in _listed(w, year) if r.unit_id == w.west_branch.pk}
    assert west.total.members == 3
    _assert_agree(client, w, year)
