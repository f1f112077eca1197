"""Serving the ladder, downloads, posters and captions behind signed path tokens."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    StreamingHttpResponse,
)
from django.views.decorators.http import require_safe

from .access import video_access
from .models import LectureVideo
from .tokens import playback_token_read

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/mp4",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".vtt": "text/vtt; charset=utf-8",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
}
# fMP4 ladders: the init segment and the segments of the audio-only rung are audio.
AUDIO_RUNG_PREFIX = "audio/"
SHORT_CACHE = "private, max-age=300"
IMMUTABLE_CACHE = "private, max-age=31536000, immutable"
_SAFE_PART = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,100}$")
_CAPTION = re.compile(r"^captions/(\d+)\.vtt$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def _clean_path(path: str) -> str | None:
    parts = path.split("/")
    if not parts or any(p in ("", ".", "..") or not _SAFE_PART.match(p) for p in parts):
        return None
    normal = posixpath.normpath(path)
    return None if normal.startswith("..") or normal.startswith("/") else normal


def _file_iter(fh, start: int, length: int):
    try:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        fh.close()


def _parse_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(start, end) inclusive; None when absent or not a single byte range;
    False when unsatisfiable."""
    match = _RANGE.match(header.strip()) if header else None
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return False
    if first == "":
        length = int(last)
        if length == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return False
    return start, end


def _storage_name(video: LectureVideo, path: str) -> str | None:
    if match := _CAPTION.match(path):
        caption = video.captions.filter(pk=int(match.group(1))).first()
        return caption.file.name if caption else None
    return f"{video.rendition_dir}/{path}"


def _is_download(path: str) -> bool:
    """The offline file (``download.mp4``/``download.m4a``), not a part of the ladder."""
    return "/" not in path and path.startswith("download")


@require_safe
def serve(request: HttpRequest, token: str, video_id: int, path: str) -> HttpResponse:
    claims = playback_token_read(token)
    if (
        claims is None
        or claims[0] != video_id
        or not request.user.is_authenticated
        or request.user.pk != claims[1]
    ):
        return HttpResponseForbidden(b"forbidden", content_type="text/plain")
    clean = _clean_path(path)
    extension = posixpath.splitext(clean or "")[1].lower()
    if not clean or extension not in CONTENT_TYPES:
        return HttpResponseForbidden(b"forbidden", content_type="text/plain")
    # The token says whom a page gave the URL to; whether they may still watch (the
    # lesson's audience, its publication) is asked now, cached a few seconds.
    access = video_access(user=request.user, video_id=video_id)
    if not access.watch or (_is_download(clean) and not access.download):
        return HttpResponseForbidden(b"forbidden", content_type="text/plain")
    video = LectureVideo.objects.filter(pk=video_id).exclude(rendition_dir="").first()
    name = _storage_name(video, clean) if video else None
    if not name:
        raise Http404

    content_type = CONTENT_TYPES[extension]
    if clean.startswith(AUDIO_RUNG_PREFIX) and extension in (".m4s", ".mp4"):
        content_type = "audio/mp4"
    cache = SHORT_CACHE if extension in (".m3u8", ".vtt") else IMMUTABLE_CACHE
    accel = getattr(settings, "MEDIA_ACCEL_REDIRECT_PREFIX", "")
    if accel:
        if not default_storage.exists(name):
            raise Http404
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + quote(name)
        response["Cache-Control"] = cache
        return response

    try:
        size = default_storage.size(name)
        fh = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    wanted = _parse_range(request.headers.get("Range", ""), size)
    if wanted is False:
        fh.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    if not wanted and extension in (".m3u8", ".vtt"):
        # Small text: whole, so that GZipMiddleware can compress it for slow links.
        with fh:
            response = HttpResponse(fh.read(), content_type=content_type)
        response["Cache-Control"] = cache
        response["Accept-Ranges"] = "bytes"
        return response
    start, end = wanted if wanted else (0, size - 1)
    length = max(0, end - start + 1)
    response = StreamingHttpResponse(
        _file_iter(fh, start, length),
        status=206 if wanted else 200,
        content_type=content_type,
    )
    response["Content-Length"] = str(length)
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache
    # Already compressed media: keep GZipMiddleware off it (and off byte ranges).
    response["Content-Encoding"] = "identity"
    response["X-Content-Type-Options"] = "nosniff"
    if _is_download(clean):
        response["Content-Disposition"] = f'attachment; filename="lecture-{video_id}{extension}"'
    return response


def admin_retry(request: HttpRequest, video_id: int) -> HttpResponse:
    """The admin's "retry" (and "transcode again") action: POST only."""
    from django.shortcuts import get_object_or_404, redirect
    from django.utils.translation import gettext as _
    from wagtail.admin import messages
    from wagtail.admin.auth import permission_denied
    from wagtailmedia.permissions import permission_policy

    from .services import video_transcode_request

    video = get_object_or_404(LectureVideo, pk=video_id)
    if request.method != "POST" or not permission_policy.user_has_permission_for_instance(
        request.user, "change", video
    ):
        return permission_denied(request)
    if video_transcode_request(video=video):
        messages.success(request, _("“%(title)s” is queued for transcoding.") % {"title": video})
    else:
        messages.warning(request, _("“%(title)s” is being transcoded already.") % {"title": video})
    return redirect("wagtailmedia:index")
