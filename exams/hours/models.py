"""The study-hour ledger and its rules, and study sessions with attendance."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

# --- study-hour ledger -------------------------------------------------------------


@register_setting(icon="time")
class StudyHourRules(BaseSiteSetting):
    """How study hours are credited. Changing a rule affects new credits; apply it to a
    past period on purpose with ``manage.py recompute_study_hours``."""

    credit_course_completion = models.BooleanField(
        _("credit course completion"),
        default=True,
        help_text=_("A completed course credits its nominal hours, once."),
    )
    credit_engaged_time = models.BooleanField(
        _("credit engaged time"),
        default=False,
        help_text=_("Time really spent on lessons credits hours, per day."),
    )
    credit_quiz_pass = models.BooleanField(
        _("credit passed quizzes"),
        default=True,
        help_text=_("A passed quiz credits its study hours, once, on the first pass."),
    )
    minutes_per_hour = models.PositiveSmallIntegerField(
        _("minutes per study hour"),
        default=45,
        validators=[MinValueValidator(1)],
    )
    daily_cap_hours = models.DecimalField(
        _("daily cap (hours)"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Most engaged-time hours credited per member per day. Blank: no cap."),
    )
    study_session_max_hours = models.DecimalField(
        _("study session ceiling (hours)"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("8.0"),
        validators=[MinValueValidator(0)],
        help_text=_(
            "A study session credits its duration divided by the minutes per study hour, "
            "rounded down to 0.1 h, and at most this."
        ),
    )
    course_credit_max_hours = models.DecimalField(
        _("course credit ceiling (hours)"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("40.0"),
        validators=[MinValueValidator(0)],
        help_text=_("The most credit hours a course may award."),
    )

    panels = [
        FieldPanel("credit_course_completion"),
        FieldPanel("credit_engaged_time"),
        FieldPanel("credit_quiz_pass"),
        FieldPanel("minutes_per_hour"),
        FieldPanel("daily_cap_hours"),
        FieldPanel("study_session_max_hours"),
        FieldPanel("course_credit_max_hours"),
    ]

    class Meta:
        verbose_name = _("study-hour rules")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class RecomputeBatch(models.Model):
    """One run of ``recompute_study_hours``: the period, the rules applied, the totals."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    rules = models.JSONField(_("rules applied"), default=dict)
    total_before = models.DecimalField(_("total before"), max_digits=12, decimal_places=2)
    total_after = models.DecimalField(_("total after"), max_digits=12, decimal_places=2)
    entries_superseded = models.PositiveIntegerField(_("entries superseded"), default=0)
    entries_created = models.PositiveIntegerField(_("entries created"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ledger recomputation")
        verbose_name_plural = _("ledger recomputations")

    def __str__(self) -> str:
        return f"{self.date_from} – {self.date_to}"


def _source_ref(to, verbose_name) -> models.ForeignKey:
    """An optional link from a ledger entry to what produced it; kept if that goes away."""
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=verbose_name,
    )


class StudyHourEntry(models.Model):
    """An append-only line of a member's study-hour ledger.

    ``key`` is the idempotency key of what produced the entry (a course completion, a
    beat, an attendance change); the database allows one live entry per key. Entries are
    never edited or deleted: a recomputation marks the entries it replaces
    ``superseded_by`` and appends new ones; a correction is a new (negative) entry.
    """

    class Source(models.TextChoices):
        COURSE_COMPLETION = "course_completion", _("Course completion")
        LESSON_TIME = "lesson_time", _("Lesson time")
        QUIZ = "quiz", _("Quiz")
        ATTENDED_SESSION = "attended_session", _("Attended study session")
        CORRECTION = "correction", _("Correction")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="study_hour_entries",
        verbose_name=_("member"),
    )
    date = models.DateField(_("date"))
    year = models.PositiveSmallIntegerField(_("year"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    key = models.CharField(_("idempotency key"), max_length=120)
    course = _source_ref("courses.CoursePage", _("course"))
    lesson = _source_ref("courses.LessonPage", _("lesson"))
    beat = _source_ref("tracking.WatchBeat", _("beat"))
    study_session = _source_ref("hours.StudySession", _("study session"))
    attendance_change = _source_ref("hours.AttendanceChange", _("attendance change"))
    rule_code = models.CharField(_("rule"), max_length=40)
    rule_params = models.JSONField(_("rule parameters"), default=dict)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    batch = models.ForeignKey(
        RecomputeBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("created by recomputation"),
    )
    superseded_by = models.ForeignKey(
        RecomputeBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_entries",
        verbose_name=_("superseded by recomputation"),
    )

    class Meta:
        verbose_name = _("study-hour entry")
        verbose_name_plural = _("study-hour entries")
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(superseded_by__isnull=True),
                name="study_hour_entry_live_key_once",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "year"]),
            models.Index(fields=["date"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date} {self.hours} {self.source}"


class MemberYearHours(models.Model):
    """A member's live ledger hours in a year, as of the last compaction.

    With the pending ``MemberYearHoursDelta`` rows it equals the ledger's sum exactly.
    Written only by the database trigger on ``StudyHourEntry`` (migration
    0004_member_year_totals) and by ``exams.hours.year_totals``; read through
    ``exams.hours.selectors.members_hours``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # a deleted member's entries still subtract through deltas
        related_name="+",
        verbose_name=_("member"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    hours = models.DecimalField(_("hours"), max_digits=9, decimal_places=2, default=Decimal(0))

    class Meta:
        verbose_name = _("member's hours in a year")
        verbose_name_plural = _("members' hours per year")
        constraints = [
            models.UniqueConstraint(fields=["user", "year"], name="member_year_hours_once"),
        ]
        indexes = [models.Index(fields=["year", "user"], name="member_year_hours_year")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.year} {self.hours}"


class MemberYearHoursDelta(models.Model):
    """A change of a member's year total not yet compacted into ``MemberYearHours``:
    appended by the trigger for every ledger entry that becomes live (+hours) or stops
    being live (−hours). Append-only, so writers never wait on each other."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("member"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    hours = models.DecimalField(_("hours"), max_digits=9, decimal_places=2)

    class Meta:
        verbose_name = _("pending change of a year total")
        verbose_name_plural = _("pending changes of year totals")
        indexes = [models.Index(fields=["year", "user"], name="member_year_delta_year")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.year} {self.hours:+}"


# --- centralised study sessions ---------------------------------------------------


class StudySession(models.Model):
    """An in-person or live study meeting of a unit; attendees are credited its hours.

    ``credit_hours`` is derived when the session is scheduled (``Rules.session_credit``:
    the duration under the rules then in force, with their ceiling); nobody types it.
    """

    unit = models.ForeignKey(
        "cms.Unit", on_delete=models.PROTECT, related_name="study_sessions", verbose_name=_("unit")
    )
    topic = models.CharField(_("topic"), max_length=200)
    date = models.DateField(_("date"))
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1)]
    )
    credit_hours = models.DecimalField(
        _("hours credited"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("study session")
        verbose_name_plural = _("study sessions")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1), name="study_session_duration_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(credit_hours__gte=0), name="study_session_hours_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.topic}"


class Attendance(models.Model):
    """A member present at a study session (present now; removals delete the row and are
    kept in ``AttendanceChange``)."""

    session = models.ForeignKey(
        StudySession,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("study session"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("member"),
    )
    change = models.ForeignKey(
        "hours.AttendanceChange",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by change"),
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} · {self.user_id}"


class AttendanceChange(models.Model):
    """History of attendance: every addition and removal, by whom, when and why."""

    class Action(models.TextChoices):
        ADDED = "added", _("Added")
        REMOVED = "removed", _("Removed")

    session = models.ForeignKey(
        StudySession,
        on_delete=models.CASCADE,
        related_name="attendance_changes",
        verbose_name=_("study session"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member"),
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("attendance change")
        verbose_name_plural = _("attendance changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.user_id} @ {self.session_id}"
