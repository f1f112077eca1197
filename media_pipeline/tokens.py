"""Playback tokens: a signed (video id, user id) pair carried in the URL path."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

PLAYBACK_SALT = "media_pipeline.playback.v1"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=PLAYBACK_SALT, sep=".")


def token_max_age() -> int:
    return int(getattr(settings, "MEDIA_PLAYBACK_TOKEN_MAX_AGE", 6 * 3600))


def playback_token_make(*, video_id: int, user_id: int) -> str:
    return _signer().sign_object({"v": video_id, "u": user_id})


def playback_token_read(token: str) -> tuple[int, int] | None:
    """``(video_id, user_id)`` of a valid, unexpired token; None otherwise."""
    try:
        data = _signer().unsign_object(token, max_age=token_max_age())
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    video_id, user_id = data.get("v"), data.get("u")
    if not isinstance(video_id, int) or not isinstance(user_id, int):
        return None
    return video_id, user_id
