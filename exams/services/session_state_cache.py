"""A process-local memory of each watch session's state as this process last wrote it.

Why: reading the session, its summary and the member's claim is one of a beat's two
database round trips. A member's page sends its beats over one keep-alive connection, so
to one server process, and that process has just written the very state it would read.

Why it stays exact: the heartbeat service uses a remembered state only for a beat whose
sequence number is above the session's last stored one, and its write goes through only
if the member's claim version is still the remembered one. Every stored beat of the
member — any tab, device or server process — moves that version in the same statement,
so an unchanged version proves that nothing was stored since: the remembered state is
what the database holds. Otherwise the write changes nothing, the entry is forgotten and
the beat is computed again from a fresh read. Only committed writes are remembered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class SessionStateCache:
    """At most ``size()`` entries (the oldest go first); 0 remembers nothing."""

    def __init__(self, *, size: Callable[[], int], copy: Callable[[Any], Any]) -> None:
        self._size = size
        self._copy = copy
        self._entries: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any | None:
        """A copy of the remembered state (the caller may change it), or None."""
        state = self._entries.get(key)
        return None if state is None else self._copy(state)

    def put(self, key: Any, state: Any) -> None:
        size = self._size()
        if size <= 0:
            return
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= size:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = state

    def forget(self, key: Any) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
