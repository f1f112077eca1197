"""Scheduled reports: a manager subscribes to a unit's weekly or monthly report; the beat
task mails each subscription once per period, and ends those whose manager may no longer
see the unit."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from .figures import User, report_unit, report_units_for
from .models import ReportDelivery, ReportSubscription
from .tables import BadReportRequest

log = logging.getLogger(__name__)

Frequency = ReportSubscription.Frequency
EndReason = ReportSubscription.EndReason

UNSUBSCRIBE_SALT = "exams.reports.unsubscribe"


class AlreadySubscribed(Exception):
    pass


def period_start(*, frequency: str, day: date) -> date:
    """The first day of the period ``day`` falls in: its week's Monday, or its month's 1st."""
    if frequency == Frequency.WEEKLY:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def subscriptions_of(*, user: User) -> QuerySet[ReportSubscription]:
    """The user's own subscriptions, the active ones first."""
    if not user.is_authenticated:
        return ReportSubscription.objects.none()
    return (
        ReportSubscription.objects.filter(manager=user)
        .select_related("unit")
        .order_by("-active", "-created_at", "-pk")
    )


def subscription_create(
    *, manager: User, unit_id: int, frequency: str, language: str = ""
) -> ReportSubscription:
    """Subscribe ``manager`` to the report of a unit in their scope. ``BadReportRequest``
    for an unknown frequency, ``Unit.DoesNotExist`` out of scope, ``AlreadySubscribed``."""
    if frequency not in Frequency.values:
        raise BadReportRequest(gettext("Choose weekly or monthly."))
    unit = report_unit(user=manager, unit_id=unit_id)
    try:
        with transaction.atomic():
            return ReportSubscription.objects.create(
                manager=manager,
                unit=unit,
                frequency=frequency,
                language=language if language in dict(settings.LANGUAGES) else "",
            )
    except IntegrityError:
        raise AlreadySubscribed from None


def subscription_end(*, subscription: ReportSubscription, reason: str) -> bool:
    """End an active subscription; False if it had already ended."""
    return bool(
        ReportSubscription.objects.filter(pk=subscription.pk, active=True).update(
            active=False, ended_at=timezone.now(), end_reason=reason
        )
    )


def subscription_cancel(*, user: User, subscription_id: int) -> ReportSubscription:
    """The user ends one of their own subscriptions (``DoesNotExist`` for anyone else's)."""
    subscription = subscriptions_of(user=user).get(pk=subscription_id)
    subscription_end(subscription=subscription, reason=EndReason.CANCELLED)
    return subscription


# --- the unsubscribe link ------------------------------------------------------------


def unsubscribe_token(*, subscription: ReportSubscription) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscription.pk))


def subscription_from_token(*, token: str) -> ReportSubscription:
    """The subscription a link was made for. ``signing.BadSignature`` for a tampered or
    made-up token, ``ReportSubscription.DoesNotExist`` if it was deleted since."""
    pk = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    return ReportSubscription.objects.select_related("unit").get(pk=int(pk))


# --- sending -------------------------------------------------------------------------


def subscription_stale_reason(*, subscription: ReportSubscription) -> str | None:
    """Why the manager may no longer receive this report, if so (an ``EndReason``)."""
    manager = subscription.manager
    if not manager.is_active:
        return EndReason.INACTIVE
    if not report_units_for(user=manager).filter(pk=subscription.unit_id).exists():
        return EndReason.OUT_OF_SCOPE
    return None


@dataclass
class SendOutcome:
    sent: int = 0
    not_due: int = 0
    ended: int = 0
    no_address: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _send_one(*, subscription: ReportSubscription, period: date, today: date) -> bool:
    """Record the period and send the mail in one transaction; False if another run has
    recorded it (the unique constraint), so the mail is never sent twice."""
    from .mail import report_mail

    try:
        with transaction.atomic():
            ReportDelivery.objects.create(
                subscription=subscription,
                period_start=period,
                recipient=subscription.manager.email,
            )
            report_mail(subscription=subscription, period=period, today=today).send()
            ReportSubscription.objects.filter(pk=subscription.pk).update(
                last_sent_at=timezone.now()
            )
    except IntegrityError:
        return False
    return True


def subscriptions_send_due(*, now: datetime | None = None) -> SendOutcome:
    """Mail each active subscription not yet sent for its current week or month."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    outcome = SendOutcome()
    active = ReportSubscription.objects.filter(active=True).select_related("manager", "unit")
    for subscription in list(active.order_by("pk")):  # no cursor held across the sends
        period = period_start(frequency=subscription.frequency, day=today)
        if ReportDelivery.objects.filter(subscription=subscription, period_start=period).exists():
            outcome.not_due += 1
            continue
        reason = subscription_stale_reason(subscription=subscription)
        if reason:
            subscription_end(subscription=subscription, reason=reason)
            log.warning(
                "report subscription %s of user %s for unit %s ended: %s",
                subscription.pk,
                subscription.manager_id,
                subscription.unit_id,
                reason,
            )
            outcome.ended += 1
            continue
        if not subscription.manager.email:
            log.warning(
                "report subscription %s: user %s has no e-mail address",
                subscription.pk,
                subscription.manager_id,
            )
            outcome.no_address += 1
            continue
        try:
            sent = _send_one(subscription=subscription, period=period, today=today)
        except Exception:
            log.exception("report subscription %s: sending failed", subscription.pk)
            outcome.failed += 1
            continue
        if sent:
            outcome.sent += 1
        else:
            outcome.not_due += 1
    return outcome
