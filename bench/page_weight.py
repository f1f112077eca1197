"""Page weight of the member pages on the wire: HTML + CSS + JS, gzip-compressed.

    .venv/bin/python bench/page_weight.py [--no-video] [--no-readme]

Builds a throw-away test database, seeds the demo organisation, the demo lecture (unless
--no-video or ffmpeg is missing) and the demo catalogue, then fetches the catalogue,
a course page, a video lesson, a reading lesson and "My learning" as member1 through the
Django test client with ``Accept-Encoding: gzip``. HTML is measured as served (Django's
GZipMiddleware); every stylesheet and script the page references is measured gzip -9, as
whitenoise pre-compresses them in production. Images and video are excluded; hls.js,
which the player loads only where the browser cannot play HLS natively, is shown apart.
Each total is printed as a ratio to the 40 KB budget, and the output is written to
bench/README.md under "## page weight".
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import sys
from pathlib import Path

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

BUDGET = 40 * 1024  # catalogue, course and lesson pages (courses issue)
ORDINARY_BUDGET = 30 * 1024  # any other page: home, login (foundation issue)
LAZY_RE = re.compile(r"""data-hls=["']([^"']+)["']""")


def weigh(client, label: str, url: str, budget: int) -> dict:
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    if response.status_code != 200:
        raise SystemExit(f"{label} {url}: HTTP {response.status_code}")
    body = response.content
    encoded = response.get("Content-Encoding") == "gzip"
    html = gzip.decompress(body) if encoded else body
    html_wire = len(body) if encoded else gz(body)
    css = js = 0
    for css_url, js_url in ASSET_RE.findall(html.decode()):
        if css_url:
            css += gz(fetch(client, css_url))
        else:
            js += gz(fetch(client, js_url))
    lazy = sum(gz(fetch(client, u)) for u in set(LAZY_RE.findall(html.decode())))
    return {
        "label": label,
        "url": url,
        "html_raw": len(html),
        "html": html_wire,
        "served_gzip": encoded,
        "css": css,
        "js": js,
        "total": html_wire + css + js,
        "lazy": lazy,
        "budget": budget,
    }


def pages() -> list[tuple[str, str, int]]:
    from django.urls import reverse

    from courses.models import CoursePage, LessonPage

    required = CoursePage.objects.get(slug="grassroots-party-building-it")
    safety = CoursePage.objects.get(slug="work-safety-basics")
    return [
        ("catalogue", reverse("courses:catalogue"), BUDGET),
        ("course page", required.url, BUDGET),
        ("video lesson", LessonPage.objects.child_of(safety).get(slug="lecture").url, BUDGET),
        ("reading lesson", LessonPage.objects.child_of(safety).get(slug="reading").url, BUDGET),
        ("my learning", reverse("courses:my_learning"), BUDGET),
        ("home page", "/", ORDINARY_BUDGET),
        ("password change", reverse("password_change"), ORDINARY_BUDGET),
    ]


def add_courses(n: int) -> None:
    """More demo-like courses, so that a catalogue page is full (12 cards with covers)."""
    from courses.models import CourseIndexPage, CoursePage

    section = CourseIndexPage.objects.get(slug="courses")
    cover = CoursePage.objects.exclude(cover=None).first().cover
    for i in range(n):
        course = CoursePage(
            title=f"基层治理能力提升专题 {i + 1}",
            slug=f"bench-course-{i + 1}",
            summary="面向基层干部的专题课程，涵盖政策解读、案例分析和实务操作。",
            cover=cover,
            credit_hours=2,
            estimated_minutes=40,
        )
        section.add_child(instance=course)


def report(rows: list[dict], with_video: bool) -> str:
    lines = [
        f"budget {BUDGET // 1024} KB compressed for course pages, {ORDINARY_BUDGET // 1024} KB "
        "for ordinary pages (HTML+CSS+JS, images and video excluded); "
        f"member1, demo catalogue{'' if with_video else ', no demo lecture'}",
        "",
        "| page | HTML raw | HTML gz | CSS gz | JS gz | total | budget | ratio to budget "
        "| hls.js if needed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['label']} | {r['html_raw'] / 1024:.1f} KB | {r['html'] / 1024:.1f} KB"
            f"{'' if r['served_gzip'] else ' (not served gzip!)'} | {r['css'] / 1024:.1f} KB | "
            f"{r['js'] / 1024:.1f} KB | {r['total'] / 1024:.1f} KB | {r['budget'] // 1024} KB | "
            f"{r['total'] / r['budget']:.2f} | "
            f"{(r['lazy'] / 1024):.1f} KB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-video", action="store_true", help="skip the demo lecture")
    parser.add_argument("--no-readme", action="store_true", help="do not update bench/README.md")
    args = parser.parse_args()

    from django.conf import settings  # noqa: F401 - configured by throwaway_database

    with_video = not args.no_video and shutil.which("ffmpeg") is not None
    with throwaway_database():
        demo_seed(with_video=with_video)
        client = member1_client()
        for _label, url, _budget in pages():  # warm: renditions, caches
            client.get(url)
        rows = [weigh(client, label, url, budget) for label, url, budget in pages()]
        add_courses(20)
        url = pages()[0][1]
        client.get(url)
        rows.insert(1, weigh(client, "catalogue, full page (12 of 23)", url, BUDGET))
    text = report(rows, with_video=with_video)
    print(text)
    over = [r["label"] for r in rows if r["total"] > r["budget"]]
    print("\nover budget: " + ", ".join(over) if over else "\nall pages within budget")
    if not args.no_readme:
        readme_section_write("page weight", ".venv/bin/python bench/page_weight.py", text)


if __name__ == "__main__":
    main()
