"""The tracking app's settings: one object, defaults here and nowhere else.

Each figure may be overridden by a Django setting of the same name (tests and the bench
do); ``tracking_settings()`` reads them on every call, so ``override_settings`` applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from .crediting import BeatRules


@dataclass(frozen=True)
class TrackingSettings:
    # The player sends a beat this often while playing (seconds).
    HEARTBEAT_INTERVAL_SECONDS: int = 15
    # A gap between two beats counts up to interval + grace.
    HEARTBEAT_GRACE_SECONDS: int = 5
    # Media seconds credited per wall-clock second credited to the member, at most.
    MAX_CREDITED_RATE: float = 1.5
    # Share of a video's duration that must be covered to complete the lesson.
    COMPLETION_THRESHOLD: float = 0.95
    # Engaged time a lesson may earn, as a multiple of its duration or estimated time.
    ENGAGED_CAP_FACTOR: float = 2.0
    # How long the beat token rendered into a lesson page is accepted (12 h).
    HEARTBEAT_TOKEN_MAX_AGE: int = 12 * 3600
    # Bench only: take a beat's server time from its ``client_time`` so that a scripted
    # load run is exactly checkable. Never set in production.
    HEARTBEAT_TRUST_CLIENT_TIME: bool = False

    def beat_rules(self) -> BeatRules:
        return BeatRules(
            interval=float(self.HEARTBEAT_INTERVAL_SECONDS),
            grace=float(self.HEARTBEAT_GRACE_SECONDS),
            max_rate=float(self.MAX_CREDITED_RATE),
            completion_threshold=float(self.COMPLETION_THRESHOLD),
            engaged_cap_factor=float(self.ENGAGED_CAP_FACTOR),
        )


_DEFAULTS = TrackingSettings()


def tracking_settings() -> TrackingSettings:
    """The settings in force (Django settings override the defaults by name)."""
    return TrackingSettings(
        **{
            name: getattr(settings, name, getattr(_DEFAULTS, name))
            for name in TrackingSettings.__dataclass_fields__
        }
    )
