"""What the page benchmarks share: a throw-away demo database, fetching, gzip sizes and
the sections of bench/README.md."""

from __future__ import annotations

import gzip
import io
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "bench" / "README.md"
ASSET_RE = re.compile(
    r"""<link[^>]+rel=["']stylesheet["'][^>]*href=["']([^"']+)["']|<script[^>]+src=["']([^"']+)["']"""
)


def gz(data: bytes) -> int:
    """Bytes on the wire after gzip -9, as whitenoise pre-compresses static files."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def fetch(client, url: str) -> bytes:
    response = client.get(url, HTTP_ACCEPT_ENCODING="identity")
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return b"".join(response.streaming_content) if response.streaming else response.content


def demo_seed(*, with_video: bool) -> None:
    """The demo organisation and catalogue, with the demo lecture when ffmpeg is here."""
    from cms import demo as cms_demo
    from courses import demo as courses_demo

    out = io.StringIO()
    cms_demo.seed(stdout=out)
    if with_video:
        if not shutil.which("ffmpeg"):
            raise SystemExit("ffmpeg is needed to transcode the demo lecture")
        from media_pipeline import demo as media_demo

        media_demo.seed(stdout=out)
    courses_demo.seed(stdout=out)


@contextmanager
def throwaway_database():
    """A test database (and media folder) that exists for the duration of the block."""
    import django

    django.setup()
    from django.conf import settings
    from django.test.runner import DiscoverRunner
    from django.test.utils import setup_test_environment

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        yield
    finally:
        runner.teardown_databases(old_config)
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


def member1_client():
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    client = Client()
    # Through the login page: authentication needs the request (cms.login_throttling).
    credentials = {"username": "member1", "password": settings.DEMO_PASSWORD}
    if client.post(reverse("login"), credentials).status_code != 302:
        raise SystemExit("could not log in as member1")
    return client


def readme_section_write(heading: str, command: str, text: str) -> None:
    """Replace (or append) the ``## heading`` section of bench/README.md."""
    content = README.read_text() if README.exists() else "# Benchmarks\n"
    section = f"## {heading}\n\n`{command}`\n\n```\n{text}\n```\n"
    match = re.search(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", content, flags=re.S | re.M)
    if match:
        content = content[: match.start()] + section + "\n" + content[match.end() :].lstrip("\n")
    else:
        content = content.rstrip("\n") + "\n\n" + section
    README.write_text(content.rstrip("\n") + "\n")


def readme_generated_part_write(heading: str, command: str, text: str) -> None:
    """Replace the generated part of ``## heading`` in bench/README.md (from the heading up
    to its first ``### `` subsection or the next section) with ``command``, the time and
    ``text``; the section's ``### `` subsections (notes, history) are kept. Appends the
    section when it is missing."""
    import time

    marker = f"## {heading}\n"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    body = f"{marker}\n`{command}` — {stamp}\n\n{text}\n\n"
    current = README.read_text() if README.exists() else "# Benchmarks\n"
    at = current.find(marker)
    if at == -1:
        current = current.rstrip("\n") + "\n\n" + body
    else:
        rest = current[at + len(marker) :]
        ends = [i for i in (rest.find("\n### "), rest.find("\n## ")) if i != -1]
        tail = rest[min(ends) + 1 :] if ends else ""
        current = current[:at] + body + tail
    README.write_text(current.rstrip("\n") + "\n")


def gunicorn_start(*, py: str, port: int, args, env: dict, root: Path) -> subprocess.Popen:
    """gunicorn serving ``cms.wsgi`` on loopback the way both HTTP benches measure it:
    ``args.workers`` × ``args.worker_class`` (``args.threads`` threads), long keep-alive,
    and gunicorn_h1c's C parser (a dependency: fail rather than measure without it)."""
    return subprocess.Popen(
        [
            str(Path(py).parent / "gunicorn"),
            "cms.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--keep-alive",
            "30",
            "--http-parser",
            "fast",
            "--log-level",
            "warning",
        ],
        cwd=root,
        env=env,
    )
