"""Who may fetch a lecture's media now, asked at every request (with a short cache).

The signed token in a media URL says which member a page handed it to; whether that
member may still watch is decided by the layer that knows lessons and audiences. That
layer (``courses``) registers its check in its ``AppConfig.ready()`` with
:func:`register_access_check`; this app never imports it. Without a registered check,
only superusers get media (closed by default).

Answers are cached per (member, video) for ``access_cache_seconds()`` (at most 60 s), so a
member who loses a course loses its media within that time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

MAX_CACHE_SECONDS = 60
_CACHE_VERSION = "v1"


@dataclass(frozen=True)
class MediaAccess:
    watch: bool = False
    download: bool = False


NO_ACCESS = MediaAccess()
AccessCheck = Callable[..., MediaAccess]
_checks: list[AccessCheck] = []


def register_access_check(check: AccessCheck) -> None:
    """Set the check ``check(*, user, video_id) -> MediaAccess`` (one; the last wins)."""
    _checks[:] = [check]


def access_cache_seconds() -> int:
    """How long an answer is reused: ``MEDIA_ACCESS_CACHE_SECONDS`` (30), at most 60."""
    value = int(getattr(settings, "MEDIA_ACCESS_CACHE_SECONDS", 30))
    return max(0, min(MAX_CACHE_SECONDS, value))


def _cache_key(user_id: int, video_id: int) -> str:
    return f"media_pipeline:access:{_CACHE_VERSION}:{user_id}:{video_id}"


def video_access(*, user, video_id: int) -> MediaAccess:
    """What ``user`` may do with the media of video ``video_id`` now."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_ACCESS
    ttl = access_cache_seconds()
    key = _cache_key(user.pk, video_id)
    cached = cache.get(key) if ttl else None
    if cached is not None:
        return MediaAccess(*cached)
    if _checks:
        access = _checks[0](user=user, video_id=video_id)
    else:
        access = MediaAccess(watch=user.is_superuser, download=user.is_superuser)
    if ttl:
        cache.set(key, (access.watch, access.download), ttl)
    return access
