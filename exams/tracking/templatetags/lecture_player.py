"""Template tags of the lesson player: the player's settings and the lesson page's scripts.

``{% lecture_player playback as player %}`` in ``blocks/lecture_video.html`` gathers what the
player needs besides the signed URLs of ``media_pipeline.selectors.PlaybackInfo`` (lesson,
resume position, data saver, beat interval, beat token, download permission);
``{% lesson_scripts page %}`` in the lesson page adds ``player.js`` only when the lesson has
a video, and the small ``reading.js`` otherwise.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from django import template
from django.urls import reverse

from media_pipeline.ladder import PLAYLIST_NAME
from media_pipeline.selectors import PlaybackInfo

from ..beat_token import beat_token_for
from ..selectors import heartbeat_interval_seconds, member_preferences, watch_resume_position

register = template.Library()

RATES = ["0.75", "1", "1.25", "1.5", "1.75", "2"]


def _rungs(playback: PlaybackInfo) -> list[dict[str, Any]]:
    """Each video rung with its own playlist, for the quality menu under native HLS: the
    master playlist points to ``<name>/index.m3u8`` beside it (the token is in the path)."""
    return [
        {
            "label": f"{rung.height}p",
            "height": rung.height or 0,
            "url": urljoin(playback.master_url, f"{rung.name}/{PLAYLIST_NAME}"),
        }
        for rung in playback.rungs
        if rung.height
    ]


@register.simple_tag(takes_context=True)
def lecture_player(context: template.Context, playback: PlaybackInfo | None) -> dict | None:
    """Everything ``blocks/lecture_video.html`` renders for one video, or None."""
    if not playback:
        return None
    request = context.get("request")
    user = getattr(request, "user", None)
    page = context.get("page")
    lesson = getattr(page, "specific", page)
    member = user is not None and user.is_authenticated and lesson is not None
    course = context.get("course") or (lesson.get_parent().specific if lesson else None)
    rungs = _rungs(playback)
    return {
        "lesson_id": getattr(lesson, "pk", None),
        "master": playback.master_url,
        "audio": playback.audio_url,
        "mp4": playback.download_url,
        "poster": playback.poster_url,
        "duration": playback.duration,
        "rungs": rungs,
        "captions": [
            {"language": c.language, "label": c.label, "url": c.url} for c in playback.captions
        ],
        "config": {"rungs": rungs},
        "resume": watch_resume_position(user=user, lesson=lesson) if member else 0.0,
        "data_saver": member_preferences(user=user).data_saver if member else False,
        "interval": heartbeat_interval_seconds(),
        "allow_download": bool(getattr(course, "allow_download", False)),
        "beats": member,
        "beat_token": beat_token_for(user_id=user.pk, lesson_id=lesson.pk) if member else "",
        "heartbeat_url": reverse("exams_api:heartbeats"),
        "preferences_url": reverse("exams_api:preferences"),
        "rates": RATES,
    }


@register.inclusion_tag("exams/includes/lesson_scripts.html", takes_context=True)
def lesson_scripts(context: template.Context, page: Any) -> dict[str, Any]:
    """``player.js`` for a lesson with a video, ``reading.js`` for a reading lesson."""
    request = context.get("request")
    user = getattr(request, "user", None)
    lesson = getattr(page, "specific", page)
    video = lesson.lecture_video
    has_video = video is not None and video.is_ready
    reading = not has_video and bool(user and user.is_authenticated)
    return {
        "has_video": has_video,
        "reading": reading,
        "beat_token": beat_token_for(user_id=user.pk, lesson_id=lesson.pk) if reading else "",
        "lesson_id": lesson.pk,
        "interval": heartbeat_interval_seconds(),
        "heartbeat_url": reverse("exams_api:heartbeats"),
    }
