"""The rendition ladder: which rungs, the one-pass ffmpeg command, and the master playlist.

One ffmpeg process decodes the source once; a ``split`` filter feeds one scaler and one
H.264 encoder per rung. Each video rung is an HLS output (MPEG-TS segments with mono AAC
muxed in, so a player needs one request per segment); the download rung is written to
the HLS ladder and to a faststart MP4 at once through the ``tee`` muxer, so it is
encoded once. The audio-only rung is packed AAC. Keyframes are forced at 0 s, 2 s and
then every 4 s with scene-cut keyframes off, so every rung has the same segment
boundaries: a short 2 s first segment for a quick first frame on 2G, then 4 s segments.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass, field

import ffmpeg

from .probe import DEMUXER_WHITELIST, ProbeResult, completeness_tolerance, ffprobe_json

FIRST_SEGMENT_SECONDS = 2
SEGMENT_SECONDS = 4
MAX_FPS = 30
AUDIO_ONLY_KBPS = 40
AUDIO_SAMPLE_RATE = 44100
DOWNLOAD_MAX_HEIGHT = 360
POSTER_MAX_HEIGHT = 360
MASTER_PLAYLIST = "master.m3u8"
AUDIO_DIR = "audio"
DOWNLOAD_NAME = "download.mp4"
AUDIO_DOWNLOAD_NAME = "download.m4a"
POSTER_NAME = "poster.jpg"
PLAYLIST_NAME = "index.m3u8"


@dataclass(frozen=True)
class Rung:
    """A video rung: quality-targeted (CRF) and capped at ``max_kbps`` of video."""

    name: str
    height: int
    max_kbps: int
    crf: int
    audio_kbps: int
    buffer_seconds: float = 1.0
    max_fps: float = MAX_FPS

    @property
    def bufsize_kbits(self) -> int:
        return max(1, round(self.max_kbps * self.buffer_seconds))


VIDEO_RUNGS: tuple[Rung, ...] = (
    # 15 fps at 240p: on a 2G link every MPEG-TS frame costs a padded 188-byte packet
    # (about 0.12 MB/min at 30 fps for a static slide), and motion is not what 240p is for.
    Rung("240p", 240, 150, 27, 32, max_fps=15),
    Rung("360p", 360, 300, 26, 32),
    Rung("480p", 480, 600, 25, 48),
    Rung("720p", 720, 1200, 24, 48),
)


@dataclass(frozen=True)
class EncodeOptions:
    """Encoder knobs shared by the pipeline, the bench's reference and tests."""

    preset: str = "veryfast"
    threads: int = 2
    segment_seconds: int = SEGMENT_SECONDS
    first_segment_seconds: int = FIRST_SEGMENT_SECONDS


@dataclass
class PlannedRung:
    rung: Rung
    width: int
    height: int

    @property
    def name(self) -> str:
        return self.rung.name

    def fps(self, source_fps: float | None) -> float:
        return min(source_fps or MAX_FPS, self.rung.max_fps)


@dataclass
class Plan:
    """What one transcode of one source produces, decided from its probe."""

    probe: ProbeResult
    rungs: list[PlannedRung] = field(default_factory=list)
    audio: bool = False
    fps: float | None = None

    @property
    def download_rung(self) -> PlannedRung | None:
        if not self.rungs:
            return None
        fitting = [r for r in self.rungs if r.height <= DOWNLOAD_MAX_HEIGHT]
        return fitting[-1] if fitting else self.rungs[0]


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def plan_for(probe: ProbeResult) -> Plan:
    """The rungs at or below the source's size (its shorter side), lowest first."""
    plan = Plan(probe=probe, audio=probe.has_audio)
    if probe.kind != "video":
        return plan
    width, height = probe.width or 0, probe.height or 0
    short = min(width, height)
    rungs = [r for r in VIDEO_RUNGS if r.height <= short]
    if not rungs:
        # Smaller than the lowest rung: one rung at the source's own size, never upscaled.
        low = VIDEO_RUNGS[0]
        name, height = f"{_even(short)}p", _even(short)
        rungs = [Rung(name, height, low.max_kbps, low.crf, low.audio_kbps, max_fps=low.max_fps)]
    for rung in rungs:
        if width >= height:
            size = (_even(width * rung.height / height), rung.height)
        else:
            size = (rung.height, _even(height * rung.height / width))
        plan.rungs.append(PlannedRung(rung=rung, width=size[0], height=size[1]))
    plan.fps = min(probe.fps or MAX_FPS, MAX_FPS)
    return plan


def keyframe_expr(options: EncodeOptions) -> str:
    first, every = options.first_segment_seconds, options.segment_seconds
    return f"expr:if(lt(t,{first}),eq(n,0),gte(t,{first}+{every}*(n_forced-1)))"


def _hls_options(out_dir: str, rung_dir: str, options: EncodeOptions, ext: str) -> dict:
    return {
        "hls_time": options.first_segment_seconds,
        "hls_playlist_type": "vod",
        "hls_flags": "independent_segments",
        "hls_segment_filename": os.path.join(out_dir, rung_dir, f"seg_%05d.{ext}"),
    }


def _escape_tee(value: str) -> str:
    return re.sub(r"([\\:|\[\]=])", r"\\\1", value)


def build_command(
    source: str, out_dir: str, plan: Plan, options: EncodeOptions | None = None
) -> list[str]:
    """The arguments of the one ffmpeg process that writes the whole ladder to ``out_dir``."""
    options = options or EncodeOptions()
    probe = plan.probe
    inp = ffmpeg.input(
        "file:" + os.path.abspath(source),
        protocol_whitelist="file",
        format_whitelist=DEMUXER_WHITELIST,
        threads=options.threads,
    )
    outputs = []
    n_audio = len(plan.rungs) + 1 + (1 if plan.audio and not plan.rungs else 0)
    audio_streams = []
    if plan.audio:
        audio = inp["a:0"].filter(
            "aformat",
            sample_fmts="fltp",
            channel_layouts="mono",
            sample_rates=AUDIO_SAMPLE_RATE,
        )
        split = audio.filter_multi_output("asplit", n_audio)
        audio_streams = [split.stream(i) for i in range(n_audio)]

    if plan.rungs:
        top = plan.rungs[-1]
        video = inp["v:0"]
        if (probe.fps or 0) > MAX_FPS:
            video = video.filter("fps", MAX_FPS)
        video = video.filter("scale", top.width, top.height).filter("format", "yuv420p")
        video = video.filter("setsar", 1)
        poster_rung = [r for r in plan.rungs if r.height <= POSTER_MAX_HEIGHT] or plan.rungs[:1]
        split = video.filter_multi_output("split", len(plan.rungs) + 1)
        scaled = []
        for i, planned in enumerate(plan.rungs):
            stream = split.stream(i)
            if planned is not top:
                stream = stream.filter("scale", planned.width, planned.height)
            if planned.fps(plan.fps) < (plan.fps or MAX_FPS):
                stream = stream.filter("fps", planned.fps(plan.fps))
            scaled.append(stream)
        download = plan.download_rung
        for i, planned in enumerate(plan.rungs):
            rung = planned.rung
            gop = max(1, round(planned.fps(plan.fps) * options.segment_seconds))
            os.makedirs(os.path.join(out_dir, planned.name), exist_ok=True)
            streams = [scaled[i]]
            kwargs = {
                "c:v": "libx264",
                "preset": options.preset,
                "crf": rung.crf,
                "maxrate": f"{rung.max_kbps}k",
                "bufsize": f"{rung.bufsize_kbits}k",
                "g": gop,
                "keyint_min": gop,
                "sc_threshold": 0,
                "force_key_frames": keyframe_expr(options),
                "threads": options.threads,
            }
            if plan.audio:
                streams.append(audio_streams[i])
                kwargs.update({"c:a": "aac", "b:a": f"{rung.audio_kbps}k", "ac": 1})
            hls = _hls_options(out_dir, planned.name, options, "ts")
            playlist = os.path.join(out_dir, planned.name, PLAYLIST_NAME)
            if planned is download:
                hls_spec = ":".join(f"{k}={_escape_tee(str(v))}" for k, v in hls.items())
                mp4 = _escape_tee(os.path.join(out_dir, DOWNLOAD_NAME))
                target = (
                    f"[f=hls:{hls_spec}]{_escape_tee(playlist)}|[f=mp4:movflags=+faststart]{mp4}"
                )
                outputs.append(ffmpeg.output(*streams, target, format="tee", **kwargs))
            else:
                outputs.append(ffmpeg.output(*streams, playlist, format="hls", **kwargs, **hls))
        # The poster: one frame a little into the lecture, from the poster rung's size.
        at = min(max(probe.duration * 0.1, 0.0), 10.0)
        poster = split.stream(len(plan.rungs))
        if poster_rung[-1] is not top:
            poster = poster.filter("scale", poster_rung[-1].width, poster_rung[-1].height)
        poster = poster.filter("select", f"gte(t,{at:.3f})")
        outputs.append(
            ffmpeg.output(
                poster, os.path.join(out_dir, POSTER_NAME), vframes=1, **{"q:v": 5}, update=1
            )
        )

    if plan.audio:
        os.makedirs(os.path.join(out_dir, AUDIO_DIR), exist_ok=True)
        hls = _hls_options(out_dir, AUDIO_DIR, options, "ts")
        hls["hls_time"] = options.segment_seconds
        outputs.append(
            ffmpeg.output(
                audio_streams[len(plan.rungs)],
                os.path.join(out_dir, AUDIO_DIR, PLAYLIST_NAME),
                format="hls",
                **{"c:a": "aac", "b:a": f"{AUDIO_ONLY_KBPS}k", "ac": 1},
                **hls,
            )
        )
        if not plan.rungs:
            outputs.append(
                ffmpeg.output(
                    audio_streams[-1],
                    os.path.join(out_dir, AUDIO_DOWNLOAD_NAME),
                    format="mp4",
                    movflags="+faststart",
                    **{"c:a": "aac", "b:a": f"{AUDIO_ONLY_KBPS}k", "ac": 1},
                )
            )
    graph = ffmpeg.merge_outputs(*outputs).global_args(
        "-hide_banner", "-nostdin", "-loglevel", "error", "-progress", "pipe:1", "-nostats"
    )
    return graph.compile(overwrite_output=True)


# --- After the encode: measure the segments and write the master playlist ---------------

_EXTINF = re.compile(r"#EXTINF:([0-9.]+)")


def read_segments(playlist_path: str) -> list[tuple[str, float]]:
    """``(file name, duration)`` of each segment of a media playlist."""
    segments, duration = [], None
    with open(playlist_path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if match := _EXTINF.match(line):
                duration = float(match.group(1))
            elif line and not line.startswith("#") and duration is not None:
                segments.append((line, duration))
                duration = None
    return segments


def measure_bandwidth(playlist_path: str) -> tuple[int, int]:
    """(peak, average) bits per second over the segments, as HLS defines BANDWIDTH."""
    folder = os.path.dirname(playlist_path)
    total_bits, total_seconds, peak = 0, 0.0, 0
    for name, seconds in read_segments(playlist_path):
        bits = os.path.getsize(os.path.join(folder, name)) * 8
        total_bits += bits
        total_seconds += seconds
        if seconds >= 0.5:  # a tiny tail segment says nothing about the rate
            peak = max(peak, math.ceil(bits / seconds))
    average = math.ceil(total_bits / total_seconds) if total_seconds else 0
    return max(peak, average), average


def h264_codec_string(segment_path: str) -> str:
    """``avc1.PPCCLL`` from the first SPS in an Annex B stream (profile, flags, level)."""
    with open(segment_path, "rb") as fh:
        data = fh.read(256 * 1024)
    match = re.search(rb"\x00\x00\x01[\x27\x47\x67](...)", data, re.DOTALL)
    if not match:
        return "avc1.640028"
    return "avc1." + match.group(1).hex().upper()


@dataclass
class RenditionInfo:
    name: str
    playlist: str
    bandwidth: int
    average_bandwidth: int
    codecs: str
    width: int | None = None
    height: int | None = None
    fps: float | None = None


@dataclass
class Manifest:
    """What a finished transcode wrote, stored as ``LectureVideo.renditions``."""

    master: str = MASTER_PLAYLIST
    rungs: list[RenditionInfo] = field(default_factory=list)
    audio: RenditionInfo | None = None
    download: str = ""
    poster: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        if not data:
            return cls()
        return cls(
            master=data.get("master", MASTER_PLAYLIST),
            rungs=[RenditionInfo(**r) for r in data.get("rungs", [])],
            audio=RenditionInfo(**data["audio"]) if data.get("audio") else None,
            download=data.get("download", ""),
            poster=data.get("poster", ""),
        )


AAC_LC = "mp4a.40.2"


# --- After the encode: is everything there? -------------------------------------------------


@dataclass(frozen=True)
class OutputCheck:
    """One output as written: how long it lasts and whether it is whole."""

    name: str
    seconds: float
    expected: float
    segments: int = 0
    expected_segments: int = 0

    @property
    def short(self) -> bool:
        return (
            self.seconds < self.expected - completeness_tolerance(self.expected)
            or self.segments < self.expected_segments
        )


def expected_segment_count(seconds: float, *, first: float, every: float) -> int:
    """Segments a playlist of ``seconds`` has at least: ``first`` s, then ``every`` s."""
    if seconds <= 0:
        return 0
    if seconds <= first:
        return 1
    return 1 + math.floor((seconds - first) / every)


def _playlist_seconds(playlist_path: str) -> tuple[float, int]:
    """(total duration, segment count) of a finished media playlist; (0, 0) unless it
    ends with ``#EXT-X-ENDLIST`` and every segment it lists is a non-empty file."""
    try:
        with open(playlist_path, encoding="utf-8") as fh:
            text = fh.read()
        segments = read_segments(playlist_path)
    except OSError:
        return 0.0, 0
    folder = os.path.dirname(playlist_path)
    if "#EXT-X-ENDLIST" not in text or not segments:
        return 0.0, 0
    for name, _seconds in segments:
        path = os.path.join(folder, name)
        if os.path.dirname(os.path.normpath(path)) != os.path.normpath(folder):
            return 0.0, 0
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            return 0.0, 0
    return sum(seconds for _name, seconds in segments), len(segments)


def _file_seconds(path: str) -> float:
    """Duration of a written MP4/M4A as ffprobe reads it; 0 when it cannot be read."""
    if not os.path.isfile(path):
        return 0.0
    try:
        info = ffprobe_json(path)
    except ffmpeg.Error:
        return 0.0
    try:
        return float((info.get("format") or {}).get("duration") or 0)
    except ValueError:
        return 0.0


def check_outputs(
    out_dir: str, plan: Plan, options: EncodeOptions | None = None
) -> list[OutputCheck]:
    """Measure what ffmpeg wrote against the source's duration: each rung's total duration
    and segment count, the audio-only rung and the offline file."""
    options = options or EncodeOptions()
    duration = plan.probe.duration
    # A video's sound may end before its picture; without a duration of its own in the
    # container, the audio-only rung is only checked for being whole.
    audio_duration = plan.probe.audio_duration or 0.0
    checks = []
    for planned in plan.rungs:
        seconds, count = _playlist_seconds(os.path.join(out_dir, planned.name, PLAYLIST_NAME))
        tolerance = completeness_tolerance(duration)
        checks.append(
            OutputCheck(
                name=planned.name,
                seconds=seconds,
                expected=duration,
                segments=count,
                expected_segments=expected_segment_count(
                    duration - tolerance,
                    first=options.first_segment_seconds,
                    every=options.segment_seconds,
                ),
            )
        )
    if plan.audio:
        seconds, count = _playlist_seconds(os.path.join(out_dir, AUDIO_DIR, PLAYLIST_NAME))
        expected = audio_duration if plan.rungs else duration
        checks.append(
            OutputCheck(
                name=AUDIO_DIR,
                seconds=seconds,
                expected=expected,
                segments=count,
                expected_segments=max(
                    1,
                    expected_segment_count(
                        expected - completeness_tolerance(expected),
                        first=options.segment_seconds,
                        every=options.segment_seconds,
                    ),
                ),
            )
        )
    if plan.rungs:
        name = DOWNLOAD_NAME
    elif plan.audio:
        name = AUDIO_DOWNLOAD_NAME
    else:
        name = ""
    if name:
        seconds = _file_seconds(os.path.join(out_dir, name))
        checks.append(OutputCheck(name=name, seconds=seconds, expected=duration))
    return checks


def finish_ladder(out_dir: str, plan: Plan) -> Manifest:
    """Measure every rung, write ``master.m3u8`` (lowest rung first) and describe it all."""
    manifest = Manifest()
    for planned in plan.rungs:
        playlist = os.path.join(out_dir, planned.name, PLAYLIST_NAME)
        segments = read_segments(playlist)
        peak, average = measure_bandwidth(playlist)
        codecs = h264_codec_string(os.path.join(out_dir, planned.name, segments[0][0]))
        if plan.audio:
            codecs += "," + AAC_LC
        manifest.rungs.append(
            RenditionInfo(
                name=planned.name,
                playlist=f"{planned.name}/{PLAYLIST_NAME}",
                bandwidth=peak,
                average_bandwidth=average,
                codecs=codecs,
                width=planned.width,
                height=planned.height,
                fps=planned.fps(plan.fps),
            )
        )
    if plan.audio:
        playlist = os.path.join(out_dir, AUDIO_DIR, PLAYLIST_NAME)
        peak, average = measure_bandwidth(playlist)
        manifest.audio = RenditionInfo(
            name="audio",
            playlist=f"{AUDIO_DIR}/{PLAYLIST_NAME}",
            bandwidth=peak,
            average_bandwidth=average,
            codecs=AAC_LC,
        )
    if plan.rungs:
        manifest.download = DOWNLOAD_NAME
        if os.path.exists(os.path.join(out_dir, POSTER_NAME)):
            manifest.poster = POSTER_NAME
    elif plan.audio:
        manifest.download = AUDIO_DOWNLOAD_NAME

    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for info in manifest.rungs:
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={info.bandwidth},"
            f"AVERAGE-BANDWIDTH={info.average_bandwidth},"
            f'RESOLUTION={info.width}x{info.height},CODECS="{info.codecs}"'
            + (f",FRAME-RATE={info.fps:.3f}" if info.fps else "")
        )
        lines.append(info.playlist)
    if manifest.audio:
        # Last: a native player starts with the first variant, which must show a picture.
        info = manifest.audio
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={info.bandwidth},"
            f'AVERAGE-BANDWIDTH={info.average_bandwidth},CODECS="{info.codecs}"'
        )
        lines.append(info.playlist)
    with open(os.path.join(out_dir, MASTER_PLAYLIST), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return manifest
