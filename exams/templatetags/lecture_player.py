"""Template tags of the lesson player: the player's settings and the lesson page's scripts.

``{% lecture_player playback as player %}`` in ``blocks/lecture_video.html`` gathers what the
player needs besides the signed URLs (lesson, resume position, data saver, beat interval,
download permission); ``{% lesson_scripts page %}`` in the lesson page adds ``player.js``
only when the lesson has a video, and the small ``reading.js`` otherwise.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from django import template
from django.conf import settings

register = template.Library()

HEARTBEAT_URL = "/api/exams/heartbeats/"
PREFERENCES_URL = "/api/exams/preferences/"


def _field(obj: Any, *names: str, default: Any = None) -> Any:
    """The first of ``names`` found on ``obj`` (a mapping or an object)."""
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def heartbeat_interval() -> int:
    for name in ("HEARTBEAT_INTERVAL_SECONDS", "HEARTBEAT_INTERVAL"):
        value = getattr(settings, name, None)
        if value:
            return int(value)
    return 15


def _beat_token(*, user: Any, lesson: Any) -> str:
    """The page's beat token (``exams.beat_token``): what authenticates its beats."""
    from exams.beat_token import beat_token_for

    return beat_token_for(user_id=user.pk, lesson_id=lesson.pk)


def _lesson(context: template.Context) -> Any:
    page = context.get("page") or context.get("lesson")
    return getattr(page, "specific", page)


def _resume_position(*, user: Any, lesson: Any) -> float:
    try:
        from exams.selectors import watch_resume_position
    except ImportError:
        return 0.0
    return float(watch_resume_position(user=user, lesson=lesson) or 0)


def _data_saver(*, user: Any) -> bool:
    try:
        from exams import selectors
    except ImportError:
        return False
    for name in ("member_preferences", "player_preferences", "watch_preferences"):
        selector = getattr(selectors, name, None)
        if selector is not None:
            return bool(_field(selector(user=user), "data_saver", default=False))
    return False


def _allow_download(context: template.Context, lesson: Any) -> bool:
    course = context.get("course")
    if course is None and lesson is not None:
        course = lesson.get_parent().specific
    return bool(getattr(course, "allow_download", False))


def _rung_playlist_name() -> str:
    try:
        from media_pipeline.ladder import PLAYLIST_NAME
    except ImportError:
        return "index.m3u8"
    return PLAYLIST_NAME


def _rungs(playback: Any) -> list[dict[str, Any]]:
    """Each video rung with its own playlist URL, for the quality menu under native HLS.

    A rung without a URL of its own is found where the master playlist points to it:
    ``<name>/index.m3u8`` next to the master (the signed token is part of the path).
    """
    master = _field(playback, "master_url", "master", default="")
    rungs = []
    for rung in _field(playback, "rungs", "renditions", default=[]) or []:
        height = _field(rung, "height", default=0) or 0
        name = _field(rung, "name", "label", default=f"{height}p")
        url = _field(rung, "url", "playlist_url")
        if not url and master:
            url = urljoin(master, f"{name}/{_rung_playlist_name()}")
        if url:
            label = _field(rung, "label", default=name)
            rungs.append({"label": str(label), "height": int(height), "url": str(url)})
    return rungs


def _captions(playback: Any) -> list[dict[str, str]]:
    captions = []
    for caption in _field(playback, "captions", "subtitles", default=[]) or []:
        url = _field(caption, "url", "src")
        language = _field(caption, "language", "lang", "srclang", default="")
        if url:
            label = _field(caption, "label", "language_name", default=language)
            captions.append({"language": str(language), "label": str(label), "url": str(url)})
    return captions


@register.simple_tag(takes_context=True)
def lecture_player(context: template.Context, playback: Any) -> dict[str, Any] | None:
    """Everything ``blocks/lecture_video.html`` renders for one video, or None."""
    if not playback:
        return None
    request = context.get("request")
    user = getattr(request, "user", None)
    lesson = _lesson(context)
    member = user is not None and user.is_authenticated
    rungs = _rungs(playback)
    return {
        "lesson_id": getattr(lesson, "pk", None),
        "master": _field(playback, "master_url", "master", "playlist_url"),
        "audio": _field(playback, "audio_url", "audio_playlist_url", "audio"),
        "mp4": _field(playback, "mp4_url", "download_url", "mp4"),
        "poster": _field(playback, "poster_url", "poster"),
        "duration": _field(playback, "duration", "duration_seconds"),
        "rungs": rungs,
        "captions": _captions(playback),
        "config": {"rungs": rungs},
        "resume": _resume_position(user=user, lesson=lesson) if member and lesson else 0.0,
        "data_saver": _data_saver(user=user) if member else False,
        "interval": heartbeat_interval(),
        "allow_download": _allow_download(context, lesson),
        "beats": member and lesson is not None,
        "beat_token": _beat_token(user=user, lesson=lesson) if member and lesson else "",
        "heartbeat_url": HEARTBEAT_URL,
        "preferences_url": PREFERENCES_URL,
        "rates": ["0.75", "1", "1.25", "1.5", "1.75", "2"],
    }


@register.inclusion_tag("exams/includes/lesson_scripts.html", takes_context=True)
def lesson_scripts(context: template.Context, page: Any) -> dict[str, Any]:
    """``player.js`` for a lesson with a video, ``reading.js`` for a reading lesson."""
    request = context.get("request")
    user = getattr(request, "user", None)
    lesson = getattr(page, "specific", page)
    video = getattr(lesson, "lecture_video", None)
    has_video = video is not None and getattr(video, "is_ready", True)
    reading = not has_video and bool(user and user.is_authenticated)
    return {
        "has_video": has_video,
        "reading": reading,
        "beat_token": _beat_token(user=user, lesson=lesson) if reading else "",
        "lesson_id": lesson.pk,
        "interval": heartbeat_interval(),
        "heartbeat_url": HEARTBEAT_URL,
        "csrf_token": context.get("csrf_token"),
    }
