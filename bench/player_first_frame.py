"""Time to the first frame of the demo lecture on an emulated 2G link, in headless Chromium.

    .venv/bin/python bench/player_first_frame.py [--no-readme]

The link of docs/LOW_BANDWIDTH.md (250 kbit/s down and up, 300 ms round trip, empty cache),
emulated through the DevTools protocol. The app runs in this process (Django's live server
thread over a throw-away test database with the demo data) with production-like static
files: collectstatic into a temporary folder, whitenoise's compressed manifest storage, so
CSS and JS go out gzip-compressed as in production. The member presses play as soon as the
page is parsed. Two runs: the browser's native HLS (Chromium here, Safari, Android) and
hls.js (native HLS hidden from the page). Printed: seconds from navigation to the first
``playing`` event, and the bytes and requests on the wire before it. The output is written
to bench/README.md under "## player first frame".
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

LINK = {"offline": False, "latency": 300, "downloadThroughput": 31250, "uploadThroughput": 31250}
PRESS_PLAY = """
window.__firstFrame = null;
document.addEventListener('playing', () => {
  if (window.__firstFrame === null) window.__firstFrame = performance.now();
}, true);
document.addEventListener('DOMContentLoaded', () => {
  const v = document.querySelector('video');
  if (v) { v.muted = true; const p = v.play(); if (p) p.catch(() => {}); }
});
"""
NO_NATIVE_HLS = """
HTMLMediaElement.prototype.canPlayType = (function (orig) {
  return function (t) { return /mpegurl/i.test(t) ? '' : orig.call(this, t); };
})(HTMLMediaElement.prototype.canPlayType);
"""


def run_once(browser, base_url: str, cookie: str, url: str, *, native: bool) -> dict:
    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": base_url}])
    if not native:
        context.add_init_script(NO_NATIVE_HLS)
    context.add_init_script(PRESS_PLAY)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", LINK)
    finished: list[tuple[float, int]] = []
    cdp.on(
        "Network.loadingFinished",
        lambda e: finished.append((e["timestamp"], int(e["encodedDataLength"]))),
    )
    requests: list[tuple[float, str]] = []
    cdp.on(
        "Network.requestWillBeSent",
        lambda e: (
            e["request"]["url"].startswith("http")
            and requests.append((e["timestamp"], e["request"]["url"]))
        ),
    )
    try:
        page.goto(base_url + url, wait_until="commit")
        page.wait_for_function("() => window.__firstFrame !== null", timeout=60_000)
        first_frame_ms = page.evaluate("() => window.__firstFrame")
        page.wait_for_timeout(200)
    finally:
        context.close()
    # CDP timestamps are monotonic seconds; the navigation's request is the page's zero.
    start = requests[0][0]
    cutoff = start + first_frame_ms / 1000.0
    before = [size for ts, size in finished if ts <= cutoff]
    return {
        "mode": "native HLS" if native else "hls.js",
        "seconds": first_frame_ms / 1000.0,
        "bytes": sum(before),
        "requests": len([1 for ts, _u in requests if ts <= cutoff]),
        "urls": [
            re.sub(r"/v/[^/]+/", "/v/…/", u.replace(base_url, "").split("?")[0])
            for ts, u in requests
            if ts <= cutoff
        ],
    }


def report(rows: list[dict]) -> str:
    lines = [
        "demo video lesson as member1; 250 kbit/s, 300 ms RTT, empty cache; play pressed at once",
        "",
        "| player | first frame | bytes before it | requests before it |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {r['seconds']:.1f} s | {r['bytes'] / 1024:.1f} KB | {r['requests']} |"
        )
    for r in rows:
        lines += ["", f"{r['mode']}: " + ", ".join(r["urls"])]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-readme", action="store_true", help="do not update bench/README.md")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.runner import DiscoverRunner
    from django.test.testcases import LiveServerThread
    from django.test.utils import override_settings, setup_test_environment
    from playwright.sync_api import sync_playwright

    from bench.common import demo_seed, member1_client, readme_section_write
    from bench.player_weight import video_lesson_url
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
    try:
        call_command("collectstatic", interactive=False, verbosity=0)
        demo_seed(with_video=True)
        client = member1_client()
        url = video_lesson_url(client)
        server = LiveServerThread("127.0.0.1", lambda app: app)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        base_url = f"http://127.0.0.1:{server.port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            cookie = client.cookies["sessionid"].value
            rows = [
                run_once(browser, base_url, cookie, url, native=True),
                run_once(browser, base_url, cookie, url, native=False),
            ]
            browser.close()
    finally:
        if server is not None:
            server.terminate()
        production_static.disable()
        runner.teardown_databases(old_config)
        shutil.rmtree(static_root, ignore_errors=True)
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    text = report(rows)
    print(text)
    if not args.no_readme:
        readme_section_write(
            "player first frame", ".venv/bin/python bench/player_first_frame.py", text
        )


if __name__ == "__main__":
    main()
