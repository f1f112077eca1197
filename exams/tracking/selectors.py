"""Reads of the watch log and the player's preferences."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .conf import tracking_settings
from .models import MemberPreference, WatchSummary

User = AbstractBaseUser | AnonymousUser


def watch_resume_position(*, user: User, lesson) -> float:
    """Where the member left the lesson's video, on any device (0 when never watched,
    or when they had reached its end)."""
    if not user.is_authenticated:
        return 0.0
    row = (
        WatchSummary.objects.filter(user=user, lesson=lesson)
        .values_list("last_position", "duration")
        .first()
    )
    if row is None:
        return 0.0
    position, duration = row
    if duration and position >= duration - 1:
        return 0.0
    return float(position)


def watch_summary_for(*, user: User, lesson) -> WatchSummary | None:
    if not user.is_authenticated:
        return None
    return WatchSummary.objects.filter(user=user, lesson=lesson).first()


def recent_watch_summaries(*, user: User, limit: int = 5) -> QuerySet[WatchSummary]:
    """The member's last lessons, most recent first (for "resume where you left off")."""
    if not user.is_authenticated:
        return WatchSummary.objects.none()
    return (
        WatchSummary.objects.filter(user=user, lesson__live=True)
        .select_related("lesson")
        .order_by("-updated_at")[:limit]
    )


@dataclass(frozen=True)
class MemberPreferences:
    data_saver: bool = False


def member_preferences(*, user: User) -> MemberPreferences:
    if not user.is_authenticated:
        return MemberPreferences()
    row = MemberPreference.objects.filter(user=user).values_list("data_saver", flat=True).first()
    return MemberPreferences(data_saver=bool(row))


def heartbeat_interval_seconds() -> int:
    """The beat interval the player must use (setting ``HEARTBEAT_INTERVAL_SECONDS``)."""
    return int(tracking_settings().HEARTBEAT_INTERVAL_SECONDS)
