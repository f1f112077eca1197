"""Transcoding bench: what decoding once is worth, what fMP4 saves, what a spoken lecture costs.

    .venv/bin/python bench/transcode.py [--seconds 60] [--quick] [--keep DIR]

Generates three 1080p30 sources (``--quick``: 20 s each, for development):

  lecture   lavfi slide with a small moving inset and a tone (the synthetic lecture)
  motion    testsrc2 with a tone (high motion)
  spoken    espeak-ng narration (Mandarin) over dense text slides drawn with drawtext,
            a new slide every 15 s (media_pipeline.demo.spoken_lecture)

and for each measures in the same run:

  pipeline     media_pipeline.services.video_transcode (the Celery task's body), fMP4
  reference    the same ladder written by hand as one ffmpeg command
  per-rung     one ffmpeg process per rung with the pipeline's encoder settings (CRF,
               caps, buffers, keyframes, fMP4, audio, the MP4 tee'd from 360p as the
               pipeline does), plus one for the audio-only rung and one for the poster:
               the ratio to it is what decoding once is worth, nothing else
  fixed        the old naive ladder: one process per rung, fixed bitrates (-b:v = the cap),
               64 kbit/s stereo audio, 30 fps, MPEG-TS (a different choice of rate control)
  ts           the pipeline's own command with MPEG-TS segments (the ladder before fMP4),
               for the container overhead only

CPU s = user+sys of child processes (getrusage(RUSAGE_CHILDREN) deltas; the pipeline row
also counts the Python process's own CPU): robust to the shared machine's load, unlike wall
times. MB/min per rung = what a player downloads (init segment + segments: video, muxed
audio and container). Overhead = those bytes over the elementary streams' packets
(ffprobe). SSIM of 240p/360p against the source scaled to the same size and frame rate:
the mean, and the worst 1 s window (a dense slide after a keyframe is where it drops).
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

# name, width, height, video cap (kbit/s), crf, buffer (s), audio kbit/s, fps
# (written by hand: the reference is meant not to share code with the pipeline)
RUNGS = [
    ("240p", 426, 240, 150, 29, 1, 24, 15),
    ("360p", 640, 360, 300, 25, 3, 32, 30),
    ("480p", 854, 480, 600, 25, 1, 48, 30),
    ("720p", 1280, 720, 1200, 24, 1, 48, 30),
]
KEYS = "expr:if(lt(t,2),eq(n,0),gte(t,2+6*(n_forced-1)))"
SPEECH_CUTOFF = "8000"
FIXED_AUDIO_KBPS = 64
TARGETS = {
    "cpu_vs_reference": 1.05,
    "cpu_vs_per_rung": 0.80,
    "spoken_240p_mb_min": 0.55,
    "spoken_240p_ssim": 0.98,
    "audio_only_mb_min": 0.35,
    "spoken_360p_worst_ssim": 0.99,
    "poster_bytes": 10 * 1024,
}


def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(args: list[str]) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def make_sources(folder: Path, seconds: int) -> dict[str, Path]:
    from media_pipeline.demo import lecture_source_args, spoken_lecture

    lecture = folder / "lecture-1080p.mp4"
    run(lecture_source_args(str(lecture), width=1920, height=1080, seconds=seconds))
    motion = folder / "motion-1080p.mp4"
    run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=44100:duration={seconds}",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", "-shortest", str(motion)]
    )  # fmt: skip
    spoken = folder / "spoken-1080p.mp4"
    spoken_lecture(str(spoken), width=1920, height=1080, seconds=seconds)
    return {"lecture": lecture, "motion": motion, "spoken": spoken}


# --- the encoder settings, as arguments (shared by the reference and the per-rung runs) ----


def video_args(name: str) -> list[str]:
    _n, _w, _h, cap, crf, buffer, akbps, fps = next(r for r in RUNGS if r[0] == name)
    gop = str(fps * 6)
    args = ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf),
            "-maxrate", f"{cap}k", "-bufsize", f"{cap * buffer}k", "-g", gop,
            "-keyint_min", gop, "-sc_threshold", "0", "-force_key_frames", KEYS,
            "-threads", "2", "-c:a", "aac", "-b:a", f"{akbps}k", "-ac", "1"]  # fmt: skip
    return args + (["-cutoff", SPEECH_CUTOFF] if akbps <= 32 else [])


def hls_args(out: Path, name: str, first: int = 2) -> list[str]:
    return ["-f", "hls", "-hls_time", str(first), "-hls_playlist_type", "vod",
            "-hls_flags", "independent_segments", "-hls_segment_type", "fmp4",
            "-hls_fmp4_init_filename", "init.mp4",
            "-hls_segment_filename", f"{out}/{name}/seg_%05d.m4s",
            f"{out}/{name}/index.m3u8"]  # fmt: skip


def tee_target(out: Path, name: str) -> list[str]:
    hls = ["hls_time=2", "hls_playlist_type=vod", "hls_flags=independent_segments",
           "hls_segment_type=fmp4", "hls_fmp4_init_filename=init.mp4",
           f"hls_segment_filename={out}/{name}/seg_%05d.m4s"]  # fmt: skip
    spec = ":".join(h.replace(":", "\\:") for h in hls)
    mp4 = f"[f=mp4:movflags=+faststart]{out}/download.mp4"
    return ["-f", "tee", f"[f=hls:{spec}]{out}/{name}/index.m3u8|{mp4}"]


AUDIO_ONLY = ["-c:a", "aac", "-b:a", "32k", "-ac", "1", "-cutoff", SPEECH_CUTOFF]
MONO = "aformat=sample_fmts=fltp:channel_layouts=mono:sample_rates=44100"


def fit_poster(out: Path) -> None:
    from media_pipeline.ladder import fit_poster as fit

    fit(str(out))


# --- (b) the reference: the same ladder, written by hand as one command -----------------


def reference_args(src: Path, out: Path, seconds: int) -> list[str]:
    for name in ("240p", "360p", "480p", "720p", "audio"):
        (out / name).mkdir(parents=True, exist_ok=True)
    at = min(seconds * 0.1, 10.0)
    graph = (
        "[0:v:0]scale=1280:720,format=yuv420p,setsar=1,split=5[v720][a][b][c][p];"
        "[a]scale=426:240,fps=15[v240];[b]scale=640:360[v360];[c]scale=854:480[v480];"
        f"[p]scale=640:360,select=gte(t\\,{at:.3f})[poster];"
        f"[0:a:0]{MONO},asplit=5[a240][a360][a480][a720][aonly]"
    )
    args = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-threads", "2", "-i", str(src), "-filter_complex", graph]  # fmt: skip
    for name, *_rest in RUNGS:
        args += ["-map", f"[v{name[:-1]}]", "-map", f"[a{name[:-1]}]", *video_args(name)]
        args += tee_target(out, name) if name == "360p" else hls_args(out, name)
    args += ["-map", "[poster]", "-frames:v", "1", "-update", "1", f"{out}/poster-frame.png"]
    args += ["-map", "[aonly]", *AUDIO_ONLY, *hls_args(out, "audio", first=6)]
    return args


# --- (c) one process per rung, the pipeline's settings --------------------------------------


def per_rung_commands(src: Path, out: Path, seconds: int) -> list[list[str]]:
    base = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-threads", "2",
            "-i", str(src)]  # fmt: skip
    commands = []
    for name, w, h, *_rest, fps in RUNGS:
        (out / name).mkdir(parents=True, exist_ok=True)
        vf = f"scale={w}:{h},format=yuv420p,setsar=1" + (",fps=15" if fps == 15 else "")
        target = tee_target(out, name) if name == "360p" else hls_args(out, name)
        commands.append(
            base
            + [
                "-vf",
                vf,
                "-af",
                MONO,
                "-map",
                "0:v:0",
                "-map",
                "0:a:0",
                *video_args(name),
                *target,
            ]  # fmt: skip
        )
    (out / "audio").mkdir(parents=True, exist_ok=True)
    commands.append(base + ["-vn", "-af", MONO, *AUDIO_ONLY, *hls_args(out, "audio", first=6)])
    at = f"{min(seconds * 0.1, 10.0):.3f}"
    commands.append(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-ss", at,
         "-i", str(src), "-vf", "scale=640:360", "-frames:v", "1", "-update", "1",
         f"{out}/poster-frame.png"]
    )  # fmt: skip
    return commands


# --- (d) the old naive ladder: one process per rung, fixed bitrates, MPEG-TS --------------


def fixed_commands(src: Path, out: Path, seconds: int) -> list[list[str]]:
    base = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-threads", "2",
            "-i", str(src)]  # fmt: skip
    commands = []
    for name, w, h, cap, *_rest in RUNGS:
        (out / name).mkdir(parents=True, exist_ok=True)
        commands.append(
            base + ["-vf", f"scale={w}:{h},format=yuv420p", "-c:v", "libx264",
                    "-preset", "veryfast", "-b:v", f"{cap}k", "-g", "120", "-keyint_min", "120",
                    "-sc_threshold", "0", "-threads", "2", "-c:a", "aac",
                    "-b:a", f"{FIXED_AUDIO_KBPS}k", "-f", "hls", "-hls_time", "4",
                    "-hls_playlist_type", "vod", "-hls_segment_filename",
                    f"{out}/{name}/seg_%05d.ts", f"{out}/{name}/index.m3u8"]
        )  # fmt: skip
    (out / "audio").mkdir(parents=True, exist_ok=True)
    commands.append(
        base + ["-vn", "-c:a", "aac", "-b:a", f"{FIXED_AUDIO_KBPS}k", "-f", "hls",
                "-hls_time", "4", "-hls_playlist_type", "vod", "-hls_segment_filename",
                f"{out}/audio/seg_%05d.ts", f"{out}/audio/index.m3u8"]
    )  # fmt: skip
    commands.append(
        base + ["-vf", "scale=640:360,format=yuv420p", "-c:v", "libx264", "-preset", "veryfast",
                "-b:v", "300k", "-threads", "2", "-c:a", "aac", "-b:a", f"{FIXED_AUDIO_KBPS}k",
                "-movflags", "+faststart", f"{out}/download.mp4"]
    )  # fmt: skip
    at = f"{min(seconds * 0.1, 10.0):.3f}"
    commands.append(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-ss", at,
         "-i", str(src), "-vf", "scale=640:360", "-frames:v", "1", "-q:v", "5",
         f"{out}/poster.jpg"]
    )  # fmt: skip
    return commands


# --- (a) the pipeline, through its service function; (e) its command with MPEG-TS ----------


def setup_django(work: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings.dev"
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(work / "media")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def pipeline_transcode(src: Path) -> tuple[Path, tuple[float, float]]:
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


def ts_ladder(src: Path, out: Path) -> None:
    from media_pipeline import ladder
    from media_pipeline.probe import probe_media

    plan = ladder.plan_for(probe_media(str(src)))
    out.mkdir(parents=True, exist_ok=True)
    args = ladder.build_command(
        str(src), str(out), plan, ladder.EncodeOptions(segment_type="mpegts")
    )
    run(args)


def timed(fn) -> tuple[float, float]:
    wall0, cpu0 = time.perf_counter(), cpu_children()
    fn()
    return time.perf_counter() - wall0, cpu_children() - cpu0


# --- Measurements -------------------------------------------------------------------------

MEDIA = (".ts", ".m4s", ".aac") + (".mp4",)  # .mp4 inside a rung folder: its init segment


def rung_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.suffix in MEDIA)


def es_bytes(playlist: Path) -> int:
    """Bytes of the elementary streams' packets (all streams) of a media playlist."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "packet=size", "-of", "csv=p=0",
         str(playlist)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return sum(int(x.strip(",")) for x in out.split() if x.strip(","))


def segment_bounds(playlist: Path) -> list[float]:
    bounds, t = [0.0], 0.0
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            t += float(line[8:].split(",")[0])
            bounds.append(t)
    return bounds


def peak_over_cap(playlist: Path, cap_kbps: int) -> float:
    """Worst video kbit/s of a segment (video packets only) over the rung's cap."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "packet=pts_time,size", "-of", "csv=p=0", str(playlist)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    packets = []
    for line in out.splitlines():
        parts = line.split(",")
        if len(parts) >= 2 and parts[0] not in ("", "N/A"):
            packets.append((float(parts[0]), int(parts[1])))
    if not packets:
        return 0.0
    t0 = min(t for t, _s in packets)
    bounds = segment_bounds(playlist)
    worst = 0.0
    for start, end in zip(bounds, bounds[1:], strict=False):
        if end - start < 1.0:
            continue
        bits = sum(s for t, s in packets if start - 0.01 <= t - t0 < end - 0.01) * 8
        worst = max(worst, bits / (end - start) / 1000 / cap_kbps)
    return worst


_SSIM = re.compile(r"All:([0-9.]+)")


def ssim(rung_playlist: Path, src: Path, width: int, height: int, fps: int, work: Path):
    """(mean, worst 1 s window) SSIM of a rung against the source at its size and rate."""
    stats = work / f"ssim-{os.getpid()}-{width}.log"
    rate = f",fps={fps}" if fps != 30 else ""
    graph = (
        f"[1:v]scale={width}:{height}:flags=bicubic,format=yuv420p{rate},setpts=PTS-STARTPTS[r];"
        "[0:v]format=yuv420p,setpts=PTS-STARTPTS[d];"
        f"[d][r]ssim=stats_file={stats}"
    )
    run(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-threads", "2",
         "-i", str(rung_playlist), "-i", str(src), "-filter_complex", graph,
         "-f", "null", "-"])  # fmt: skip
    values = [float(m.group(1)) for m in map(_SSIM.search, stats.read_text().splitlines()) if m]
    stats.unlink()
    windows = [values[i : i + fps] for i in range(0, len(values) - fps + 1, fps)] or [values]
    return sum(values) / len(values), min(sum(w) / len(w) for w in windows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="20 s sources, for development")
    parser.add_argument("--keep", help="keep outputs in this folder")
    options = parser.parse_args()
    seconds = 20 if options.quick else options.seconds
    work = Path(options.keep or tempfile.mkdtemp(prefix="bench-transcode-"))
    work.mkdir(parents=True, exist_ok=True)
    setup_django(work)
    minutes = seconds / 60
    names = [r[0] for r in RUNGS]
    caps = {r[0]: r[3] for r in RUNGS}

    t = time.perf_counter()
    sources = make_sources(work, seconds)
    print(f"sources generated in {time.perf_counter() - t:.0f} s", file=sys.stderr)

    rows, ratios, overheads, checks = [], [], [], []
    for label, src in sources.items():
        runs = {}
        out, (wall, cpu) = pipeline_transcode(src)
        runs["pipeline"] = (out, wall, cpu)
        out = work / f"{label}-reference"

        def reference(o=out, s=src):
            run(reference_args(s, o, seconds))
            fit_poster(o)

        runs["reference"] = (out, *timed(reference))
        out = work / f"{label}-per-rung"

        def per_rung(o=out, s=src):
            for command in per_rung_commands(s, o, seconds):
                run(command)
            fit_poster(o)

        runs["per-rung"] = (out, *timed(per_rung))
        out = work / f"{label}-fixed"

        def fixed(o=out, s=src):
            for command in fixed_commands(s, o, seconds):
                run(command)

        runs["fixed"] = (out, *timed(fixed))
        out = work / f"{label}-ts"
        runs["ts"] = (out, *timed(lambda o=out, s=src: ts_ladder(s, o)))

        for variant, (out, wall, cpu) in runs.items():
            per_min = {n: rung_bytes(out / n) / minutes / 1e6 for n in names}
            audio = rung_bytes(out / "audio") / minutes / 1e6
            poster = next((p for p in out.glob("poster.*")), None)
            if variant in ("pipeline", "fixed"):
                s240 = ssim(
                    out / "240p" / "index.m3u8",
                    src,
                    426,
                    240,
                    15 if variant == "pipeline" else 30,
                    work,
                )
                s360 = ssim(out / "360p" / "index.m3u8", src, 640, 360, 30, work)
                ssims = f"{s240[0]:.4f} / {s240[1]:.4f} | {s360[0]:.4f} / {s360[1]:.4f}"
            else:
                s240 = s360 = None
                ssims = "– | –"
            peak = max(peak_over_cap(out / n / "index.m3u8", caps[n]) for n in names)
            rows.append(
                f"| {label} | {variant} | {wall:.1f} | {cpu:.1f} | "
                + " | ".join(f"{per_min[n]:.2f}" for n in names)
                + f" | {audio:.2f} | {ssims} | {peak:.2f} | "
                + (f"{poster.stat().st_size / 1024:.1f} KB {poster.suffix[1:]}" if poster else "–")
                + " |"
            )
            print(rows[-1], file=sys.stderr)
            if variant in ("pipeline", "ts", "fixed"):
                cells = []
                for n in [*names, "audio"]:
                    muxed = rung_bytes(out / n)
                    es = es_bytes(out / n / "index.m3u8")
                    cells.append(f"{(muxed - es) / es * 100:.1f} %")
                overheads.append(f"| {label} | {variant} | " + " | ".join(cells) + " |")
            if label == "spoken" and variant == "pipeline":
                g = TARGETS
                checks += [
                    ("spoken 240p MB/min +audio", per_min["240p"], "≤", g["spoken_240p_mb_min"]),
                    ("spoken 240p SSIM (mean)", s240[0], "≥", g["spoken_240p_ssim"]),
                    ("spoken 360p SSIM (worst 1 s)", s360[1], "≥", g["spoken_360p_worst_ssim"]),
                    ("spoken audio-only MB/min", audio, "≤", g["audio_only_mb_min"]),
                    ("spoken poster bytes", poster.stat().st_size, "≤", g["poster_bytes"]),
                ]  # fmt: skip
        cpu = {k: v[2] for k, v in runs.items()}
        vs_ref, vs_rung = cpu["pipeline"] / cpu["reference"], cpu["pipeline"] / cpu["per-rung"]
        ratios.append(
            f"| {label} | {vs_ref:.3f} | {vs_rung:.3f} | {cpu['pipeline'] / cpu['fixed']:.3f} |"
        )
        checks += [
            (f"{label} CPU pipeline/reference", vs_ref, "≤", TARGETS["cpu_vs_reference"]),
            (f"{label} CPU pipeline/per-rung", vs_rung, "≤", TARGETS["cpu_vs_per_rung"]),
        ]

    print(f"sources: {seconds} s, 1080p30; machine load {os.getloadavg()[0]:.1f}")
    print(
        "| source | variant | wall s | CPU s | MB/min 240p | 360p | 480p | 720p | audio-only | "
        "SSIM 240p mean / worst 1 s | SSIM 360p mean / worst 1 s | worst segment peak/cap | "
        "poster |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    print("\n".join(rows))
    print()
    print("Container overhead (muxed bytes over the elementary streams' packets):\n")
    print("| source | ladder | 240p | 360p | 480p | 720p | audio-only |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(overheads))
    print()
    print("| source | CPU pipeline/reference | CPU pipeline/per-rung (same settings) | "
          "CPU pipeline/fixed |\n|---|---|---|---|")  # fmt: skip
    print("\n".join(ratios))
    print()
    print("| target | measured | goal | met |\n|---|---|---|---|")
    for name, value, op, goal in checks:
        met = value <= goal if op == "≤" else value >= goal
        shown = f"{value:.0f}" if value > 100 else f"{value:.4f}" if value > 0.9 else f"{value:.3f}"
        print(f"| {name} | {shown} | {op} {goal} | {'yes' if met else 'NO'} |")
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
