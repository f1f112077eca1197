"""Heartbeat settings, read from Django settings with their defaults."""

from django.conf import settings

from .crediting import BeatRules

DEFAULTS = {
    "HEARTBEAT_INTERVAL_SECONDS": 15,
    "HEARTBEAT_GRACE_SECONDS": 5,
    "MAX_CREDITED_RATE": 1.5,
    "COMPLETION_THRESHOLD": 0.95,
    # Bench only: take a beat's server time from its ``client_time`` so that a scripted
    # load run is exactly checkable. Never set in production.
    "HEARTBEAT_TRUST_CLIENT_TIME": False,
    # How long the beat token rendered into a lesson page is accepted (12 h): a page left
    # open longer than that must be reloaded before its beats count again.
    "HEARTBEAT_TOKEN_MAX_AGE": 12 * 3600,
    # Watch sessions whose state each server process remembers after writing it, to skip
    # the read of their next beat (exams.services.session_state_cache); 0 turns it off.
    # About 1 KB each.
    "HEARTBEAT_STATE_CACHE_SIZE": 10_000,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def beat_rules() -> BeatRules:
    return BeatRules(
        interval=float(get("HEARTBEAT_INTERVAL_SECONDS")),
        grace=float(get("HEARTBEAT_GRACE_SECONDS")),
        max_rate=float(get("MAX_CREDITED_RATE")),
    )


def completion_threshold() -> float:
    return float(get("COMPLETION_THRESHOLD"))


def trust_client_time() -> bool:
    return bool(get("HEARTBEAT_TRUST_CLIENT_TIME"))


def beat_token_max_age() -> int:
    """Seconds a lesson page's beat token stays valid (``HEARTBEAT_TOKEN_MAX_AGE``)."""
    return int(get("HEARTBEAT_TOKEN_MAX_AGE"))


def state_cache_size() -> int:
    return int(get("HEARTBEAT_STATE_CACHE_SIZE"))
