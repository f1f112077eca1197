"""Exports of report tables made in the background, and scheduled reports by mail.

The figures themselves are never stored: an export or a mail computes them from
``figures`` when it runs.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cms.models import Unit


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ReportExport(models.Model):
    """One export asked for by a manager, made by ``export_task``, downloadable by that
    manager only and until ``expires_at``. The file lies under MEDIA_ROOT in
    ``REPORTS_EXPORT_DIR``, which is never served publicly."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_exports",
        verbose_name=_("requester"),
    )
    report = models.CharField(_("report"), max_length=50)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    language = models.CharField(_("language"), max_length=15)
    title = models.CharField(_("title"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), max_length=255, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["requester", "-created_at"], name="report_export_requester")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="report_export_progress_max_100"
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=ExportFormat.values),
                name="report_export_format_known",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.report

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_downloadable(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file) and not self.is_expired

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class ReportSubscription(models.Model):
    """A manager's weekly or monthly report of a unit's subtree, sent by mail."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    class EndReason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed with the link in the mail")
        CANCELLED = "cancelled", _("Cancelled in the admin")
        INACTIVE = "inactive", _("The manager's account was deactivated")
        OUT_OF_SCOPE = "out_of_scope", _("The unit is no longer in the manager's scope")

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
        verbose_name=_("manager"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="report_subscriptions", verbose_name=_("unit")
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    format = models.CharField(
        _("format"),
        max_length=8,
        choices=[(ExportFormat.XLSX.value, ExportFormat.XLSX.label)],
        default=ExportFormat.XLSX,
    )
    language = models.CharField(
        _("language"),
        max_length=15,
        blank=True,
        help_text=_("Chosen when subscribing; used if the account sets none."),
    )
    active = models.BooleanField(pgettext_lazy("subscription", "active"), default=True)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(
        _("why it ended"), max_length=20, choices=EndReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "unit", "frequency"],
                condition=models.Q(active=True),
                name="report_subscription_one_active",
            ),
            models.CheckConstraint(
                condition=models.Q(format="xlsx"), name="report_subscription_format_xlsx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} ({self.get_frequency_display()})"


class ReportDelivery(models.Model):
    """One mail of a subscription for one period (a week from Monday, or a month). The
    unique constraint is what makes sending idempotent: two runs of the beat task, even in
    parallel, cannot both record the same period, and the mail is sent inside the
    transaction that records it."""

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    period_start = models.DateField(_("period start"))
    recipient = models.EmailField(_("recipient"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"], name="report_delivery_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.period_start}"
