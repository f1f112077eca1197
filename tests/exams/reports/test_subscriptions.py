"""Scheduled reports: subscribing, the beat task mailing each period once, stale
subscriptions ending, the mail's contents, and the signed unsubscribe link."""

import io
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone, translation
from django.utils.html import escape
from openpyxl import load_workbook
from wagtail.users.models import UserProfile

from cms import roles
from exams.reports.figures import member_figures, members_of_unit, unit_overview
from exams.reports.filters import ReportFilters
from exams.reports.models import ReportDelivery, ReportSubscription
from exams.reports.subscriptions import (
    _send_one,
    period_start,
    subscriptions_send_due,
    unsubscribe_token,
)
from exams.reports.tables import MEMBER_COLUMNS
from exams.reports.tasks import send_report_subscriptions_task

from .conftest import YEAR

pytestmark = pytest.mark.django_db

# Wednesday 10 June 2026, 09:00 in Shanghai.
NOW = datetime(2026, 6, 10, 1, 0, tzinfo=UTC)
SUBSCRIBE = "/admin/reports/subscriptions/new/"
LIST = "/admin/reports/subscriptions/"


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise OSError("the mail server is down")


@pytest.fixture
def as_user(client):
    def login(user, language="en"):
        client.logout()
        if user is not None:
            client.force_login(user)
        client.cookies["django_language"] = language
        return client

    return login


def subscribe(user, unit, frequency="weekly", language="en"):
    return ReportSubscription.objects.create(
        manager=user, unit=unit, frequency=frequency, language=language
    )


# --- subscribing in the admin -------------------------------------------------------------


def test_a_manager_subscribes_to_the_unit_being_viewed_and_unsubscribes(report_world, as_user):
    w = report_world
    client = as_user(w.manager_east)
    page = client.get(LIST, {"unit": w.branch_a.pk})
    assert page.status_code == 200
    assert f'value="{w.branch_a.pk}"' in page.content.decode()
    response = client.post(SUBSCRIBE, {"unit": w.branch_a.pk, "frequency": "monthly"})
    assert response.status_code == 302 and response["Location"] == LIST
    subscription = ReportSubscription.objects.get()
    assert (subscription.manager, subscription.unit) == (w.manager_east, w.branch_a)
    assert subscription.frequency == "monthly" and subscription.active
    assert subscription.language == "en"

    again = client.post(SUBSCRIBE, {"unit": w.branch_a.pk, "frequency": "monthly"}, follow=True)
    assert "You already receive this report." in again.content.decode()
    assert ReportSubscription.objects.count() == 1
    assert "Branch A" in client.get(LIST).content.decode()

    assert client.post(f"{LIST}{subscription.pk}/cancel/").status_code == 302
    subscription.refresh_from_db()
    assert not subscription.active and subscription.end_reason == "cancelled"


@pytest.mark.parametrize(
    ("manager", "unit"),
    [("manager_a", "branch_b"), ("manager_a", "east"), ("manager_east", "west_branch")],
)
def test_units_out_of_scope_are_404(report_world, as_user, manager, unit):
    w = report_world
    client = as_user(getattr(w, manager))
    unit_id = getattr(w, unit).pk
    assert client.post(SUBSCRIBE, {"unit": unit_id, "frequency": "weekly"}).status_code == 404
    assert client.get(LIST, {"unit": unit_id}).status_code == 404
    assert client.get(LIST, {"unit": "abc"}).status_code == 404
    assert not ReportSubscription.objects.exists()


@pytest.mark.parametrize(
    "data",
    [{"frequency": "daily"}, {"frequency": ""}, {"unit": "x", "frequency": "weekly"}],
)
def test_bad_subscription_requests_are_400_with_a_message(report_world, as_user, data):
    w = report_world
    response = as_user(w.manager_east).post(SUBSCRIBE, {"unit": w.east.pk, **data})
    assert response.status_code == 400
    assert escape("Choose a unit and weekly or monthly.") in response.content.decode()
    assert not ReportSubscription.objects.exists()


def test_nobody_cancels_anothers_subscription(report_world, as_user):
    w = report_world
    subscription = subscribe(w.manager_a, w.branch_a)
    for user in (w.manager_east, w.manager_province, w.manager_b):
        assert as_user(user).post(f"{LIST}{subscription.pk}/cancel/").status_code == 404
        assert "Branch A" not in as_user(user).get(LIST).content.decode()
    subscription.refresh_from_db()
    assert subscription.active


@pytest.mark.parametrize("who", ["a1", "trainer", None])
def test_members_trainers_and_anonymous_cannot_subscribe(report_world, as_user, who):
    w = report_world
    client = as_user(getattr(w, who) if who else None)
    assert client.get(LIST).status_code == 302
    assert client.post(SUBSCRIBE, {"unit": w.branch_a.pk, "frequency": "weekly"}).status_code == 302
    assert not ReportSubscription.objects.exists()


# --- sending ------------------------------------------------------------------------------


def test_the_mail_states_the_overview_figures_and_attaches_the_members(report_world):
    w = report_world
    subscription = subscribe(w.manager_east, w.east)
    outcome = subscriptions_send_due(now=NOW)
    assert outcome.sent == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [w.manager_east.email]
    assert message.subject == "Training report: East district, week of 2026-06-08"
    today = timezone.localdate(NOW)
    filters = ReportFilters.for_year(YEAR)
    total = unit_overview(user=w.manager_east, unit=w.east, filters=filters, today=today).total
    assert f"Members: {total.members}" in message.body
    assert f"Met the yearly target: {total.met_target} ({total.percent_met}%)" in message.body
    assert f"Behind the target: {total.behind_target}" in message.body
    assert f"Required courses overdue: {total.required_overdue}" in message.body
    assert (total.members, total.behind_target, total.required_overdue) == (8, 6, 1)
    token = unsubscribe_token(subscription=subscription)
    assert f"http://127.0.0.1:8000/reports/unsubscribe/{token}/" in message.body
    assert f"http://127.0.0.1:8000/admin/reports/units/{w.east.pk}/?year=2026" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    (filename, content, mimetype) = message.attachments[0]
    assert filename == "members-east-2026-06-08.xlsx"
    assert mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == [str(c.label) for c in MEMBER_COLUMNS]
    figures = member_figures(members=members_of_unit(unit=w.east), filters=filters, today=today)
    assert {r[1]: r[4] for r in rows[1:]} == {f.username: float(f.year_hours) for f in figures}
    assert "w1" not in {r[1] for r in rows[1:]}  # nothing from another subtree

    subscription.refresh_from_db()
    assert subscription.last_sent_at is not None
    assert ReportDelivery.objects.get().period_start.isoformat() == "2026-06-08"


def test_the_mail_is_in_the_managers_language(report_world):
    w = report_world
    subscribe(w.manager_east, w.east, language="en")
    profile = UserProfile.get_for_user(w.manager_east)
    profile.preferred_language = "zh-hans"
    profile.save()
    subscriptions_send_due(now=NOW)
    message = mail.outbox[0]
    with translation.override("zh-hans"):
        subject = translation.gettext("Training report: %(unit)s, %(period)s") % {
            "unit": "East district",
            "period": translation.gettext("week of %(date)s") % {"date": "2026-06-08"},
        }
        header = [str(c.label) for c in MEMBER_COLUMNS]
    assert message.subject == subject
    rows = load_workbook(io.BytesIO(message.attachments[0][1])).active.iter_rows(values_only=True)
    assert list(next(rows)) == header


def test_the_site_language_when_the_managers_is_unknown(report_world, settings):
    from exams.reports.mail import mail_language

    w = report_world
    subscription = subscribe(w.manager_east, w.east, language="")
    assert mail_language(subscription=subscription) == settings.LANGUAGE_CODE == "zh-hans"
    subscription.language = "en"
    assert mail_language(subscription=subscription) == "en"


def test_two_runs_send_one_mail_per_period(report_world):
    w = report_world
    subscribe(w.manager_east, w.east, "weekly")
    subscribe(w.manager_a, w.branch_a, "monthly")
    assert subscriptions_send_due(now=NOW).sent == 2
    assert subscriptions_send_due(now=NOW).sent == 0
    assert subscriptions_send_due(now=NOW + timedelta(days=2)).sent == 0  # same week, month
    assert len(mail.outbox) == 2
    next_week = subscriptions_send_due(now=NOW + timedelta(days=7))  # still June
    assert next_week.sent == 1 and mail.outbox[-1].to == [w.manager_east.email]
    assert subscriptions_send_due(now=NOW + timedelta(days=7, hours=3)).sent == 0
    july = subscriptions_send_due(now=NOW + timedelta(days=21))  # a new week and month
    assert july.sent == 2 and len(mail.outbox) == 5
    assert ReportDelivery.objects.count() == 5


def test_the_beat_task_run_twice_sends_once(report_world):
    w = report_world
    subscribe(w.manager_east, w.east, "monthly")
    assert send_report_subscriptions_task.delay().get()["sent"] == 1
    assert send_report_subscriptions_task.delay().get() == {
        "sent": 0,
        "not_due": 1,
        "ended": 0,
        "no_address": 0,
        "failed": 0,
    }
    assert len(mail.outbox) == 1


def test_a_period_recorded_by_a_parallel_run_is_not_sent_again(report_world):
    w = report_world
    subscription = subscribe(w.manager_east, w.east)
    period = period_start(frequency="weekly", day=NOW.date())
    ReportDelivery.objects.create(
        subscription=subscription, period_start=period, recipient="x@example.org"
    )
    assert _send_one(subscription=subscription, period=period, today=NOW.date()) is False
    assert mail.outbox == []
    assert ReportDelivery.objects.count() == 1


def test_a_failed_send_is_retried_on_the_next_run(report_world, settings):
    w = report_world
    subscribe(w.manager_east, w.east)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    assert subscriptions_send_due(now=NOW).failed == 1
    assert not ReportDelivery.objects.exists()  # rolled back with the failed send
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert subscriptions_send_due(now=NOW).sent == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [("lost_role", "out_of_scope"), ("moved", "out_of_scope"), ("deactivated", "inactive")],
)
def test_a_stale_subscription_is_ended_not_sent(report_world, caplog, change, reason):
    w = report_world
    subscription = subscribe(w.manager_east, w.east)
    manager = w.manager_east
    if change == "lost_role":
        manager.groups.remove(Group.objects.get(name=roles.MANAGERS))
    elif change == "moved":
        manager.profile.unit = w.west_branch  # still a manager, of another subtree
        manager.profile.save()
    else:
        manager.is_active = False
        manager.save()
    with caplog.at_level(logging.WARNING, logger="exams.reports.subscriptions"):
        outcome = subscriptions_send_due(now=NOW)
    assert outcome.ended == 1 and outcome.sent == 0
    assert mail.outbox == []
    subscription.refresh_from_db()
    assert not subscription.active and subscription.end_reason == reason
    assert f"report subscription {subscription.pk}" in caplog.text
    assert subscriptions_send_due(now=NOW + timedelta(days=7)).ended == 0  # ended once


def test_a_manager_moved_within_their_scope_still_gets_the_report(report_world):
    w = report_world
    subscribe(w.manager_east, w.branch_a)
    w.manager_east.profile.unit = w.province  # promoted: branch A is still in scope
    w.manager_east.profile.save()
    assert subscriptions_send_due(now=NOW).sent == 1


def test_no_address_no_mail_and_the_subscription_stays(report_world):
    w = report_world
    subscription = subscribe(w.manager_east, w.east)
    w.manager_east.email = ""
    w.manager_east.save()
    assert subscriptions_send_due(now=NOW).no_address == 1
    subscription.refresh_from_db()
    assert subscription.active and mail.outbox == []


# --- the unsubscribe link ------------------------------------------------------------------


def test_the_unsubscribe_link_works_without_login_after_a_confirmation(report_world, client):
    w = report_world
    subscription = subscribe(w.manager_east, w.east)
    url = f"/reports/unsubscribe/{unsubscribe_token(subscription=subscription)}/"
    client.cookies["django_language"] = "en"
    page = client.get(url)
    assert page.status_code == 200 and "<form" in page.content.decode()
    subscription.refresh_from_db()
    assert subscription.active  # a link scanner's GET changes nothing
    done = client.post(url)
    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    subscription.refresh_from_db()
    assert not subscription.active and subscription.end_reason == "unsubscribed"
    assert subscriptions_send_due(now=NOW).sent == 0
    assert "no longer receive" in client.get(url).content.decode()


def test_a_tampered_or_borrowed_unsubscribe_link_is_refused(report_world, client):
    w = report_world
    mine = subscribe(w.manager_east, w.east)
    other = subscribe(w.manager_a, w.branch_a)
    token = unsubscribe_token(subscription=mine)
    pk, signature = token.split(":", 1)
    for bad in (f"{other.pk}:{signature}", f"{pk}:{signature[:-2]}xx", "garbage", f"{pk}"):
        response = client.post(f"/reports/unsubscribe/{bad}/")
        assert response.status_code == 400
    other.refresh_from_db()
    mine.refresh_from_db()
    assert other.active and mine.active


@pytest.mark.django_db(transaction=True)
def test_parallel_runs_send_each_period_once(report_world):
    """Four beat runs at once (threads with their own connections): the unique delivery
    per period, recorded in the sending transaction, lets exactly one of them mail."""
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    w = report_world
    subscriptions = [
        subscribe(w.manager_east, w.east),
        subscribe(w.manager_a, w.branch_a),
        subscribe(w.manager_province, w.province, "monthly"),
    ]
    start = threading.Barrier(4)
    outcomes = []

    def run():
        from django.db import connection as thread_connection

        try:
            start.wait()
            outcomes.append(subscriptions_send_due(now=NOW))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 4
    assert sum(o.sent for o in outcomes) == len(subscriptions)
    assert len(mail.outbox) == len(subscriptions)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.manager.email for s in subscriptions)


def test_the_beat_schedule_names_the_reports_tasks(settings):
    from cms.celery import app

    tasks = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "exams.reports.tasks.send_report_subscriptions_task" in tasks
    assert "exams.reports.tasks.remove_expired_report_exports_task" in tasks
    assert {t for t in tasks if t.startswith("exams.reports.")} <= set(app.tasks)
