"""The watch log: one session per page load → its beats → one summary per (member,
lesson), and the member's claim on wall-clock time ("one place at a time")."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# --- watch log -----------------------------------------------------------------


class WatchClaim(models.Model):
    """One row per member: the lock every beat of the member takes, and the wall-clock
    time already credited to them ("one place at a time", across tabs, devices, lessons).

    ``claimed`` holds the recent credited wall-clock intervals ([a, b] epoch seconds,
    pruned to the last few beat intervals); ``day`` / ``day_seconds`` the engaged
    seconds credited on the member's current local day, from which the ledger's
    lesson-time hours follow.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="watch_claim",
        verbose_name=_("member"),
    )
    claimed = models.JSONField(_("claimed wall-clock intervals"), default=list)
    day = models.DateField(_("day"), null=True, blank=True)
    day_seconds = models.FloatField(_("engaged seconds that day"), default=0)

    class Meta:
        verbose_name = _("watch claim")
        verbose_name_plural = _("watch claims")

    def __str__(self) -> str:
        return str(self.user_id)


class WatchSummary(models.Model):
    """One per (member, lesson): what has been credited so far."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="watch_summaries",
        verbose_name=_("member"),
    )
    lesson = models.ForeignKey(
        "courses.LessonPage",
        on_delete=models.CASCADE,
        related_name="watch_summaries",
        verbose_name=_("lesson"),
    )
    duration = models.FloatField(_("media duration (seconds)"), default=0)
    intervals = models.JSONField(_("covered media intervals"), default=list)
    coverage_seconds = models.FloatField(_("coverage (seconds)"), default=0)
    engaged_seconds = models.FloatField(_("engaged time (seconds)"), default=0)
    last_position = models.FloatField(_("last position (seconds)"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("watch summary")
        verbose_name_plural = _("watch summaries")
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="watch_summary_once"),
            models.CheckConstraint(
                condition=models.Q(coverage_seconds__gte=0)
                & models.Q(engaged_seconds__gte=0)
                & models.Q(last_position__gte=0),
                name="watch_summary_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.lesson_id}"

    @property
    def coverage_ratio(self) -> float:
        if self.duration <= 0:
            return 0.0
        return min(1.0, self.coverage_seconds / self.duration)


class WatchSession(models.Model):
    """One per page load (the player's session uuid). The lesson's duration and kind are
    stored at creation; ``last_beat_at`` bounds the wall-clock window the next beat of
    the session may claim."""

    uuid = models.UUIDField(_("session id"), unique=True, default=uuid.uuid4)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="watch_sessions",
        verbose_name=_("member"),
    )
    lesson = models.ForeignKey(
        "courses.LessonPage",
        on_delete=models.CASCADE,
        related_name="watch_sessions",
        verbose_name=_("lesson"),
    )
    summary = models.ForeignKey(
        WatchSummary, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("summary")
    )
    duration = models.FloatField(_("media duration (seconds)"), default=0)
    is_reading = models.BooleanField(_("reading lesson"), default=False)
    estimated_seconds = models.FloatField(_("estimated time (seconds)"), default=0)
    started_at = models.DateTimeField(_("started at"))
    last_beat_at = models.DateTimeField(_("last beat received at"))
    last_seq = models.PositiveIntegerField(_("highest sequence number"), default=0)
    beats = models.PositiveIntegerField(_("beats"), default=0)

    class Meta:
        verbose_name = _("watch session")
        verbose_name_plural = _("watch sessions")
        indexes = [models.Index(fields=["user", "started_at"])]

    def __str__(self) -> str:
        return str(self.uuid)


class WatchBeat(models.Model):
    """A heartbeat as received (raw fields) and what it was credited. Never changed."""

    class Event(models.TextChoices):
        TICK = "tick", _("tick")
        PLAY = "play", _("play")
        PAUSE = "pause", _("pause")
        SEEK = "seek", _("seek")
        ENDED = "ended", _("ended")
        HIDE = "hide", _("hide")
        SHOW = "show", _("show")

    # Indexed through the (session, seq) and (user, received_at) indexes below: no
    # separate foreign-key indexes, two fewer index writes per beat.
    session = models.ForeignKey(
        WatchSession,
        on_delete=models.CASCADE,
        related_name="beat_log",
        verbose_name=_("session"),
        db_index=False,
    )
    # The session's member, copied for the per-member indexes. No database constraint:
    # the session's own foreign key already guarantees it, and a second referential check
    # (a row lock on the user row) on every beat is pure cost.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member"),
        db_index=False,
        db_constraint=False,
    )
    seq = models.PositiveIntegerField(_("sequence number"))
    from_seconds = models.FloatField(_("from"), null=True, blank=True)
    to_seconds = models.FloatField(_("to"), null=True, blank=True)
    rate = models.FloatField(_("playback rate"), default=1)
    event = models.CharField(_("event"), max_length=8, choices=Event.choices)
    playing = models.BooleanField(_("playing"))
    visible = models.BooleanField(_("visible"))
    position = models.FloatField(_("position"), null=True, blank=True)
    client_time = models.BigIntegerField(_("client time (ms)"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    credited_from = models.FloatField(_("credited from"), null=True, blank=True)
    credited_to = models.FloatField(_("credited to"), null=True, blank=True)
    engaged_seconds = models.FloatField(_("engaged seconds credited"), default=0)

    class Meta:
        verbose_name = _("watch beat")
        verbose_name_plural = _("watch beats")
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="watch_beat_once_per_seq"),
            models.CheckConstraint(
                condition=models.Q(from_seconds__isnull=True)
                | models.Q(to_seconds__isnull=True)
                | models.Q(to_seconds__gte=models.F("from_seconds")),
                name="watch_beat_interval_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(engaged_seconds__gte=0), name="watch_beat_engaged_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["user", "received_at"])]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq}"


class MemberPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="player_preference",
        verbose_name=_("member"),
    )
    data_saver = models.BooleanField(_("data saver"), default=False)

    class Meta:
        verbose_name = _("player preference")
        verbose_name_plural = _("player preferences")

    def __str__(self) -> str:
        return str(self.user_id)
