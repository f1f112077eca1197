"""Safe probing of an uploaded lecture with ffprobe, before anything else touches it.

ffprobe runs with ``protocol_whitelist=file`` and a ``format_whitelist`` of ordinary
containers, so a playlist (HLS/m3u8), a concat list or an SDP file is never opened as
one and no reference inside a file is ever followed. The first bytes are checked as
well, so such a text file is refused before ffprobe sees it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction

import ffmpeg
from django.conf import settings
from django.utils.translation import gettext as _

# ffprobe's ``format_name`` is a comma-separated list of names; every name must be here.
CONTAINER_WHITELIST = frozenset(
    {"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "flv", "mpegts"}
    | {"mp3", "aac"}
)
# Audio-only lectures: MP3, AAC (ADTS) and M4A (the mov family).
AUDIO_CONTAINERS = frozenset({"mp3", "aac", "mov", "mp4", "m4a"})
# Demuxers ffprobe/ffmpeg may use at all (the names ``-format_whitelist`` expects).
DEMUXER_WHITELIST = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mp3,aac"
# Text that makes ffmpeg open other files: HLS playlists, concat lists, SDP.
REFERENCE_MAGIC = (b"#EXTM3U", b"#EXT-X-", b"ffconcat", b"file '", b"file ", b"v=0")
MAX_DIMENSION = 4096
# How far into the end of a file the completeness check looks for data (seconds).
TAIL_SECONDS = 10.0


class ProbeError(Exception):
    """The file is not a lecture we accept; ``str(error)`` is the reason for the trainer."""


@dataclass(frozen=True)
class ProbeResult:
    kind: str  # "video" or "audio"
    format_name: str
    duration: float
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    video_codec: str = ""
    audio_codec: str = ""
    audio_duration: float | None = None

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_codec)

    @property
    def short_side(self) -> int:
        return min(self.width or 0, self.height or 0)


def max_duration_seconds() -> float:
    return float(getattr(settings, "MEDIA_MAX_DURATION_SECONDS", 4 * 60 * 60))


def looks_like_reference_list(path: str) -> bool:
    """True when the file starts like a playlist, concat list or SDP text."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.upper().startswith(b"#EXTM3U") or any(head.startswith(m) for m in REFERENCE_MAGIC)


def ffprobe_json(path: str, **options) -> dict:
    """ffprobe's JSON for ``path``, with only local files and ordinary containers allowed."""
    return ffmpeg.probe(
        "file:" + os.path.abspath(path),
        v="error",
        protocol_whitelist="file",
        format_whitelist=DEMUXER_WHITELIST,
        **options,
    )


def clock(seconds: float) -> str:
    """``0:52``, ``4:10``, ``1:02:03``: a position as a member reads it."""
    seconds = int(math.floor(max(0.0, seconds)))
    hours, minutes, secs = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def incomplete_message(*, end: float, duration: float) -> str:
    return _("The file is incomplete: it stops at %(end)s of %(duration)s.") % {
        "end": clock(end),
        "duration": clock(duration),
    }


def completeness_tolerance(duration: float) -> float:
    """How much shorter than ``duration`` a file or an output may end (s): one second plus
    half a percent (a last frame or audio packet, rounding of the container)."""
    return 1.0 + 0.005 * duration


def _packets_end(info: dict, start: float) -> float:
    """The end (s, from ``start``) of the last packet ffprobe could read, 0 if none."""
    end = 0.0
    for packet in info.get("packets") or []:
        try:
            pts = float(packet.get("pts_time") or packet.get("dts_time") or "nan")
        except ValueError:
            continue
        if math.isnan(pts):
            continue
        try:
            length = float(packet.get("duration_time") or 0)
        except ValueError:
            length = 0.0
        end = max(end, pts + length - start)
    return end


def data_end(path: str, *, duration: float, start: float = 0.0) -> float:
    """Where the readable data of ``path`` ends, at most ``duration`` (s).

    A truncated upload keeps the header that claims the whole lecture (an MP4 written
    with ``faststart``, a Matroska file) while its data stops early. Reading the packets
    of the last seconds costs little; only when there are none is the whole file read
    (demuxed, not decoded) to find where it stops.
    """
    entries = "packet=pts_time,dts_time,duration_time"
    tail_from = start + max(0.0, duration - TAIL_SECONDS)
    try:
        tail = ffprobe_json(path, read_intervals=f"{tail_from:.3f}%", show_entries=entries)
    except ffmpeg.Error:
        tail = {}
    end = _packets_end(tail, start)
    if end >= duration - completeness_tolerance(duration):
        return duration
    try:
        whole = ffprobe_json(path, show_entries=entries)
    except ffmpeg.Error:
        return end
    return min(duration, max(end, _packets_end(whole, start)))


def _hms(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _fps(stream: dict) -> float | None:
    for key in ("avg_frame_rate", "r_frame_rate"):
        value = stream.get(key) or "0/0"
        try:
            fps = Fraction(value)
        except (ValueError, ZeroDivisionError):
            continue
        if fps > 0:
            return round(float(fps), 3)
    return None


def _starts_like_mp4(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(12)[4:8] == b"ftyp"


def _stream_duration(stream: dict) -> float | None:
    try:
        value = float(stream.get("duration") or 0)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _rotation(stream: dict) -> int:
    rotate = (stream.get("tags") or {}).get("rotate")
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            rotate = side["rotation"]
    try:
        return abs(int(float(rotate or 0))) % 180
    except (ValueError, OverflowError):  # "nan", "inf": the tag is the file's own text
        return 0


def probe_media(path: str) -> ProbeResult:
    """Probe ``path`` and return what the transcoder needs, or raise :class:`ProbeError`."""
    if looks_like_reference_list(path):
        raise ProbeError(
            _("Playlists and concat lists (HLS/m3u8, ffconcat) are not accepted; upload the video.")
        )
    try:
        info = ffprobe_json(path)
    except ffmpeg.Error as exc:
        if b"moov atom not found" in (exc.stderr or b"") and _starts_like_mp4(path):
            # An MP4 cut short before its index (written last without ``faststart``).
            raise ProbeError(
                _("The file is incomplete: its index is missing (the upload was cut short).")
            ) from exc
        raise ProbeError(_("This file is not a video or audio file that can be read.")) from exc

    fmt = info.get("format") or {}
    format_name = fmt.get("format_name") or ""
    names = set(format_name.split(","))
    if not format_name or not names <= CONTAINER_WHITELIST:
        raise ProbeError(
            _("The container format “%(format)s” is not accepted.") % {"format": format_name}
        )

    streams = info.get("streams") or []
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    try:
        duration = float(fmt.get("duration") or 0)
    except ValueError:
        duration = 0.0
    if not math.isfinite(duration):  # "nan", "inf": no length known
        duration = 0.0
    if duration <= 0:
        durations = [_stream_duration(s) or 0.0 for s in videos + audios]
        duration = max(durations, default=0.0)
    if duration <= 0.05:
        raise ProbeError(_("The file has no duration (it is empty or its length is unknown)."))
    limit = max_duration_seconds()
    if duration > limit:
        raise ProbeError(
            _("The lecture lasts %(duration)s; the longest accepted is %(limit)s.")
            % {"duration": _hms(duration), "limit": _hms(limit)}
        )

    if not videos and not (audios and names & AUDIO_CONTAINERS):
        raise ProbeError(_("The file has no video stream."))

    try:
        start = max(0.0, float(fmt.get("start_time") or 0))
    except ValueError:
        start = 0.0
    end = data_end(path, duration=duration, start=start)
    if end < duration - completeness_tolerance(duration):
        raise ProbeError(incomplete_message(end=end, duration=duration))

    audio_codec = audios[0].get("codec_name", "") if audios else ""
    audio_duration = _stream_duration(audios[0]) if audios else None
    if not videos:
        return ProbeResult(
            kind="audio",
            format_name=format_name,
            duration=duration,
            audio_codec=audio_codec,
            audio_duration=audio_duration,
        )

    video = videos[0]
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise ProbeError(_("The video stream has no picture size."))
    if width > MAX_DIMENSION or height > MAX_DIMENSION:
        raise ProbeError(
            _("The picture is %(width)d×%(height)d; the largest accepted is %(max)d×%(max)d.")
            % {"width": width, "height": height, "max": MAX_DIMENSION}
        )
    if _rotation(video) == 90:
        width, height = height, width
    return ProbeResult(
        kind="video",
        format_name=format_name,
        duration=duration,
        width=width,
        height=height,
        fps=_fps(video),
        video_codec=video.get("codec_name", "")[:32],
        audio_codec=audio_codec[:32],
        audio_duration=audio_duration,
    )
