"""The scheduled report's e-mail: a short summary from ``figures.unit_overview``'s total,
the members table as XLSX attached, and a signed unsubscribe link."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext
from wagtail.users.models import UserProfile

from .exporting import CONTENT_TYPES, members_write
from .figures import GroupFigures, unit_overview
from .filters import ReportFilters
from .models import ExportFormat, ReportSubscription
from .subscriptions import unsubscribe_token


def mail_language(*, subscription: ReportSubscription) -> str:
    """The manager's admin language if set, else the one used when subscribing, else the
    site's (Simplified Chinese)."""
    preferred = (
        UserProfile.objects.filter(user_id=subscription.manager_id)
        .values_list("preferred_language", flat=True)
        .first()
    )
    languages = dict(settings.LANGUAGES)
    for language in (preferred, subscription.language):
        if language and language in languages:
            return language
    return settings.LANGUAGE_CODE


def absolute_url(path: str) -> str:
    return settings.SITE_BASE_URL.rstrip("/") + path


@dataclass(frozen=True)
class ReportSummary:
    """The figures a scheduled mail states (the total row of the unit overview)."""

    members: int
    met_target: int
    behind_target: int
    percent_met: object
    required_overdue: int

    @classmethod
    def of(cls, total: GroupFigures) -> ReportSummary:
        return cls(
            members=total.members,
            met_target=total.met_target,
            behind_target=total.behind_target,
            percent_met=total.percent_met,
            required_overdue=total.required_overdue,
        )


def period_label(*, subscription: ReportSubscription, period: date) -> str:
    if subscription.frequency == ReportSubscription.Frequency.WEEKLY:
        return gettext("week of %(date)s") % {"date": period.isoformat()}
    return gettext("month of %(month)s") % {"month": period.strftime("%Y-%m")}


def report_mail(
    *, subscription: ReportSubscription, period: date, today: date | None = None
) -> EmailMessage:
    """The mail of one period of a subscription (the year to date of ``today``), in the
    manager's language. The caller has checked that the manager may still see the unit."""
    manager, unit = subscription.manager, subscription.unit
    today = today or period
    filters = ReportFilters.for_year(today.year)
    with translation.override(mail_language(subscription=subscription)):
        overview = unit_overview(user=manager, unit=unit, filters=filters, today=today)
        summary = ReportSummary.of(overview.total)
        unsubscribe = absolute_url(
            reverse("reports_unsubscribe", args=[unsubscribe_token(subscription=subscription)])
        )
        context = {
            "subscription": subscription,
            "unit": unit,
            "year": filters.year,
            "today": today,
            "period": period_label(subscription=subscription, period=period),
            "summary": summary,
            "unsubscribe_url": unsubscribe,
            "subscriptions_url": absolute_url(reverse("reports_subscriptions")),
            "report_url": absolute_url(reverse("reports_unit", args=[unit.pk])),
        }
        subject = gettext("Training report: %(unit)s, %(period)s") % {
            "unit": unit.name,
            "period": context["period"],
        }
        body = render_to_string("reports/mail/subscription_report.txt", context)
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as xlsx:
            members_write(
                user=manager,
                unit=unit,
                filters=filters,
                fmt=ExportFormat.XLSX,
                out=xlsx,
                today=today,
            )
            xlsx.seek(0)
            attachment = xlsx.read()
        filename = f"members-{slugify(unit.code) or unit.pk}-{period.isoformat()}.xlsx"
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[manager.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach(filename, attachment, CONTENT_TYPES[ExportFormat.XLSX])
    return message
