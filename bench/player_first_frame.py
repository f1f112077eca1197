"""The demo lecture on emulated 2G and 3G links in headless Chromium, timed from a real tap.

    .venv/bin/python bench/player_first_frame.py [--no-readme] [--watch SECONDS]

The links of docs/LOW_BANDWIDTH.md — 2G: 250 kbit/s, 300 ms round trip; 3G: 1.5 Mbit/s,
150 ms — emulated through the DevTools protocol, empty cache (cleared, then left on: a
second fetch of a cached segment costs nothing, one that goes to the network is counted).
The app runs in this process (Django's live server thread over a throw-away test database
with the demo data) with production-like static files (collectstatic, whitenoise's
compressed manifest storage).

Each run opens the demo lecture's page as member1, waits until the page is loaded and idle,
records what was fetched (nothing of the video may be), then clicks play for real (the
browser's play button; the player's own button where hls.js is needed) and measures from
that click: time to the first frame presented (requestVideoFrameCallback), the bytes that
finished arriving before it, segments fetched more than once, stalls (``waiting``) after
the start, and the highest rung shown. Three players: the browser's native HLS, hls.js
(native HLS hidden from the page) and, as the reference measured in the same run, a plain
``<video preload="none">`` of the uploaded source MP4 (served with byte ranges). Ratios are
to the budget (first frame 4 s, 100 KB on 2G; 360p on 3G) and to that reference. The
output is written to bench/README.md under "## player first frame".
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

LINKS = {
    "2G": {
        "offline": False,
        "latency": 300,
        "downloadThroughput": 31250,
        "uploadThroughput": 31250,
    },
    "3G": {
        "offline": False,
        "latency": 150,
        "downloadThroughput": 187500,
        "uploadThroughput": 93750,
    },
}
FIRST_FRAME_BUDGET_S = 4.0
FIRST_FRAME_BUDGET_BYTES = 100 * 1024
RUNG_BUDGET_3G = 360
VIDEO_PATH_RE = re.compile(r"\.(m3u8|ts|m4s|mp4|m4a|aac)$|/hls[^/]*\.js$|/bench/source\.mp4$")
SEGMENT_RE = re.compile(r"\.(ts|m4s)$")

# Page-side probes (init scripts are not subject to the page's CSP).
PROBE = """
window.__bench = {tap: null, frame: null, playing: null, waiting: 0, at: [], height: 0};
document.addEventListener('playing', (e) => {
  const b = window.__bench;
  if (b.playing === null) {
    b.playing = performance.now();
    const v = e.target;
    if (v.requestVideoFrameCallback) {
      v.requestVideoFrameCallback(() => { if (b.frame === null) b.frame = performance.now(); });
    } else b.frame = b.playing;
  }
}, true);
document.addEventListener('waiting', (e) => {
  const b = window.__bench;
  if (b.playing !== null && !e.target.ended) {
    b.waiting += 1;
    b.at.push(Math.round(e.target.currentTime * 10) / 10);
  }
}, true);
document.addEventListener('timeupdate', (e) => {
  const b = window.__bench;
  if (b.frame !== null) b.height = Math.max(b.height, e.target.videoHeight || 0);
}, true);
document.addEventListener('loadedmetadata', (e) => { e.target.muted = true; }, true);
"""
NO_NATIVE_HLS = """
HTMLMediaElement.prototype.canPlayType = (function (orig) {
  return function (t) { return /mpegurl/i.test(t) ? '' : orig.call(this, t); };
})(HTMLMediaElement.prototype.canPlayType);
"""
REFERENCE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>reference</title>
</head><body><video controls playsinline preload="none" width="640" height="360"
src="/bench/source.mp4"></video></body></html>"""


def reference_urls(source_path: str, root_urlconf: str) -> types.ModuleType:
    """The project's URLs plus the reference page and the source MP4 it plays."""
    from django.http import HttpResponse, StreamingHttpResponse
    from django.urls import include, path

    def page(request):
        return HttpResponse(REFERENCE_PAGE)

    def source(request):
        size = os.path.getsize(source_path)
        start, end = 0, size - 1
        m = re.match(r"bytes=(\d+)-(\d*)$", request.headers.get("Range", ""))
        if m:
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1

        def chunks():
            with open(source_path, "rb") as fh:
                fh.seek(start)
                left = end - start + 1
                while left > 0:
                    data = fh.read(min(65536, left))
                    if not data:
                        return
                    left -= len(data)
                    yield data

        response = StreamingHttpResponse(chunks(), status=206 if m else 200)
        response["Content-Type"] = "video/mp4"
        response["Content-Length"] = str(end - start + 1)
        response["Accept-Ranges"] = "bytes"
        response["Content-Encoding"] = "identity"
        if m:
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
        return response

    module = types.ModuleType("bench_player_urls")
    module.urlpatterns = [
        path("bench/reference/", page),
        path("bench/source.mp4", source),
        path("", include(root_urlconf)),
    ]
    return module


def run_once(browser, base_url: str, cookie: str, url: str, *, mode: str, link: str,
             watch: float) -> dict:  # fmt: skip
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": base_url}])
    if mode == "hls.js":
        context.add_init_script(NO_NATIVE_HLS)
    context.add_init_script(PROBE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.emulateNetworkConditions", LINKS[link])
    sent: dict[str, tuple[float, str]] = {}
    cached: set[str] = set()
    finished: dict[str, tuple[float, int]] = {}
    received: list[tuple[float, str, int]] = []
    cdp.on(
        "Network.requestWillBeSent",
        lambda e: (
            e["request"]["url"].startswith("http")
            and sent.setdefault(e["requestId"], (e["timestamp"], e["request"]["url"].split("?")[0]))
        ),
    )
    cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
    cdp.on(
        "Network.responseReceived",
        lambda e: e["response"].get("fromDiskCache") and cached.add(e["requestId"]),
    )
    cdp.on(
        "Network.dataReceived",
        lambda e: received.append((e["timestamp"], e["requestId"], int(e["encodedDataLength"]))),
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: finished.__setitem__(
            e["requestId"], (e["timestamp"], int(e["encodedDataLength"]))
        ),
    )
    try:
        page.goto(base_url + url, wait_until="load")
        page.wait_for_timeout(1500)  # idle: anything the page fetches on its own is in
        before_tap = dict(finished)
        before_urls = [u for rid, (_t, u) in sent.items() if rid not in cached]
        # The click's time, taken just before it (the browser's controls live in a
        # user-agent shadow tree whose pointer events do not reach the page).
        page.evaluate("() => { window.__bench.tap = performance.now(); }")
        button = page.locator("button[name=play]")
        if button.count() and button.is_visible():
            button.click()
        else:
            box = page.locator("video").bounding_box()
            page.mouse.click(box["x"] + 24, box["y"] + box["height"] - 48)
        page.wait_for_function("() => window.__bench.frame !== null", timeout=90_000)
        page.wait_for_timeout(watch * 1000)
        probe = page.evaluate("() => window.__bench")
        nav_ts = min(t for t, _u in sent.values())
    finally:
        context.close()
    # CDP timestamps are monotonic seconds; the navigation's request is the page's time 0.
    tap = nav_ts + probe["tap"] / 1000.0
    frame = nav_ts + probe["frame"] / 1000.0
    network = [(rid, t, u) for rid, (t, u) in sent.items() if rid not in cached]
    after = [u for _rid, t, u in network if t >= tap]
    segments = [u for u in after if SEGMENT_RE.search(u)]
    return {
        "mode": mode,
        "link": link,
        "page_bytes": sum(size for _t, size in before_tap.values()),
        "video_before_tap": [u for u in before_urls if VIDEO_PATH_RE.search(u)],
        "seconds": (probe["frame"] - probe["tap"]) / 1000.0,
        "bytes": _bytes_between(received, finished, tap, frame),
        "requests": [u for _rid, t, u in network if tap <= t <= frame],
        "twice": sorted({u for u in segments if segments.count(u) > 1}),
        "stalls": probe["waiting"],
        "stalled_at": probe["at"],
        "height": probe["height"],
    }


def _bytes_between(received, finished, start: float, end: float) -> int:
    """Bytes on the wire between two instants: the chunks received then, and for each request
    that finished then, what its total (headers included) adds to its chunks."""
    total, chunks = 0, {}
    for t, rid, size in received:
        chunks[rid] = chunks.get(rid, 0) + size
        if start <= t <= end:
            total += size
    for rid, (t, size) in finished.items():
        if start <= t <= end:
            total += max(0, size - chunks.get(rid, 0))
    return total


def short(url: str) -> str:
    path = "/" + url.split("/", 3)[-1]
    return re.sub(r"/v/[^/]+/\d+/", "/v/…/", path)


def report(rows: list[dict], watch: float) -> str:
    ref = {r["link"]: r for r in rows if r["mode"] == "reference"}
    lines = [
        "demo lecture as member1, empty cache, timed from a real click on play; budget: first"
        f" frame ≤ {FIRST_FRAME_BUDGET_S:.0f} s and ≤ {FIRST_FRAME_BUDGET_BYTES // 1024} KB"
        f" after the tap on 2G, ≥ {RUNG_BUDGET_3G}p on 3G; reference: a plain"
        ' <video preload="none"> of the source MP4, same run',
        "",
        "| link | player | video before tap | page before tap | first frame (÷ budget, ÷ ref)"
        " | bytes before it (÷ budget, ÷ ref) | requests | segments twice"
        f" | stalls in {watch:.0f} s"
        " | rung reached (÷ 360p) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        base = ref.get(r["link"])
        t_ref = f"{r['seconds'] / base['seconds']:.2f}" if base and base["seconds"] else "–"
        b_ref = f"{r['bytes'] / base['bytes']:.2f}" if base and base["bytes"] else "–"
        video_before = len(r["video_before_tap"])
        lines.append(
            f"| {r['link']} | {r['mode']} | {video_before} requests"
            f" | {r['page_bytes'] / 1024:.1f} KB"
            f" | {r['seconds']:.2f} s ({r['seconds'] / FIRST_FRAME_BUDGET_S:.2f}, {t_ref})"
            f" | {r['bytes'] / 1024:.1f} KB ({r['bytes'] / FIRST_FRAME_BUDGET_BYTES:.2f}, {b_ref})"
            f" | {len(r['requests'])} | {len(r['twice'])} | {r['stalls']}"
            f" | {r['height']}p ({r['height'] / RUNG_BUDGET_3G:.2f}) |"
        )
    lines.append("")
    for r in rows:
        lines.append(f"{r['link']} {r['mode']}, tap → first frame: " + ", ".join(
            short(u) for u in r["requests"]
        ))  # fmt: skip
        if r["stalled_at"]:
            lines.append("  stalled at (media seconds): " + ", ".join(map(str, r["stalled_at"])))
        if r["video_before_tap"]:
            lines.append("  before the tap: " + ", ".join(map(short, r["video_before_tap"])))
        if r["twice"]:
            lines.append("  fetched twice: " + ", ".join(map(short, r["twice"])))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-readme", action="store_true", help="do not update bench/README.md")
    parser.add_argument(
        "--watch", type=float, default=12.0, help="seconds watched after the first frame"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.test.runner import DiscoverRunner
    from django.test.testcases import LiveServerThread
    from django.test.utils import override_settings, setup_test_environment
    from playwright.sync_api import sync_playwright

    from bench.common import demo_seed, member1_client, readme_generated_part_write
    from bench.player_weight import video_lesson_url
    from exams.tracking.models import WatchSummary
    from media_pipeline.models import LectureVideo
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    static_root = tempfile.mkdtemp(prefix="player-static-")
    production_static = override_settings(
        STATIC_ROOT=static_root,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
        ALLOWED_HOSTS=["*"],
    )
    production_static.enable()
    server = None
    urls = None
    rows: list[dict] = []
    try:
        call_command("collectstatic", interactive=False, verbosity=0)
        demo_seed(with_video=True)
        client = member1_client()
        url = video_lesson_url(client)
        master = re.search(r'data-master="([^"]+)"', client.get(url).content.decode())
        if master:  # what the players choose from (the ABR story behind the figures)
            print(client.get(master.group(1).replace("&amp;", "&")).content.decode())
        video = LectureVideo.objects.filter(status=LectureVideo.Status.READY).first()
        source = default_storage.path(video.file.name)
        urls = override_settings(ROOT_URLCONF=reference_urls(source, settings.ROOT_URLCONF))
        urls.enable()
        server = LiveServerThread("127.0.0.1", lambda app: app)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        base_url = f"http://127.0.0.1:{server.port}"
        cookie = client.cookies["sessionid"].value
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for link in ("2G", "3G"):
                for mode in ("native HLS", "hls.js", "reference"):
                    page_url = "/bench/reference/" if mode == "reference" else url
                    # Every run from the start: no resume position left by the run before
                    # (whose last beacon may still be on its way).
                    time.sleep(1.5)
                    WatchSummary.objects.filter(user__username="member1").update(last_position=0)
                    rows.append(
                        run_once(
                            browser,
                            base_url,
                            cookie,
                            page_url,
                            mode=mode,
                            link=link,
                            watch=args.watch,
                        )  # fmt: skip
                    )
                    print(
                        rows[-1]["link"],
                        rows[-1]["mode"],
                        f"{rows[-1]['seconds']:.2f} s",
                        flush=True,
                    )
            browser.close()
    finally:
        if server is not None:
            server.terminate()
        if urls is not None:
            urls.disable()
        production_static.disable()
        runner.teardown_databases(old_config)
        shutil.rmtree(static_root, ignore_errors=True)
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    text = report(rows, args.watch)
    print(text)
    if not args.no_readme:
        # The generated part only: the section's "### " notes are kept.
        readme_generated_part_write(
            "player first frame",
            ".venv/bin/python bench/player_first_frame.py",
            f"```\n{text}\n```",
        )


if __name__ == "__main__":
    main()
