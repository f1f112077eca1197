"""Who holds a transcode, and whether that holder is still alive.

A transcode's lease is its row's ``lock_token`` (this run), ``lock_holder`` (the process
running it: ``host:pid:start``) and ``heartbeat_at`` (beaten every ``beat_seconds()``
while it runs). A lease is dead, and another run may take it over, when its heartbeat is
older than ``lease_seconds()``, or at once when its holder ran on this host and that
process is gone (a ``kill -9`` of a worker's child: Celery re-delivers the task within
seconds, and it must not be refused as "busy").
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


def lease_seconds() -> float:
    """A heartbeat older than this ends the lease (a worker on another host died)."""
    return float(getattr(settings, "MEDIA_LEASE_SECONDS", 15))


def beat_seconds() -> float:
    """How often a running transcode beats: well inside ``lease_seconds()``."""
    return max(0.5, lease_seconds() / 5)


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22),
    which tells a process from a later one that reuses its pid; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if not fields or fields[0] in ("Z", "X", "x"):  # a zombie has finished
        return None
    return fields[19] if len(fields) > 19 else ""


def this_holder() -> str:
    """``host:pid:start`` of the calling process."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or ''}"


def holder_is_gone(holder: str) -> bool:
    """True when ``holder`` ran on this host and that process no longer exists.

    A holder on another host is never judged here: its heartbeat decides.
    """
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid, start = parts[0], int(parts[1]), parts[2]
    if host != socket.gethostname():
        return False
    current = _start_ticks(pid)
    if current is None:
        return True
    return bool(start) and current != start


def lease_is_dead(
    *, holder: str, heartbeat_at: datetime | None, now: datetime | None = None
) -> bool:
    """True when a transcode holding this lease can be taken over."""
    now = now or timezone.now()
    if heartbeat_at is None or heartbeat_at < now - timedelta(seconds=lease_seconds()):
        return True
    return bool(holder) and holder_is_gone(holder)
