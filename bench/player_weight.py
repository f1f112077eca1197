"""Weight of the lesson player page on the wire, against its 150 KB compressed budget.

    .venv/bin/python bench/player_weight.py [--no-readme]

Builds a throw-away test database with the demo organisation, the demo lecture (transcoded
by the media pipeline; needs ffmpeg) and the demo catalogue, logs in as member1 and fetches
the demo video lesson through the Django test client. The HTML is measured as served
(``Accept-Encoding: gzip``, Django's GZipMiddleware); the stylesheet, player.js and the
hls.js light build are fetched from the app and measured gzip -9, as whitenoise
pre-compresses them in production. Two totals: a browser without native HLS (it loads
hls.js when the member presses play) and one with it (Safari, Android, Chromium here).
Also shown: the bytes a native player fetches before its first frame (master playlist,
lowest rung's playlist, its first segment), against the ~100 KB of docs/LOW_BANDWIDTH.md.
The output is written to bench/README.md under "## player page weight".
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import sys
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")

from bench.common import (  # noqa: E402
    ASSET_RE,
    demo_seed,
    fetch,
    gz,
    member1_client,
    readme_section_write,
    throwaway_database,
)

BUDGET = 150 * 1024
FIRST_FRAME_BUDGET = 100 * 1024
HLS_RE = re.compile(r"""data-hls=["']([^"']+)["']""")
MASTER_RE = re.compile(r"""data-master=["']([^"']+)["']""")


def video_lesson_url(client) -> str:
    """The first demo lesson whose page shows member1 a player (not locked, video ready)."""
    from courses.models import LessonPage

    for lesson in LessonPage.objects.live().order_by("path"):
        video = lesson.lecture_video
        if video is None or not video.is_ready:
            continue
        if b"data-hls=" in client.get(lesson.url).content:
            return lesson.url
    raise SystemExit("no lesson shows member1 a player")


def first_frame_bytes(client, master_url: str) -> list[tuple[str, int]]:
    """What a native HLS player fetches before the first frame: the master, the first
    variant listed (the lowest rung) and that variant's first segment."""
    master = fetch(client, master_url)
    variant = next(
        line for line in master.decode().splitlines() if line and not line.startswith("#")
    )
    variant_url = urljoin(master_url, variant)
    playlist = fetch(client, variant_url)
    lines = playlist.decode().splitlines()
    parts = [("master playlist", gz(master)), (f"{variant} (gzip)", gz(playlist))]
    init = next((line for line in lines if line.startswith("#EXT-X-MAP")), None)
    if init:
        uri = re.search(r'URI="([^"]+)"', init).group(1)
        parts.append(("init segment", len(fetch(client, urljoin(variant_url, uri)))))
    segment = next(line for line in lines if line and not line.startswith("#"))
    parts.append(("first segment", len(fetch(client, urljoin(variant_url, segment)))))
    return parts


def measure(client, url: str) -> dict:
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    encoded = response.get("Content-Encoding") == "gzip"
    html = gzip.decompress(response.content) if encoded else response.content
    text = html.decode()
    rows = [
        (
            "lesson page HTML" + ("" if encoded else " (NOT served gzip)"),
            len(html),
            len(response.content) if encoded else gz(html),
        )
    ]
    for css_url, js_url in ASSET_RE.findall(text):
        asset = css_url or js_url
        data = fetch(client, asset)
        rows.append((asset.split("/static/")[-1], len(data), gz(data)))
    hls_urls = HLS_RE.findall(text)
    if not hls_urls:
        raise SystemExit("the lesson page has no player (data-hls not found)")
    data = fetch(client, hls_urls[0])
    hls = (
        hls_urls[0].split("/static/")[-1] + " (on play, no native HLS only)",
        len(data),
        gz(data),
    )
    masters = MASTER_RE.findall(text)
    return {
        "rows": rows,
        "hls": hls,
        "deferred": all("defer" in tag for tag in re.findall(r"<script[^>]+src=[^>]+>", text)),
        "first_frame": first_frame_bytes(client, masters[0].replace("&amp;", "&")),
    }


def report(m: dict) -> str:
    def kb(n: int) -> str:
        return f"{n / 1024:.1f} KB"

    lines = [
        "demo video lesson as member1; budget 150 KB compressed (HTML+CSS+JS, hls.js included)",
        "",
        "| part | raw | on the wire (gzip) |",
        "|---|---:|---:|",
    ]
    for name, raw, wire in [*m["rows"], m["hls"]]:
        lines.append(f"| {name} | {kb(raw)} | {kb(wire)} |")
    native = sum(wire for _n, _r, wire in m["rows"])
    full = native + m["hls"][2]
    lines += [
        f"| **total, browser without native HLS** | | **{kb(full)}** "
        f"(ratio to budget {full / BUDGET:.2f}) |",
        f"| total, native HLS (hls.js never loaded) | | {kb(native)} "
        f"(ratio {native / BUDGET:.2f}) |",
        "",
        f"scripts deferred: {'yes' if m['deferred'] else 'NO'}",
        "",
        "native player, before the first frame (lowest rung listed first):",
        "",
        "| request | bytes |",
        "|---|---:|",
    ]
    media = 0
    for name, size in m["first_frame"]:
        media += size
        lines.append(f"| {name} | {kb(size)} |")
    first = native + media
    lines.append(
        f"| **page + media to first frame** | **{kb(first)}** "
        f"(ratio to ~100 KB {first / FIRST_FRAME_BUDGET:.2f}) |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-readme", action="store_true", help="do not update bench/README.md")
    args = parser.parse_args()

    with throwaway_database():
        demo_seed(with_video=True)
        client = member1_client()
        url = video_lesson_url(client)  # also warms the caches
        result = measure(client, url)
    text = report(result)
    print(text)
    full = sum(w for _n, _r, w in result["rows"]) + result["hls"][2]
    print(f"\n{'within' if full <= BUDGET else 'OVER'} the 150 KB budget")
    if not args.no_readme:
        readme_section_write("player page weight", ".venv/bin/python bench/player_weight.py", text)
    if full > BUDGET:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
