"""Managers' admin views for study sessions: scope, ticking, import, bad input, derived
credit, nobody crediting themselves."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from openpyxl import Workbook
from wagtail.models import Site

from cms import roles
from exams.hours import selectors
from exams.hours.models import (
    Attendance,
    AttendanceChange,
    StudyHourEntry,
    StudyHourRules,
    StudySession,
)
from exams.hours.services import study_session_create
from exams.hours.services.attendance import own_attendance_refusal

ADMIN_LANGUAGE = "zh-hans"  # the admin answers in the site language


def translated(message) -> str:
    """``message`` as the admin page shows it (translated, HTML-escaped)."""
    with translation.override(ADMIN_LANGUAGE):
        return escape(str(message))


def nothing_recorded() -> bool:
    return not (
        Attendance.objects.exists()
        or AttendanceChange.objects.exists()
        or StudyHourEntry.objects.exists()
    )


@pytest.fixture
def people(org, member_factory):
    def manager(unit, name):
        user = member_factory(unit, role=roles.MANAGERS, username=name)
        user.user_permissions.add(Permission.objects.get(codename="access_admin"))
        return user

    return {
        "manager": manager(org.east, "east_manager"),
        "second_manager": manager(org.east, "east_manager_2"),
        "province_manager": manager(org.province, "province_manager"),
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
        duration_minutes=45,  # one study hour of 45 minutes
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
        },
    )
    assert response.status_code == 302
    created = StudySession.objects.get(topic="Branch study")
    assert created.unit == org.branch_a
    assert created.credit_hours == Decimal("2.0")  # 90 min ÷ 45 min per study hour


def set_rules(**fields):
    rules = StudyHourRules.for_site(Site.objects.get(is_default_site=True))
    for name, value in fields.items():
        setattr(rules, name, value)
    rules.save()


@pytest.mark.parametrize(
    ("minutes", "credit"),
    [
        ("1", Decimal("0.0")),  # 1/45 h rounds down to nothing
        ("44", Decimal("0.9")),  # 0.977… rounds down
        ("45", Decimal("1.0")),
        ("100", Decimal("2.2")),
        ("1440", Decimal("8.0")),  # a whole day: the rules' ceiling
    ],
)
def test_credit_is_derived_from_the_duration_and_a_typed_credit_is_ignored(
    client, org, people, minutes, credit
):
    login(client, people["manager"])
    response = client.post(
        "/admin/study-sessions/new/",
        {
            "unit": org.branch_a.pk,
            "topic": "Short",
            "date": "2026-04-02",
            "duration_minutes": minutes,
            "credit_hours": "99.9",
        },
    )
    assert response.status_code == 302
    assert StudySession.objects.get(topic="Short").credit_hours == credit


def test_a_one_minute_session_never_credits_99_9_hours(client, org, people):
    set_rules(minutes_per_hour=1, study_session_max_hours=Decimal("3.0"))
    login(client, people["manager"])
    response = client.post(
        "/admin/study-sessions/new/",
        {
            "unit": org.branch_a.pk,
            "topic": "One minute",
            "date": "2026-04-02",
            "duration_minutes": "1",
            "credit_hours": "99.9",
        },
    )
    assert response.status_code == 302
    one_minute = StudySession.objects.get(topic="One minute")
    assert one_minute.credit_hours == Decimal("1.0")
    page = client.post(f"/admin/study-sessions/{one_minute.pk}/", {"members": [people["alice"].pk]})
    assert page.status_code == 302
    assert selectors.member_year_hours(user=people["alice"], year=2026) == Decimal("1.0")
    long = client.post(
        "/admin/study-sessions/new/",
        {"unit": org.branch_a.pk, "topic": "Long", "date": "2026-04-02", "duration_minutes": "600"},
    )
    assert long.status_code == 302
    assert StudySession.objects.get(topic="Long").credit_hours == Decimal("3.0")  # ceiling


@pytest.mark.parametrize(
    ("bad", "field", "code"),
    [
        ({"unit": "west"}, "unit", "invalid_choice"),
        ({"duration_minutes": "0"}, "duration_minutes", "min_value"),
        ({"duration_minutes": "1441"}, "duration_minutes", "max_value"),
        ({"duration_minutes": "lots"}, "duration_minutes", "invalid"),
        ({"date": "yesterday"}, "date", "invalid"),
        ({"topic": ""}, "topic", "required"),
    ],
)
def test_bad_session_input_is_refused_with_a_message(client, org, people, bad, field, code):
    login(client, people["manager"])
    data = {
        "unit": org.branch_a.pk,
        "topic": "T",
        "date": "2026-04-02",
        "duration_minutes": "90",
        **bad,
    }
    if data["unit"] == "west":
        data["unit"] = org.west_branch.pk
    response = client.post("/admin/study-sessions/new/", data)
    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors.as_data()
    assert list(errors) == [field]
    assert [e.code for e in errors[field]] == [code]
    with translation.override(ADMIN_LANGUAGE):
        message = escape(form.errors[field][0])
    assert message in response.content.decode()
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
    # members have no admin access at all: sent to the admin's login
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
    posted = client.post(f"/admin/study-sessions/{session.pk}/", {"members": [people["alice"].pk]})
    assert posted.status_code == 302
    assert not Attendance.objects.exists()


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
    ("name", "content", "message"),
    [
        ("list.xlsx", b"this is not a workbook", "This is not a readable XLSX file."),
        ("list.csv", b"\xff\xfe\x00garbage\x81", "The file is neither UTF-8 nor GB18030 text."),
        ("list.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx file."),
        ("list.csv", b"", "The submitted file is empty."),
        ("list.csv", b"username\n", "The file lists no usernames."),
    ],
)
def test_bad_import_files_are_4xx_with_a_message(client, people, session, name, content, message):
    login(client, people["manager"])
    upload = SimpleUploadedFile(name, content)
    response = client.post(
        f"/admin/study-sessions/{session.pk}/", {"action": "import", "file": upload}
    )
    assert response.status_code == 400
    with translation.override(ADMIN_LANGUAGE):
        expected = gettext(message)
        assert response.context["import_form"].errors["file"] == [expected]
    assert escape(expected) in response.content.decode()
    assert nothing_recorded()


def test_unknown_and_out_of_scope_usernames_get_the_same_answer(client, people, session):
    login(client, people["manager"])
    # westie exists (in the west district, outside the manager's units); nobody does not;
    # west_manager exists and is a manager elsewhere
    upload = SimpleUploadedFile("list.csv", b"username\nnobody\nwestie\nwest_manager\n")
    response = client.post(
        f"/admin/study-sessions/{session.pk}/", {"action": "import", "file": upload}
    )
    assert response.status_code == 200
    rows = response.context["import_rows"]
    assert [r.username for r in rows] == ["nobody", "westie", "west_manager"]
    with translation.override(ADMIN_LANGUAGE):
        assert {str(r.error) for r in rows} == {gettext("Not found in your units.")}
    assert translated(gettext("Not found in your units.")) in response.content.decode()
    assert nothing_recorded()


# --- nobody credits themselves --------------------------------------------------------


def test_a_manager_ticking_themselves_is_refused(client, people, session):
    login(client, people["manager"])
    response = client.post(
        f"/admin/study-sessions/{session.pk}/",
        {"members": [people["manager"].pk, people["alice"].pk]},
    )
    assert response.status_code == 400
    assert translated(own_attendance_refusal()) in response.content.decode()
    assert nothing_recorded()  # not even alice: all of the changes or none
    assert selectors.member_year_hours(user=people["manager"], year=2026) == Decimal("0")


def test_a_manager_importing_themselves_is_refused(client, people, session):
    login(client, people["manager"])
    upload = SimpleUploadedFile("list.csv", b"east_manager\nalice\n")
    response = client.post(
        f"/admin/study-sessions/{session.pk}/", {"action": "import", "file": upload}
    )
    assert response.status_code == 200
    rows = response.context["import_rows"]
    assert [r.username for r in rows] == ["east_manager"]
    with translation.override(ADMIN_LANGUAGE):
        assert str(rows[0].error) == str(own_attendance_refusal())
    assert set(Attendance.objects.values_list("user__username", flat=True)) == {"alice"}
    assert not StudyHourEntry.objects.filter(user=people["manager"]).exists()


@pytest.mark.parametrize("recorder", ["second_manager", "province_manager"])
def test_a_managers_attendance_is_recorded_by_a_second_manager_or_the_unit_above(
    client, people, session, recorder
):
    login(client, people[recorder])
    response = client.post(
        f"/admin/study-sessions/{session.pk}/", {"members": [people["manager"].pk]}
    )
    assert response.status_code == 302
    assert selectors.member_year_hours(user=people["manager"], year=2026) == Decimal("1.0")
    change = AttendanceChange.objects.get(user=people["manager"])
    assert change.by == people[recorder]


def test_a_manager_cannot_remove_themselves_either(client, people, session):
    login(client, people["second_manager"])
    client.post(f"/admin/study-sessions/{session.pk}/", {"members": [people["manager"].pk]})
    login(client, people["manager"])
    response = client.post(f"/admin/study-sessions/{session.pk}/", {"members": []})
    assert response.status_code == 400
    assert translated(own_attendance_refusal()) in response.content.decode()
    assert Attendance.objects.filter(user=people["manager"]).exists()
    assert AttendanceChange.objects.count() == 1


def test_a_superuser_cannot_credit_themselves(client, org, people, session, member_factory):
    boss = member_factory(org.province, username="boss")
    boss.is_superuser = True
    boss.save()
    login(client, boss)
    response = client.post(f"/admin/study-sessions/{session.pk}/", {"members": [boss.pk]})
    assert response.status_code == 400
    assert nothing_recorded()


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
            "study_session_max_hours": "6",
            "course_credit_max_hours": "30",
        },
    )
    assert response.status_code == 302
    from exams.hours.rules import rules_current

    rules = rules_current()
    assert rules.credit_engaged_time and rules.minutes_per_hour == 40
    assert rules.daily_cap_hours == Decimal("4")
