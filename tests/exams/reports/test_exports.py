"""Exports of report tables: the files hold the figures' numbers, large ones run in the
background, a file reaches its requester only and expires, bad requests are 4xx."""

import csv
import io
import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.html import escape
from openpyxl import load_workbook

from cms import roles
from exams.reports.exporting import members_write, members_xlsx_write
from exams.reports.exports import exports_remove_expired, exports_requeue_waiting
from exams.reports.figures import member_figures, members_of_unit, unit_overview
from exams.reports.filters import ReportFilters
from exams.reports.models import ExportFormat, ReportExport
from exams.reports.tables import MEMBER_COLUMNS, OVERVIEW_COLUMNS
from exams.reports.tasks import remove_expired_report_exports_task
from tests.factories import make_member

from .conftest import YEAR

pytestmark = pytest.mark.django_db

EXPORT = "/admin/reports/exports/new/"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def as_user(client):
    def login(user, language="en"):
        client.logout()
        if user is not None:
            client.force_login(user)
        client.cookies["django_language"] = language
        return client

    return login


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def xlsx_sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def figures_by_username(unit):
    rows = member_figures(members=members_of_unit(unit=unit), filters=ReportFilters.for_year(YEAR))
    return {r.username: r for r in rows}


def labels(columns, language="en"):
    with translation.override(language):
        return [str(c.label) for c in columns]


# --- the files ----------------------------------------------------------------------------


def test_xlsx_of_members_holds_the_figures_as_numbers(report_world, as_user):
    w = report_world
    response = as_user(w.manager_east).get(
        EXPORT, {"report": "members", "format": "xlsx", "unit": w.east.pk, "year": YEAR}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="members-east-2026')
    sheet = xlsx_sheet(body(response))
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert list(header) == labels(MEMBER_COLUMNS)
    assert sheet.auto_filter.ref == f"A1:N{len(rows)}"
    expected = figures_by_username(w.east)
    assert len(data) == len(expected) == 8
    col = {c.key: i for i, c in enumerate(MEMBER_COLUMNS)}
    for row in data:
        figures = expected[row[col["username"]]]
        assert row[col["year_hours"]] == float(figures.year_hours)
        assert row[col["hours"]] == float(figures.hours)
        assert row[col["target"]] == float(figures.target)
        assert row[col["met_target"]] == ("Yes" if figures.met_target else "No")
        assert row[col["required_on_time"]] == figures.required_on_time
        assert row[col["required_late"]] == figures.required_late
        assert row[col["required_overdue"]] == figures.required_overdue
    a1 = next(r for r in data if r[col["username"]] == "a1")
    assert a1[col["year_hours"]] == 40.0 and a1[col["met_target"]] == "Yes"
    assert a1[col["unit_path"]] == "Province / East district / Branch A"
    hours_cell = sheet.cell(row=2, column=col["year_hours"] + 1)
    assert hours_cell.data_type == "n" and hours_cell.number_format == "0.00"
    assert sheet.cell(row=2, column=col["required_late"] + 1).data_type == "n"


def test_xlsx_of_the_overview_has_true_percentages_and_the_total(report_world, as_user):
    w = report_world
    response = as_user(w.manager_province).get(
        EXPORT, {"report": "overview", "format": "xlsx", "unit": w.province.pk, "year": YEAR}
    )
    assert response.status_code == 200
    sheet = xlsx_sheet(body(response))
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == labels(OVERVIEW_COLUMNS)
    total = unit_overview(
        user=w.manager_province, unit=w.province, filters=ReportFilters.for_year(YEAR)
    ).total
    col = {c.key: i for i, c in enumerate(OVERVIEW_COLUMNS)}
    last = rows[-1]
    assert last[col["unit"]] == "Total"
    assert last[col["members"]] == total.members == 11
    assert last[col["met_target"]] == total.met_target
    assert last[col["percent_met"]] == pytest.approx(float(total.percent_met) / 100)
    assert last[col["average_hours"]] == float(total.average_hours)
    percent_cell = sheet.cell(row=len(rows), column=col["percent_met"] + 1)
    assert percent_cell.number_format == "0.0%"


def test_csv_is_utf8_with_bom_in_the_requesters_language(report_world, as_user):
    w = report_world
    w.a1.profile.full_name = "张三"
    w.a1.profile.save()
    response = as_user(w.manager_a, language="zh-hans").get(
        EXPORT, {"report": "members", "format": "csv", "unit": w.branch_a.pk, "year": YEAR}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == labels(MEMBER_COLUMNS, "zh-hans")
    col = {c.key: i for i, c in enumerate(MEMBER_COLUMNS)}
    by_name = {r[col["username"]]: r for r in rows[1:]}
    expected = figures_by_username(w.branch_a)
    assert set(by_name) == set(expected)
    assert by_name["a1"][col["full_name"]] == "张三"
    for username, figures in expected.items():
        assert by_name[username][col["year_hours"]] == f"{figures.year_hours:.2f}"
        assert by_name[username][col["required_late"]] == str(figures.required_late)
    with translation.override("zh-hans"):
        assert by_name["a1"][col["met_target"]] == translation.gettext("Yes")


def test_text_that_looks_like_a_formula_stays_text(report_world, as_user):
    w = report_world
    w.a2.profile.full_name = '=HYPERLINK("http://evil.example","x")'
    w.a2.profile.save()
    client = as_user(w.manager_a)
    params = {"report": "members", "unit": w.branch_a.pk, "year": YEAR}
    sheet = xlsx_sheet(body(client.get(EXPORT, {**params, "format": "xlsx"})))
    cells = [c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=HYPER")]
    assert cells and all(c.data_type == "s" for c in cells)
    text = body(client.get(EXPORT, {**params, "format": "csv"})).decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_batched_writer_gives_the_same_rows_as_one_batch(report_world, settings):
    w = report_world
    filters = ReportFilters.for_year(YEAR)
    outputs = []
    for size in (1, 3, 100_000):
        settings.REPORTS_EXPORT_CHUNK_MEMBERS = size
        out = io.BytesIO()
        written = members_xlsx_write(
            user=w.manager_province, unit=w.province, filters=filters, out=out
        )
        assert written == 11
        outputs.append(list(xlsx_sheet(out.getvalue()).iter_rows(values_only=True)))
    assert outputs[0] == outputs[1] == outputs[2]
    with pytest.raises(w.province.DoesNotExist):
        members_xlsx_write(user=w.manager_a, unit=w.east, filters=filters, out=io.BytesIO())


def test_behind_only_lists_members_short_of_the_target(report_world, as_user):
    w = report_world
    response = as_user(w.manager_a).get(
        EXPORT,
        {"report": "members", "format": "csv", "unit": w.branch_a.pk, "year": YEAR, "behind": "1"},
    )
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))[1:]
    names = {r[1] for r in rows}
    assert "a1" not in names and "a2" in names  # a1 met the target, a2 did not


# --- bad requests and scope --------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"report": "nope", "format": "xlsx"}, "Unknown report."),
        ({"report": "members", "format": "pdf"}, "Choose CSV or XLSX as the export format."),
        ({"report": "members", "format": ""}, "Choose CSV or XLSX as the export format."),
        ({"report": "members", "format": "csv", "unit": "x"}, "Choose a unit."),
        ({"report": "members", "format": "csv", "year": "abc"}, "Enter a whole number."),
        ({"report": "members", "format": "csv", "year": "1800"}, "greater than or equal"),
        ({"report": "members", "format": "csv", "date_from": "2025-01-01"}, "within the year"),
    ],
)
def test_bad_parameters_are_400_with_a_message(report_world, as_user, params, message):
    w = report_world
    query = {"unit": w.east.pk, "year": YEAR, **params}
    response = as_user(w.manager_east).get(EXPORT, query)
    assert response.status_code == 400
    assert escape(message) in response.content.decode()
    assert not ReportExport.objects.exists()


@pytest.mark.parametrize(
    ("manager", "unit"),
    [
        ("manager_a", "branch_b"),
        ("manager_a", "east"),
        ("manager_a", "province"),
        ("manager_east", "west_branch"),
        ("manager_west", "branch_a"),
    ],
)
@pytest.mark.parametrize("report", ["members", "overview"])
def test_units_out_of_scope_are_404(report_world, as_user, manager, unit, report):
    w = report_world
    client = as_user(getattr(w, manager))
    query = {"report": report, "format": "xlsx", "unit": getattr(w, unit).pk}
    assert client.get(EXPORT, query).status_code == 404
    assert client.post(EXPORT, query).status_code == 404
    assert client.get(EXPORT, {**query, "unit": 999999}).status_code == 404
    assert not ReportExport.objects.exists()


@pytest.mark.parametrize("who", ["a1", "trainer", None])
def test_members_trainers_and_anonymous_cannot_export(report_world, as_user, who):
    w = report_world
    client = as_user(getattr(w, who) if who else None)
    for url in (EXPORT, "/admin/reports/exports/"):
        response = client.get(url, {"report": "members", "format": "xlsx", "unit": w.branch_a.pk})
        assert response.status_code == 302
        assert "Content-Disposition" not in response


# --- in the background ---------------------------------------------------------------------


@pytest.fixture
def small_threshold(settings):
    settings.REPORTS_EXPORT_ASYNC_MEMBERS = 3  # east has 8 members: exported in the background


def export_in_background(client, unit, django_capture_on_commit_callbacks, fmt="xlsx", **extra):
    query = {"report": "members", "format": fmt, "unit": unit.pk, "year": YEAR, **extra}
    confirm = client.get(EXPORT, query)
    assert confirm.status_code == 200 and not ReportExport.objects.exists()
    assert 'name="unit"' in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(EXPORT, query)
    assert response.status_code == 302 and response["Location"] == "/admin/reports/exports/"
    assert len(callbacks) == 1
    return ReportExport.objects.get()


def test_a_large_export_runs_as_a_task_and_its_requester_downloads_it(
    report_world, as_user, small_threshold, django_capture_on_commit_callbacks
):
    w = report_world
    client = as_user(w.manager_east)
    export = export_in_background(client, w.east, django_capture_on_commit_callbacks)
    assert export.status == ReportExport.Status.DONE and export.progress == 100
    assert export.requester == w.manager_east and export.rows == 8
    assert export.file.name.startswith(settings.REPORTS_EXPORT_DIR + "/")
    assert os.path.exists(os.path.join(settings.MEDIA_ROOT, export.file.name))
    assert export.expires_at > timezone.now() + timedelta(days=2)

    listing = client.get("/admin/reports/exports/")
    assert listing.status_code == 200
    download_url = f"/reports/exports/{export.pk}/download/"
    assert download_url in listing.content.decode()

    response = client.get(download_url)
    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE
    rows = list(xlsx_sheet(body(response)).iter_rows(values_only=True))
    expected = figures_by_username(w.east)
    assert {r[1]: r[4] for r in rows[1:]} == {u: float(f.year_hours) for u, f in expected.items()}


def test_csv_export_in_the_background_and_a_pending_list_refreshes(
    report_world, as_user, small_threshold, django_capture_on_commit_callbacks
):
    w = report_world
    client = as_user(w.manager_east)
    query = {"report": "members", "format": "csv", "unit": w.east.pk, "year": YEAR}
    with django_capture_on_commit_callbacks(execute=False):
        client.post(EXPORT, query)
    export = ReportExport.objects.get()
    assert export.status == ReportExport.Status.QUEUED
    listing = client.get("/admin/reports/exports/").content.decode()
    assert 'http-equiv="refresh"' in listing and "<progress" in listing
    assert client.get(f"/reports/exports/{export.pk}/download/").status_code == 404  # not ready


@pytest.mark.parametrize("who", ["manager_a", "manager_province", "superuser", "a1", None])
def test_nobody_but_the_requester_downloads_an_export(
    report_world, as_user, small_threshold, django_capture_on_commit_callbacks, who
):
    w = report_world
    export = export_in_background(
        as_user(w.manager_east), w.east, django_capture_on_commit_callbacks
    )
    if who == "superuser":
        user = make_member(w.province, username="root", is_superuser=True, is_staff=True)
    else:
        user = getattr(w, who) if who else None
    client = as_user(user)
    assert client.get(f"/reports/exports/{export.pk}/download/").status_code == 404
    assert (
        f"/reports/exports/{export.pk}/download/"
        not in client.get("/admin/reports/exports/").content.decode()
    )


def test_an_expired_export_is_gone_and_its_file_removed(
    report_world, as_user, small_threshold, django_capture_on_commit_callbacks
):
    w = report_world
    client = as_user(w.manager_east)
    export = export_in_background(client, w.east, django_capture_on_commit_callbacks)
    ReportExport.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    url = f"/reports/exports/{export.pk}/download/"
    assert client.get(url).status_code == 410
    assert default_storage.exists(export.file.name)
    assert remove_expired_report_exports_task() == 1
    assert not default_storage.exists(export.file.name)
    assert client.get(url).status_code == 410
    assert "Expired" in client.get("/admin/reports/exports/").content.decode()


def test_old_rows_and_dead_runs_are_cleaned_up(report_world):
    w = report_world
    now = timezone.now()
    old = ReportExport.objects.create(
        requester=w.manager_a,
        report="members",
        format="csv",
        language="en",
        created_at=now - timedelta(days=60),
        status=ReportExport.Status.FAILED,
    )
    stuck = ReportExport.objects.create(
        requester=w.manager_a,
        report="members",
        format="csv",
        language="en",
        status=ReportExport.Status.RUNNING,
        started_at=now - timedelta(hours=2),
    )
    exports_remove_expired(now=now)
    assert not ReportExport.objects.filter(pk=old.pk).exists()
    stuck.refresh_from_db()
    assert stuck.status == ReportExport.Status.FAILED and stuck.error


@pytest.mark.parametrize("change", ["lost_role", "moved", "deactivated"])
def test_the_task_checks_scope_again_when_it_runs(
    report_world, as_user, small_threshold, django_capture_on_commit_callbacks, change
):
    w = report_world
    client = as_user(w.manager_east, language="zh-hans")
    query = {"report": "members", "format": "xlsx", "unit": w.east.pk, "year": YEAR}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(EXPORT, query)
    manager = w.manager_east
    if change == "lost_role":
        manager.groups.remove(Group.objects.get(name=roles.MANAGERS))
    elif change == "moved":
        manager.profile.unit = w.west_branch
        manager.profile.save()
    else:
        manager.is_active = False
        manager.save()
    for callback in callbacks:
        callback()
    export = ReportExport.objects.get()
    assert export.status == ReportExport.Status.FAILED and not export.file
    with translation.override("zh-hans"):
        assert export.error == translation.gettext(
            "You can no longer see the reports of this unit (your role or your unit "
            "has changed), so no file was made."
        )


def test_a_task_runs_an_export_once(report_world, small_threshold):
    from exams.reports.tasks import export_task

    w = report_world
    export = ReportExport.objects.create(
        requester=w.manager_east,
        report="members",
        format=ExportFormat.CSV,
        language="en",
        params={"unit": str(w.east.pk), "year": str(YEAR)},
    )
    assert export_task.delay(export.pk).get() == "done"
    assert export_task.delay(export.pk).get() == "skipped"


def test_members_write_reports_progress(report_world, settings):
    w = report_world
    settings.REPORTS_EXPORT_CHUNK_MEMBERS = 2
    seen = []
    members_write(
        user=w.manager_province,
        unit=w.province,
        filters=ReportFilters.for_year(YEAR),
        fmt=ExportFormat.CSV,
        out=io.BytesIO(),
        progress=seen.append,
    )
    assert seen == sorted(seen) and len(seen) > 2 and seen[-1] == 99


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_registered_report_exports_its_table(report_world, as_user, fmt):
    from exams.reports.tables import REPORTS, report_table

    w = report_world
    client = as_user(w.manager_east)
    params = {"unit": str(w.east.pk), "year": str(YEAR), "course": str(w.course.pk)}
    for name in sorted(REPORTS):
        if name.startswith("quiz"):
            continue  # needs a quiz: covered by the quiz report's own tests
        response = client.get(EXPORT, {"report": name, "format": fmt, **params})
        assert response.status_code == 200, name
        with translation.override("en"):
            table = report_table(name=name, user=w.manager_east, params=params)
            rows = list(table.rows)
        data = body(response)
        if fmt == "csv":
            got = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        else:
            got = list(xlsx_sheet(data).iter_rows(values_only=True))
        assert list(got[0]) == labels(table.columns), name
        assert len(got) == len(rows) + 1, name


def test_the_xlsx_writer_keeps_odd_text_readable(report_world):
    w = report_world
    w.a1.profile.full_name = "  Zhang\x01 San <&> "
    w.a1.profile.save()
    w.branch_a.name = "Branch 'A' [north]: 1/2"
    w.branch_a.save()
    out = io.BytesIO()
    members_xlsx_write(
        user=w.manager_a, unit=w.branch_a, filters=ReportFilters.for_year(YEAR), out=out
    )
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book.active
    assert sheet.title == "Members  Branch 'A'  north   1"
    assert book.properties.title == "Members: Branch 'A' [north]: 1/2, 2026"
    names = {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "  Zhang San <&> " in names
    assert sheet["A1"].font.b  # a bold header


def test_own_members_only_as_on_the_members_screen(report_world, as_user):
    w = report_world
    response = as_user(w.manager_east).get(
        EXPORT,
        {"report": "members", "format": "xlsx", "unit": w.east.pk, "year": YEAR, "own": "1"},
    )
    rows = list(xlsx_sheet(body(response)).iter_rows(min_row=2, values_only=True))
    assert {r[1] for r in rows} == {"e0", "manager_east"}


@pytest.mark.django_db(transaction=True)
def test_a_broker_down_keeps_the_export_queued_and_it_is_sent_again(
    report_world, as_user, small_threshold, broker_down
):
    """The request that asks for an export succeeds while the broker is down (the task is
    sent after the commit); the re-send sends it once the broker is back."""
    w = report_world
    client = as_user(w.manager_east)
    query = {"report": "members", "format": "csv", "unit": w.east.pk, "year": YEAR}
    response = client.post(EXPORT, query)
    assert response.status_code == 302 and response["Location"] == "/admin/reports/exports/"
    export = ReportExport.objects.get()
    assert export.status == ReportExport.Status.QUEUED
    assert client.get("/admin/reports/exports/").status_code == 200

    assert exports_requeue_waiting() == []  # not yet: it may still be on its way


def test_exports_left_queued_are_sent_again_and_run_once(report_world, small_threshold):
    w = report_world
    export = ReportExport.objects.create(
        requester=w.manager_east,
        report="members",
        format="csv",
        language="en",
        params={"unit": str(w.east.pk), "year": str(YEAR)},
    )
    later = timezone.now() + settings.REPORTS_EXPORT_REQUEUE_AFTER + timedelta(seconds=1)
    assert exports_requeue_waiting(now=later) == [export.pk]  # runs at once (eager in tests)
    export.refresh_from_db()
    assert export.status == ReportExport.Status.DONE and export.rows == 8
    assert exports_requeue_waiting(now=later) == []  # done: nothing to send again
