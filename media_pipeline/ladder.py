"""The rendition ladder: which rungs, the one-pass ffmpeg command, and the master playlist.

One ffmpeg process decodes the source once; a ``split`` filter feeds one scaler and one
H.264 encoder per rung. Each video rung is an HLS output of fragmented-MP4 (CMAF)
segments, one ``init.mp4`` per rung named by ``EXT-X-MAP``, with mono AAC muxed in (one
request per segment). fMP4 rather than MPEG-TS: TS pads every frame of every stream
into 188-byte packets, which cost 24 % of the 240p rung and 43 % of 360p on a slide
lecture (bench/README.md ``## transcode``). Ladders published as TS before keep playing:
their playlists name their own files. The download rung is written to the HLS ladder
and to a faststart MP4 at once through the ``tee`` muxer, so it is encoded once. Keyframes
are forced at 0 s, 2 s and then every 6 s with scene-cut keyframes off, so every rung has
the same segment boundaries: a short 2 s first segment for a quick first frame on 2G,
then 6 s segments. On a slide lecture almost every byte of a rung is its keyframes (the
frames between them are nearly free), so a keyframe every 6 s instead of 4 s is a third
fewer bytes for the same picture.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass, field

import ffmpeg

from .probe import DEMUXER_WHITELIST, ProbeResult, completeness_tolerance, ffprobe_json

FIRST_SEGMENT_SECONDS = 2
SEGMENT_SECONDS = 6
MAX_FPS = 30
# The audio-only rung: this ffmpeg's native AAC encoder has no HE-AAC profile (and there
# is no libfdk_aac), so AAC-LC, mono. It overshoots its nominal rate on speech (32k gave
# 37-40 kbit/s), less so with a low-pass at the top of wideband speech (8 kHz), which
# also keeps it from spending bits where a voice has little; 32k + 8 kHz measured
# 0.28 MB/min on spoken Chinese, under the 0.35 MB/min budget with room for livelier voices.
AUDIO_ONLY_KBPS = 32
# Muxed audio at this rate or below is speech-band only (the low rungs).
SPEECH_KBPS = 32
SPEECH_CUTOFF_HZ = 8000
AUDIO_SAMPLE_RATE = 44100
DOWNLOAD_MAX_HEIGHT = 360
POSTER_MAX_HEIGHT = 360
MASTER_PLAYLIST = "master.m3u8"
AUDIO_DIR = "audio"
DOWNLOAD_NAME = "download.mp4"
AUDIO_DOWNLOAD_NAME = "download.m4a"
POSTER_NAME = "poster.webp"
# ffmpeg writes a lossless frame; ``fit_poster`` turns it into a WebP within the budget.
POSTER_FRAME = "poster-frame.png"
POSTER_MAX_BYTES = 10 * 1024
# (width, WebP quality), tried in turn until the poster fits: the player's box (at most
# 640 px on a phone at 2x) for a light slide, smaller for dense text, which the browser
# then scales up (a preview, read from the video once it plays).
POSTER_STEPS = ((640, 60), (640, 40), (480, 40), (426, 30), (320, 30), (256, 20))
PLAYLIST_NAME = "index.m3u8"
INIT_NAME = "init.mp4"
SEGMENT_TYPES = {"fmp4": "m4s", "mpegts": "ts"}


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
    # 15 fps at 240p: motion is not what 240p is for. CRF 29 and 24 kbit/s speech-band
    # audio keep a spoken dense-slide lecture near 0.5 MB/min at SSIM 0.99.
    Rung("240p", 240, 150, 29, 24, max_fps=15),
    # A 3 s buffer lets a dense slide's keyframe be whole (~50 KB); with a 1 s buffer it
    # was cut to 25-27 KB and the picture stayed below SSIM 0.99 for seconds after each.
    # The 2 s first segment still stays under the cap on average.
    Rung("360p", 360, 300, 25, 32, buffer_seconds=3.0),
    Rung("480p", 480, 600, 25, 48),
    Rung("720p", 720, 1200, 24, 48),
)


AUDIO_ONLY_CODEC = {
    "c:a": "aac",
    "b:a": f"{AUDIO_ONLY_KBPS}k",
    "ac": 1,
    "cutoff": SPEECH_CUTOFF_HZ,
}


@dataclass(frozen=True)
class EncodeOptions:
    """Encoder knobs shared by the pipeline, the bench's reference and tests."""

    preset: str = "veryfast"
    threads: int = 2
    # "fmp4" (CMAF, the default) or "mpegts" (what ladders were before; the bench's "before").
    segment_type: str = "fmp4"
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


def _hls_options(out_dir: str, rung_dir: str, options: EncodeOptions) -> dict:
    ext = SEGMENT_TYPES[options.segment_type]
    hls = {
        "hls_time": options.first_segment_seconds,
        "hls_playlist_type": "vod",
        "hls_flags": "independent_segments",
        "hls_segment_type": options.segment_type,
        "hls_segment_filename": os.path.join(out_dir, rung_dir, f"seg_%05d.{ext}"),
    }
    if options.segment_type == "fmp4":
        # Written next to the playlist, which names it by ``EXT-X-MAP``.
        hls["hls_fmp4_init_filename"] = INIT_NAME
    return hls


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
                if rung.audio_kbps <= SPEECH_KBPS:
                    kwargs["cutoff"] = SPEECH_CUTOFF_HZ
            hls = _hls_options(out_dir, planned.name, options)
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
            ffmpeg.output(poster, os.path.join(out_dir, POSTER_FRAME), vframes=1, update=1)
        )

    if plan.audio:
        os.makedirs(os.path.join(out_dir, AUDIO_DIR), exist_ok=True)
        hls = _hls_options(out_dir, AUDIO_DIR, options)
        hls["hls_time"] = options.segment_seconds
        outputs.append(
            ffmpeg.output(
                audio_streams[len(plan.rungs)],
                os.path.join(out_dir, AUDIO_DIR, PLAYLIST_NAME),
                format="hls",
                **AUDIO_ONLY_CODEC,
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
                    **AUDIO_ONLY_CODEC,
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


_MAP = re.compile(r'#EXT-X-MAP:URI="([^"]+)"')


def media_map(playlist_path: str) -> str:
    """The init segment an fMP4 media playlist names (``EXT-X-MAP``); "" for MPEG-TS."""
    with open(playlist_path, encoding="utf-8") as fh:
        match = _MAP.search(fh.read())
    return match.group(1) if match else ""


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


def declared_bandwidth(planned: PlannedRung, *, peak: int, audio: bool) -> int:
    """BANDWIDTH of a rung in the master playlist: its measured peak, but never less than
    what the rung may cost (its video cap plus its audio). hls.js chooses rungs by
    BANDWIDTH: with a slide lecture's measured peaks (720p at 168 kbit/s) it climbed on a
    250 kbit/s link before the first frame; with the caps it stays on 240p there (5.4 s
    and 119 KB to the first frame instead of 6.1 s and 138 KB) and still reaches 360p on
    3G (bench/README.md "player first frame")."""
    rung = planned.rung
    return max(peak, (rung.max_kbps + (rung.audio_kbps if audio else 0)) * 1000)


def h264_codec_string(segment_path: str) -> str:
    """``avc1.PPCCLL`` (profile, flags, level): from the ``avcC`` box of an fMP4 init
    segment, or from the first SPS of an Annex B (MPEG-TS) segment."""
    with open(segment_path, "rb") as fh:
        data = fh.read(256 * 1024)
    match = re.search(rb"avcC\x01(...)", data, re.DOTALL) or re.search(
        rb"\x00\x00\x01[\x27\x47\x67](...)", data, re.DOTALL
    )
    if not match:
        return "avc1.640028"
    return "avc1." + match.group(1).hex().upper()


def fit_poster(out_dir: str) -> str:
    """Turn the frame ffmpeg wrote into ``poster.webp`` within ``POSTER_MAX_BYTES``
    (or the smallest step); returns its name, "" when there was no frame."""
    frame = os.path.join(out_dir, POSTER_FRAME)
    if not os.path.isfile(frame):
        return ""
    target = os.path.join(out_dir, POSTER_NAME)
    with open(frame, "rb") as fh:
        frame_width = int.from_bytes(fh.read(24)[16:20], "big")  # PNG IHDR: never upscale
    for width, quality in POSTER_STEPS:
        (
            ffmpeg.input(frame)
            .filter("scale", min(width, frame_width or width), -2)
            .output(target, vframes=1, quality=quality, compression_level=6, **{"c:v": "libwebp"})
            .global_args("-hide_banner", "-nostdin", "-loglevel", "error")
            .run(overwrite_output=True)
        )
        if os.path.getsize(target) <= POSTER_MAX_BYTES:
            break
    os.remove(frame)
    return POSTER_NAME


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
    ends with ``#EXT-X-ENDLIST`` and every segment it lists (the fMP4 init segment
    included) is a non-empty file in its folder."""
    try:
        with open(playlist_path, encoding="utf-8") as fh:
            text = fh.read()
        segments = read_segments(playlist_path)
    except OSError:
        return 0.0, 0
    folder = os.path.dirname(playlist_path)
    if "#EXT-X-ENDLIST" not in text or not segments:
        return 0.0, 0
    init = _MAP.search(text)
    for name in ([init.group(1)] if init else []) + [name for name, _s in segments]:
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
        init = media_map(playlist)
        codecs = h264_codec_string(os.path.join(out_dir, planned.name, init or segments[0][0]))
        if plan.audio:
            codecs += "," + AAC_LC
        manifest.rungs.append(
            RenditionInfo(
                name=planned.name,
                playlist=f"{planned.name}/{PLAYLIST_NAME}",
                bandwidth=declared_bandwidth(planned, peak=peak, audio=bool(plan.audio)),
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
        manifest.poster = fit_poster(out_dir)
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
