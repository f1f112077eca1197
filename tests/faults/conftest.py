"""Real services broken on purpose: a private Redis server that a test kills and restarts,
and a small filesystem that fills up. Nothing here touches the machine's own Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

# The real media fixtures (clips made with ffmpeg, a video saved to MEDIA_ROOT).
from tests.media_pipeline.conftest import _english, clips, make_video  # noqa: F401


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A ``redis-server`` of this test alone, in a temporary folder, on a free port; no
    persistence, so a restart comes back empty, as a cache server restarted does."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"redis-server exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail("the private redis-server did not answer in 20 s")

    def kill(self) -> None:
        """``kill -9``: no shutdown, no goodbye to its clients."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        self.proc = None


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        if os.environ.get("REQUIRE_FAULT_TESTS"):
            pytest.fail("REQUIRE_FAULT_TESTS is set but redis-server is not installed")
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.proc is not None:
            server.kill()


@pytest.fixture
def small_filesystem(tmp_path):
    """A tmpfs of a given size, mounted at run time and unmounted afterwards.

    Needs the right to mount (root in CI); elsewhere the test is skipped, unless
    ``REQUIRE_FAULT_TESTS`` is set (CI), where a missing right is a failure."""
    mounted: list[Path] = []

    def mount(size_kib: int) -> Path:
        target = tmp_path / f"small-{len(mounted)}"
        target.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(target)],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            reason = f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}"
            if os.environ.get("REQUIRE_FAULT_TESTS"):
                pytest.fail(f"REQUIRE_FAULT_TESTS is set but {reason}")
            pytest.skip(reason)
        mounted.append(target)
        return target

    try:
        yield mount
    finally:
        for target in reversed(mounted):
            subprocess.run(["umount", "-l", str(target)], check=False)
