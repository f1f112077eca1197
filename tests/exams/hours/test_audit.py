"""Every act that changes someone's hours is in Wagtail's audit log: who, when, what."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from wagtail.log_actions import LogContext
from wagtail.models import ModelLogEntry, PageLogEntry, Site

from cms import roles
from courses.models import course_credit_errors
from exams.hours.models import RecomputeBatch, StudyHourRules
from exams.hours.services import study_session_create

from ..conftest import make_course


@pytest.fixture
def manager(org, member_factory):
    user = member_factory(org.east, role=roles.MANAGERS, username="east_manager")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return user


@pytest.fixture
def session(org, manager):
    return study_session_create(
        unit=org.east, topic="Audit", date=date(2026, 4, 1), duration_minutes=45, by=manager
    )


def test_attendance_added_and_removed_are_logged_with_the_manager(
    client, org, manager, session, member_factory
):
    alice = member_factory(org.branch_a, username="alice")
    client.force_login(manager)
    url = f"/admin/study-sessions/{session.pk}/"
    assert client.post(url, {"members": [alice.pk]}).status_code == 302
    assert client.post(url, {"members": [], "reason": "left"}).status_code == 302
    entries = list(ModelLogEntry.objects.filter(action__startswith="hours.").order_by("pk"))
    assert [e.action for e in entries] == ["hours.attendance_added", "hours.attendance_removed"]
    added, removed = entries
    assert added.user_id == removed.user_id == manager.pk
    assert added.object_id == str(session.pk) and added.timestamp is not None
    assert added.data["member"] == "alice" and added.data["hours"] == "1.0"
    assert removed.data["hours"] == "-1.0" and removed.data["reason"] == "left"


def test_rules_changed_in_the_settings_admin_are_logged_with_the_admin(admin_client, admin_user):
    site = Site.objects.get(is_default_site=True)
    StudyHourRules.for_site(site)
    response = admin_client.post(
        f"/admin/settings/hours/studyhourrules/{site.pk}/",
        {
            "credit_course_completion": "on",
            "credit_quiz_pass": "on",
            "minutes_per_hour": "30",
            "daily_cap_hours": "",
            "study_session_max_hours": "8.0",
            "course_credit_max_hours": "40.0",
        },
    )
    assert response.status_code == 302
    entry = ModelLogEntry.objects.get(action="hours.rules_changed")
    assert entry.user_id == admin_user.pk
    assert entry.data == {"minutes_per_hour": [45, 30]}


def test_the_recompute_command_is_logged_as_the_system_with_its_note(org):
    call_command(
        "recompute_study_hours",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--note",
        "rules changed in March",
        stdout=io.StringIO(),
    )
    batch = RecomputeBatch.objects.get()
    entry = ModelLogEntry.objects.get(action="hours.recompute")
    assert entry.user_id is None
    assert entry.object_id == str(batch.pk)
    assert entry.data["note"] == "rules changed in March"
    assert entry.data["date_from"] == "2026-01-01" and "total_after" in entry.data


def test_a_dry_run_logs_nothing(org):
    call_command("recompute_study_hours", "--dry-run", stdout=io.StringIO())
    assert not ModelLogEntry.objects.filter(action="hours.recompute").exists()


def test_a_published_change_of_a_course_credit_is_logged_with_the_publisher(org, member_factory):
    editor = member_factory(org.province, username="editor")
    course = make_course(credit_hours="2.0")
    course.credit_hours = Decimal("3.0")
    revision = course.save_revision(user=editor)
    assert not PageLogEntry.objects.filter(action="hours.course_credit_changed").exists()
    with LogContext(user=editor):  # what Wagtail's admin views set around a request
        revision.publish(user=editor, skip_permission_checks=True)
    entry = PageLogEntry.objects.get(action="hours.course_credit_changed")
    assert entry.user_id == editor.pk and entry.page_id == course.pk
    assert entry.data == {"credit_hours": ["2.0", "3.0"]}


def test_course_credit_above_the_rules_ceiling_is_refused(org):
    rules = StudyHourRules.for_site(Site.objects.get(is_default_site=True))
    rules.course_credit_max_hours = Decimal("10.0")
    rules.save()
    course = make_course(credit_hours="2.0")
    assert course_credit_errors(course=course, credit_hours=10, estimated_minutes_total=999) == []
    errors = course_credit_errors(
        course=course, credit_hours=Decimal("10.5"), estimated_minutes_total=999
    )
    assert [e.code for e in errors] == ["credit_above_ceiling"]
    assert errors[0].params["max"] == Decimal("10.0")
