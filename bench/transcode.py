"""Transcoding bench: the pipeline vs a hand-written one-pass command vs one process per rung.

    .venv/bin/python bench/transcode.py [--seconds 60] [--keep DIR]

Generates two 1080p30 sources with lavfi (a lecture-like slide with a small moving inset
and a tone; a high-motion testsrc2 with a tone), then for each source measures in the
same run:

  pipeline   media_pipeline.services.video_transcode (the Celery task's body)
  reference  the same ladder written by hand as one ffmpeg command
  naive      one ffmpeg process per rung (and for the MP4, the poster), fixed bitrates

and prints wall s, CPU s (user+sys of child processes), realtime factor, bytes per minute
of each rung, SSIM of 240p/360p against the source scaled to the same size, and the peak
video bitrate of each rung (per segment and over 1 s windows) against its cap.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNGS = [  # name, width, height, video cap (kbit/s), crf, audio kbit/s (240p at 15 fps)
    ("240p", 426, 240, 150, 27, 32),
    ("360p", 640, 360, 300, 26, 32),
    ("480p", 854, 480, 600, 25, 48),
    ("720p", 1280, 720, 1200, 24, 48),
]
NAIVE_AUDIO_KBPS = 64


def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(args: list[str]) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def make_sources(folder: Path, seconds: int) -> dict[str, Path]:
    from media_pipeline.demo import lecture_source_args

    lecture = folder / "lecture-1080p.mp4"
    args = lecture_source_args(str(lecture), width=1920, height=1080, seconds=seconds)
    run(args)
    motion = folder / "motion-1080p.mp4"
    run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=44100:duration={seconds}",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", "-shortest", str(motion)]
    )  # fmt: skip
    return {"lecture": lecture, "motion": motion}


# --- (b) the reference: the same ladder, written by hand as one command -----------------

KEYS = "expr:if(lt(t,2),eq(n,0),gte(t,2+4*(n_forced-1)))"


def reference_args(src: Path, out: Path) -> list[str]:
    for name in ("240p", "360p", "480p", "720p", "audio"):
        (out / name).mkdir(parents=True, exist_ok=True)
    graph = (
        "[0:v:0]scale=1280:720,format=yuv420p,setsar=1,split=5[v720][a][b][c][p];"
        "[a]scale=426:240,fps=15[v240];[b]scale=640:360[v360];[c]scale=854:480[v480];"
        "[p]scale=640:360,select=gte(t\\,6)[poster];"
        "[0:a:0]aformat=sample_fmts=fltp:channel_layouts=mono:sample_rates=44100,"
        "asplit=5[a240][a360][a480][a720][aonly]"
    )
    args = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-threads", "2", "-i", str(src), "-filter_complex", graph]  # fmt: skip
    for name, _w, _h, cap, crf, akbps in RUNGS:
        gop = "60" if name == "240p" else "120"
        hls = [
            "hls_time=2", "hls_playlist_type=vod", "hls_flags=independent_segments",
            f"hls_segment_filename={out}/{name}/seg_%05d.ts",
        ]  # fmt: skip
        args += ["-map", f"[v{name[:-1]}]", "-map", f"[a{name[:-1]}]",
                 "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf),
                 "-maxrate", f"{cap}k", "-bufsize", f"{cap}k", "-g", gop, "-keyint_min", gop,
                 "-sc_threshold", "0", "-force_key_frames", KEYS, "-threads", "2",
                 "-c:a", "aac", "-b:a", f"{akbps}k", "-ac", "1"]  # fmt: skip
        if name == "360p":
            tee_hls = ":".join(h.replace(":", "\\:") for h in hls)
            args += ["-f", "tee",
                     f"[f=hls:{tee_hls}]{out}/{name}/index.m3u8"
                     f"|[f=mp4:movflags=+faststart]{out}/download.mp4"]  # fmt: skip
        else:
            args += ["-f", "hls"] + [
                x for h in hls for x in ("-" + h.split("=")[0], h.split("=", 1)[1])
            ]
            args += [f"{out}/{name}/index.m3u8"]
    args += ["-map", "[poster]", "-frames:v", "1", "-q:v", "5", "-update", "1", f"{out}/poster.jpg"]
    args += ["-map", "[aonly]", "-c:a", "aac", "-b:a", "40k", "-ac", "1", "-f", "hls",
             "-hls_time", "4", "-hls_playlist_type", "vod",
             "-hls_segment_filename", f"{out}/audio/seg_%05d.ts",
             f"{out}/audio/index.m3u8"]  # fmt: skip
    return args


# --- (c) the naive baseline: one process per rung, fixed bitrates -------------------------


def naive_commands(src: Path, out: Path) -> list[list[str]]:
    base = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-threads", "2",
            "-i", str(src)]  # fmt: skip
    commands = []
    for name, w, h, cap, _crf, _a in RUNGS:
        (out / name).mkdir(parents=True, exist_ok=True)
        commands.append(
            base
            + [
                "-vf",
                f"scale={w}:{h},format=yuv420p",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-b:v",
                f"{cap}k",
                "-g",
                "120",
                "-keyint_min",
                "120",
                "-sc_threshold",
                "0",
                "-threads",
                "2",
                "-c:a",
                "aac",
                "-b:a",
                f"{NAIVE_AUDIO_KBPS}k",
                "-f",
                "hls",
                "-hls_time",
                "4",
                "-hls_playlist_type",
                "vod",
                "-hls_segment_filename",
                f"{out}/{name}/seg_%05d.ts",
                f"{out}/{name}/index.m3u8",
            ]  # fmt: skip
        )
    (out / "audio").mkdir(parents=True, exist_ok=True)
    commands.append(
        base
        + [
            "-vn",
            "-c:a",
            "aac",
            "-b:a",
            f"{NAIVE_AUDIO_KBPS}k",
            "-f",
            "hls",
            "-hls_time",
            "4",
            "-hls_playlist_type",
            "vod",
            "-hls_segment_filename",
            f"{out}/audio/seg_%05d.ts",
            f"{out}/audio/index.m3u8",
        ]  # fmt: skip
    )
    commands.append(
        base
        + [
            "-vf",
            "scale=640:360,format=yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-b:v",
            "300k",
            "-threads",
            "2",
            "-c:a",
            "aac",
            "-b:a",
            f"{NAIVE_AUDIO_KBPS}k",
            "-movflags",
            "+faststart",
            f"{out}/download.mp4",
        ]  # fmt: skip
    )
    commands.append(
        [
            "ffmpeg",
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-ss",
            "6",
            "-i",
            str(src),
            "-vf",
            "scale=640:360",
            "-frames:v",
            "1",
            "-q:v",
            "5",
            f"{out}/poster.jpg",
        ]  # fmt: skip
    )
    return commands


# --- (a) the pipeline, through its service function ---------------------------------------


def setup_django(work: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings.dev"
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(work / "media")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def pipeline_transcode(src: Path) -> Path:
    from django.core.files import File
    from django.core.files.storage import default_storage

    from media_pipeline.models import LectureVideo
    from media_pipeline.services import video_transcode

    with open(src, "rb") as fh:
        video = LectureVideo(title=src.stem, type="video")
        video.file.save(src.name, File(fh))
    started = time.perf_counter(), cpu_children(), cpu_self()
    outcome = video_transcode(video_id=video.pk)
    elapsed = (
        time.perf_counter() - started[0],
        cpu_children() - started[1] + cpu_self() - started[2],
    )
    assert outcome.status == "ready", outcome
    video.refresh_from_db()
    return Path(default_storage.path(video.rendition_dir)), elapsed


def timed(fn) -> tuple[float, float]:
    wall0, cpu0 = time.perf_counter(), cpu_children()
    fn()
    return time.perf_counter() - wall0, cpu_children() - cpu0


# --- Measurements -------------------------------------------------------------------------


def rung_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.suffix in (".ts", ".aac"))


def segment_bounds(playlist: Path) -> list[float]:
    bounds, t = [0.0], 0.0
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            t += float(line[8:].split(",")[0])
            bounds.append(t)
    return bounds


def video_peaks(playlist: Path) -> tuple[float, float]:
    """Peak video kbit/s per segment and over 1 s windows (video packets only)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "packet=dts_time,size", "-of", "csv=p=0", str(playlist)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    packets = []
    for line in out.splitlines():
        parts = line.split(",")
        if len(parts) >= 2 and parts[0] not in ("", "N/A"):
            packets.append((float(parts[0]), int(parts[1])))
    if not packets:
        return 0.0, 0.0
    t0 = packets[0][0]
    packets = [(t - t0, size) for t, size in packets]
    bounds = segment_bounds(playlist)
    seg_peak = 0.0
    for start, end in zip(bounds, bounds[1:], strict=False):
        if end - start < 1.0:
            continue
        bits = sum(s for t, s in packets if start - 0.01 <= t < end - 0.01) * 8
        seg_peak = max(seg_peak, bits / (end - start) / 1000)
    win_peak, j, acc = 0.0, 0, 0
    for i, (t, s) in enumerate(packets):
        acc += s
        while packets[j][0] <= t - 1.0:
            acc -= packets[j][1]
            j += 1
        if t >= 1.0 or i == len(packets) - 1:
            win_peak = max(win_peak, acc * 8 / 1000)
    return seg_peak, win_peak


_SSIM = re.compile(r"All:([0-9.]+)")


def ssim_pair(out: Path, src: Path, fps240: str = "") -> tuple[float, float]:
    """SSIM of 240p and 360p against the source scaled to the same size (and, for a
    15 fps rung, the same frame rate: ``fps240="fps=15,"``)."""
    graph = (
        "[2:v]split=2[s1][s2];"
        f"[s1]scale=426:240:flags=bicubic,format=yuv420p,{fps240}setpts=PTS-STARTPTS[r240];"
        "[s2]scale=640:360:flags=bicubic,format=yuv420p,setpts=PTS-STARTPTS[r360];"
        "[0:v]format=yuv420p,setpts=PTS-STARTPTS[d240];[1:v]format=yuv420p,setpts=PTS-STARTPTS[d360];"
        "[d240][r240]ssim[o240];[d360][r360]ssim[o360]"
    )
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-threads", "2",
         "-i", str(out / "240p" / "index.m3u8"), "-i", str(out / "360p" / "index.m3u8"),
         "-i", str(src), "-filter_complex", graph,
         "-map", "[o240]", "-f", "null", "-", "-map", "[o360]", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    values = [float(v) for v in _SSIM.findall(result.stderr)]
    return values[0], values[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--keep", help="keep outputs in this folder")
    options = parser.parse_args()
    work = Path(options.keep or tempfile.mkdtemp(prefix="bench-transcode-"))
    work.mkdir(parents=True, exist_ok=True)
    setup_django(work)
    minutes = options.seconds / 60
    caps = {name: cap for name, _w, _h, cap, _c, _a in RUNGS}

    t = time.perf_counter()
    sources = make_sources(work, options.seconds)
    print(f"sources generated in {time.perf_counter() - t:.0f} s", file=sys.stderr)

    lines = []
    summary = []
    for label, src in sources.items():
        rows = {}
        out_pipe, (wall, cpu) = pipeline_transcode(src)
        rows["pipeline"] = (out_pipe, wall, cpu)
        out_ref = work / f"{label}-reference"
        rows["reference"] = (out_ref, *timed(lambda o=out_ref, s=src: run(reference_args(s, o))))
        out_naive = work / f"{label}-naive"

        def naive(o=out_naive, s=src):
            for command in naive_commands(s, o):
                run(command)

        rows["naive"] = (out_naive, *timed(naive))
        for variant, (out, wall, cpu) in rows.items():
            per_min = {n: rung_bytes(out / n) / minutes / 1e6 for n in caps}
            audio = rung_bytes(out / "audio") / minutes / 1e6
            ssim240, ssim360 = ssim_pair(out, src, "" if variant == "naive" else "fps=15,")
            peaks = {n: video_peaks(out / n / "index.m3u8") for n in caps}
            worst_seg = max(peaks[n][0] / caps[n] for n in caps)
            worst_win = max(peaks[n][1] / caps[n] for n in caps)
            lines.append(
                f"| {label} | {variant} | {wall:.1f} | {cpu:.1f} | {options.seconds / wall:.2f}× | "
                + " | ".join(f"{per_min[n]:.2f}" for n in caps)
                + f" | {audio:.2f} | {ssim240:.4f} | {ssim360:.4f} | "
                + " / ".join(f"{peaks[n][0] / caps[n]:.2f}" for n in caps)
                + f" | {worst_seg:.2f} | {worst_win:.2f} |"
            )
            print(lines[-1], file=sys.stderr)
        cpu = {k: v[2] for k, v in rows.items()}
        summary.append(
            f"| {label} | {cpu['pipeline'] / cpu['reference']:.3f} | "
            f"{cpu['pipeline'] / cpu['naive']:.3f} |"
        )

    header = (
        "| source | variant | wall s | CPU s | realtime | MB/min 240p | 360p | 480p | 720p | "
        "audio-only | SSIM 240p | SSIM 360p | peak/cap per segment 240/360/480/720 | "
        "worst peak/cap (segment) | worst peak/cap (1 s) |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    print(header)
    print("\n".join(lines))
    print()
    print("| source | CPU pipeline/reference | CPU pipeline/naive |\n|---|---|---|")
    print("\n".join(summary))
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
