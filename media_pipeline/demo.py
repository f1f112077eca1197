"""Demo content: a short lecture-like video generated with ffmpeg and transcoded now."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from django.core.files import File

from . import services
from .models import LectureVideo

DEMO_TITLE = "Demo lecture: studying on a slow connection"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)


def _font() -> str | None:
    return next((f for f in FONT_CANDIDATES if os.path.exists(f)), None)


def lecture_source_args(
    path: str, *, width: int = 1280, height: int = 720, seconds: int = 20, fps: int = 30
) -> list[str]:
    """ffmpeg arguments writing a lecture-like clip: a static slide with text, a small
    moving inset (a talking-head stand-in) and a tone."""
    inset_w, inset_h = width // 6 // 2 * 2, height // 6 // 2 * 2
    bar = height // 30
    boxes = [
        (0, 0, width, height // 8, "0x8b1a1a"),
        (width // 12, height // 4, width // 2, bar, "0x444444"),
        (width // 12, height // 3, width * 5 // 12, bar, "0x666666"),
        (width // 12, height * 5 // 12, width * 7 // 12, bar, "0x666666"),
    ]
    slide = f"color=c=0xf4f1e8:s={width}x{height}:r={fps}:d={seconds}" + "".join(
        f",drawbox=x={x}:y={y}:w={w}:h={h}:color={c}:t=fill" for x, y, w, h, c in boxes
    )
    font = _font()
    if font:
        size = max(12, height // 16)
        for i, text in enumerate(
            (
                "Lecture 1 - Studying on a slow connection",
                "1. Start on the lowest rung",
                "2. Short first segment",
                "3. Slides cost few bytes",
            )
        ):
            y = height // 40 if i == 0 else height // 4 + (i - 1) * height // 12 + height // 25
            color = "white" if i == 0 else "0x222222"
            slide += (
                f",drawtext=fontfile={font}:text='{text}':fontsize={size}:"
                f"fontcolor={color}:x={width // 12}:y={y}"
            )
    inset = f"testsrc=s={inset_w}x{inset_h}:r={fps}:d={seconds}"
    graph = (
        f"{slide}[bg];{inset}[pip];"
        f"[bg][pip]overlay=x='{width - inset_w - width // 20}+{width // 40}*sin(t)':"
        f"y='{height - inset_h - height // 20}'[v]"
    )
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-filter_complex", graph,
        "-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=44100:duration={seconds}",
        "-map", "[v]", "-map", "0:a",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-t", str(seconds), "-movflags", "+faststart",
        path,
    ]  # fmt: skip


def seed(*, stdout) -> None:
    if LectureVideo.objects.filter(title=DEMO_TITLE, status=LectureVideo.Status.READY).exists():
        stdout.write("media_pipeline: demo lecture is ready already")
        return
    if not shutil.which("ffmpeg"):
        stdout.write("media_pipeline: ffmpeg not found; no demo lecture")
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "demo-lecture.mp4")
        subprocess.run(lecture_source_args(source), check=True)
        video = LectureVideo.objects.filter(title=DEMO_TITLE).first() or LectureVideo(
            title=DEMO_TITLE, type="video"
        )
        with open(source, "rb") as fh:
            video.file.save("demo-lecture.mp4", File(fh), save=False)
        video.status = LectureVideo.Status.UPLOADED
        video.lock_token = ""
        video.save()
    outcome = services.video_transcode(video_id=video.pk)
    stdout.write(f"media_pipeline: demo lecture {video.pk} is {outcome.status}")
