"""Demo content: a short lecture-like video generated with ffmpeg and transcoded now."""

from __future__ import annotations

import math
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


NARRATION_CMN = (
    "同学们好，今天我们学习如何在网络很慢的地方继续学习。"
    "视频从最低的清晰度开始播放，第一段只有两秒，所以画面很快就能出现。"
    "幻灯片的画面几乎不动，编码器只需要很少的字节，声音反而占了大部分流量。"
    "如果流量很贵，可以打开省流量模式，只听声音，也能跟上课程的内容。"
    "下面我们看第二页，这一页的文字比较多，请注意每一个步骤的顺序。"
)
NARRATION_EN = (
    "Good morning. Today we learn how to keep studying on a slow connection. "
    "The video starts on the lowest rung, and its first segment lasts two seconds. "
    "Slides barely move, so the encoder spends few bytes on them; the voice costs more. "
    "When data is expensive, turn on the data saver and listen to the sound only. "
)
SLIDE_SECONDS = 15


def speech_wav(path: str) -> None:
    """Write real synthetic speech (espeak-ng, Mandarin if it has the voice) to ``path``."""
    voices = subprocess.run(
        ["espeak-ng", "--voices=cmn"], capture_output=True, text=True, check=False
    ).stdout
    voice, text = ("cmn", NARRATION_CMN) if " cmn " in voices else ("en", NARRATION_EN)
    subprocess.run(["espeak-ng", "-v", voice, "-s", "170", "-w", path, text], check=True)


def _slide_lines(slide: int, count: int) -> list[str]:
    """Dense slide text: numbered lines of different words on every slide."""
    words = (
        *("segment", "keyframe", "bitrate", "ladder", "rung", "buffer", "playlist"),
        *("decoder", "latency", "packet", "codec", "sample", "channel", "mono", "frame"),
        *("quality", "network", "member", "course", "lesson", "exam"),
    )
    lines = []
    for i in range(count):
        picked = [words[(slide * 7 + i * 3 + k * 5) % len(words)] for k in range(9)]
        lines.append(f"{slide + 1}.{i + 1} " + " ".join(picked) + f" = {(slide + 3) * (i + 7)}")
    return lines


def spoken_lecture_args(
    path: str,
    speech: str,
    slides: list[str],
    *,
    width: int = 1920,
    height: int = 1080,
    seconds: int = 60,
) -> list[str]:
    """ffmpeg arguments writing a lecture with real speech: ``speech`` (a WAV, looped) over
    dense text slides (``slides``: text files, one a slide, drawn in turn for
    ``SLIDE_SECONDS`` each)."""
    font = _font()
    size = max(10, height // 32)
    parts = [f"color=c=white:s={width}x{height}:r=30:d={seconds}"]
    for i, text_file in enumerate(slides):
        start, end = i * SLIDE_SECONDS, (i + 1) * SLIDE_SECONDS
        parts.append(
            "drawtext="
            + (f"fontfile={font}:" if font else "")
            + f"textfile={text_file}:fontsize={size}:fontcolor=black:line_spacing={size // 3}"
            + f":x={width // 20}:y={height // 24}:enable='between(t,{start},{end - 0.001})'"
        )
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", ",".join(parts),
        "-stream_loop", "-1", "-i", speech,
        "-map", "0:v", "-map", "1:a",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-ar", "44100", "-t", str(seconds),
        "-movflags", "+faststart", path,
    ]  # fmt: skip


def spoken_lecture(path: str, *, width: int = 1920, height: int = 1080, seconds: int = 60) -> str:
    """Generate a spoken slide lecture at ``path`` (its speech and slide texts are made
    in a temporary folder, then removed)."""
    with tempfile.TemporaryDirectory(prefix="spoken-lecture-") as tmp:
        speech = os.path.join(tmp, "speech.wav")
        speech_wav(speech)
        slides = []
        for n in range(math.ceil(seconds / SLIDE_SECONDS)):
            text_file = os.path.join(tmp, f"slide{n}.txt")
            with open(text_file, "w", encoding="utf-8") as fh:
                fh.write(f"Lecture {n + 1} - adaptive streaming on a 2G link\n")
                fh.write("\n".join(_slide_lines(n, 22)))
            slides.append(text_file)
        args = spoken_lecture_args(
            path, speech, slides, width=width, height=height, seconds=seconds
        )
        subprocess.run(args, check=True)
    return path


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
