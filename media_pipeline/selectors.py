"""Reads of the media pipeline: playback URLs for a member, status for the admin."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.urls import reverse

from .access import video_access
from .ladder import Manifest
from .models import LectureVideo
from .tokens import playback_token_make


@dataclass(frozen=True)
class PlaybackRung:
    name: str
    height: int | None
    width: int | None
    bandwidth: int


@dataclass(frozen=True)
class PlaybackCaption:
    language: str
    label: str
    url: str


@dataclass(frozen=True)
class PlaybackInfo:
    """Everything a player needs; every URL carries the viewer's signed token."""

    video_id: int
    kind: str  # "video" or "audio"
    master_url: str
    audio_url: str | None
    rungs: list[PlaybackRung] = field(default_factory=list)
    download_url: str | None = None
    poster_url: str | None = None
    captions: list[PlaybackCaption] = field(default_factory=list)
    duration: float = 0.0


def playback_url(*, token: str, video_id: int, path: str) -> str:
    return reverse(
        "media_pipeline:serve", kwargs={"token": token, "video_id": video_id, "path": path}
    )


def video_playback(*, user, video: LectureVideo) -> PlaybackInfo | None:
    """Signed URLs for ``user`` to play ``video``; None unless the video is ready.

    The caller decides whether ``user`` may watch (lesson audience, staff preview);
    the URLs only work for that same logged-in user, expire after
    ``MEDIA_PLAYBACK_TOKEN_MAX_AGE`` seconds and are checked again at every request
    (``access.video_access``). ``download_url`` is None unless the user may download.
    """
    if not video.is_ready or not getattr(user, "is_authenticated", False):
        return None
    may_download = video_access(user=user, video_id=video.pk).download
    manifest = Manifest.from_dict(video.renditions)
    token = playback_token_make(video_id=video.pk, user_id=user.pk)

    def url(path: str) -> str:
        return playback_url(token=token, video_id=video.pk, path=path)

    captions = [
        PlaybackCaption(language=c.language, label=c.display_label, url=url(f"captions/{c.pk}.vtt"))
        for c in video.captions.all()
    ]
    return PlaybackInfo(
        video_id=video.pk,
        kind=video.type,
        master_url=url(manifest.master),
        audio_url=url(manifest.audio.playlist) if manifest.audio else None,
        rungs=[
            PlaybackRung(name=r.name, height=r.height, width=r.width, bandwidth=r.bandwidth)
            for r in manifest.rungs
        ],
        download_url=url(manifest.download) if manifest.download and may_download else None,
        poster_url=url(manifest.poster) if manifest.poster else None,
        captions=captions,
        duration=video.duration or 0.0,
    )


def videos_status(*, ids: Iterable[int], user) -> list[dict]:
    """Status, percent and failure reason of the given videos the user may manage."""
    from wagtailmedia.permissions import permission_policy

    visible = permission_policy.instances_user_has_any_permission_for(user, ["add", "change"])
    rows = visible.filter(pk__in=list(ids)).values(
        "pk", "status", "progress_percent", "failure_reason"
    )
    labels = dict(LectureVideo.Status.choices)
    return [
        {
            "id": row["pk"],
            "status": row["status"],
            "status_label": str(labels.get(row["status"], row["status"])),
            "progress_percent": row["progress_percent"],
            "failure_reason": row["failure_reason"],
        }
        for row in rows
    ]
