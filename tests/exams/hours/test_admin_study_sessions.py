"""Managers' admin views for study sessions: scope, ticking, import, bad input."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from cms import roles
from exams.hours import selectors
from exams.hours.models import Attendance, AttendanceChange, StudySession
from exams.hours.services import study_session_create


@pytest.fixture
def people(org, member_factory):
    def manager(unit, name):
        user = member_factory(unit, role=roles.MANAGERS, username=name)
        user.user_permissions.add(Permission.objects.get(codename="access_admin"))
        return user

    return {
        "manager": manager(org.east, "east_manager"),
        "sibling_manager": manager(org.west, "west_manager"),
        "alice": member_factory(org.branch_a, username="alice"),
        "bob": member_factory(org.branch_b, username="bob"),
        "westie": member_factory(org.west_branch, username="westie"),
    }


@pytest.fixture
def session(org, people):
    return study_session_create(
        unit=org.east,
        topic="Kappa topic",
        date=date(2026, 4, 1),
        duration_minutes=60,
        credit_hours=Decimal("1.0"),
        by=people["manager"],
    )


def login(client, user):
    client.force_login(user)
    return client


def test_manager_creates_a_session_in_their_subtree(client, org, people):
    login(client, people["manager"])
    assert client.get("/admin/study-sessions/new/").status_code == 200
    response = client.post(
        "/admin/study-sessions/new/",
        {
            "unit": org.branch_a.pk,
            "topic": "Branch study",
            "date": "2026-04-02",
            "duration_minutes": "90",
            "credit_hours": "1.5",
        },
    )
    assert response.status_code == 302
    assert StudySession.objects.get(topic="Branch study").unit == org.branch_a


@pytest.mark.parametrize(
    "bad",
    [
        {"unit": "west"},
        {"duration_minutes": "0"},
        {"duration_minutes": "lots"},
        {"credit_hours": "-1"},
        {"date": "yesterday"},
        {"topic": ""},
    ],
)
def test_bad_session_input_is_refused_with_a_message(client, org, people, bad):
    login(client, people["manager"])
    data = {
        "unit": org.branch_a.pk,
        "topic": "T",
        "date": "2026-04-02",
        "duration_minutes": "90",
        "credit_hours": "1.5",
        **bad,
    }
    if data["unit"] == "west":
        data["unit"] = org.west_branch.pk
    response = client.post("/admin/study-sessions/new/", data)
    assert response.status_code == 200
    assert b"error" in response.content
    assert not StudySession.objects.exists()


def test_sibling_manager_cannot_see_or_edit_the_session(client, people, session):
    login(client, people["sibling_manager"])
    assert client.get(f"/admin/study-sessions/{session.pk}/").status_code == 404
    response = client.post(
        f"/admin/study-sessions/{session.pk}/", {"members": [people["alice"].pk]}
    )
    assert response.status_code == 404
    listing = client.get("/admin/study-sessions/")
    assert b"Kappa" not in listing.content
    assert not Attendance.objects.exists()


def test_members_are_refused(client, people, session):
    login(client, people["alice"])
    response = client.get(f"/admin/study-sessions/{session.pk}/")
    assert response.status_code in (302, 403)


def test_ticking_records_and_unticking_corrects(client, people, session):
    login(client, people["manager"])
    page = client.get(f"/admin/study-sessions/{session.pk}/")
    assert b"alice" in page.content and b"westie" not in page.content
    ids = [people["alice"].pk, people["bob"].pk]
    assert client.post(f"/admin/study-sessions/{session.pk}/", {"members": ids}).status_code == 302
    assert client.post(f"/admin/study-sessions/{session.pk}/", {"members": ids}).status_code == 302
    assert selectors.member_year_hours(user=people["alice"], year=2026) == Decimal("1.0")
    response = client.post(
        f"/admin/study-sessions/{session.pk}/",
        {"members": [people["alice"].pk], "reason": "bob left"},
    )
    assert response.status_code == 302
    assert selectors.member_year_hours(user=people["bob"], year=2026) == Decimal("0")
    removal = AttendanceChange.objects.get(user=people["bob"], action="removed")
    assert removal.reason == "bob left" and removal.by == people["manager"]


def test_ticking_a_member_outside_the_unit_is_a_form_error(client, people, session):
    login(client, people["manager"])
    response = client.post(
        f"/admin/study-sessions/{session.pk}/", {"members": [people["westie"].pk]}
    )
    assert response.status_code == 400
    assert not Attendance.objects.exists()


def xlsx(*names) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["username"])
    for name in names:
        sheet.append([name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_reports_bad_rows_and_records_good_ones(client, people, session, kind):
    login(client, people["manager"])
    names = ["alice", "nobody", "westie", "bob", "alice"]
    content = xlsx(*names) if kind == "xlsx" else ("username\n" + "\n".join(names)).encode()
    upload = SimpleUploadedFile(f"list.{kind}", content)
    response = client.post(
        f"/admin/study-sessions/{session.pk}/", {"action": "import", "file": upload}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "nobody" in body and "westie" in body
    assert set(Attendance.objects.values_list("user__username", flat=True)) == {"alice", "bob"}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("list.xlsx", b"this is not a workbook"),
        ("list.csv", b"\xff\xfe\x00garbage\x81"),
        ("list.pdf", b"%PDF-1.4"),
        ("list.csv", b""),
        ("list.csv", b"username\n"),
    ],
)
def test_bad_import_files_are_4xx_with_a_message(client, people, session, name, content):
    login(client, people["manager"])
    upload = SimpleUploadedFile(name, content)
    response = client.post(
        f"/admin/study-sessions/{session.pk}/", {"action": "import", "file": upload}
    )
    assert response.status_code == 400
    assert b"error" in response.content
    assert not Attendance.objects.exists()


def test_rules_are_a_site_setting_editable_in_the_admin(admin_client):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    url = f"/admin/settings/hours/studyhourrules/{site.pk}/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "credit_course_completion": "on",
            "credit_engaged_time": "on",
            "minutes_per_hour": "40",
            "daily_cap_hours": "4",
        },
    )
    assert response.status_code == 302
    from exams.hours.rules import rules_current

    rules = rules_current()
    assert rules.credit_engaged_time and rules.minutes_per_hour == 40
    assert rules.daily_cap_hours == Decimal("4")
