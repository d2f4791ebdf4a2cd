"""What the collector holds at once, with a ceiling: ingest requests in flight, and bytes in memory.

`WriteGate` counts ingest requests waiting for the writer (past the limit: 429). `ByteBudget` bounds bytes.

Two budgets bound ingest's memory (see docs/reliability.md): the request bodies held as received, and the
decompressed bytes being decoded. The event loop only ever `try_take`s (never waits); worker threads `take`, which
waits for room. A request never asks for more than the whole budget, so one always fits once the others are done.
"""

from __future__ import annotations

import threading


class ByteBudget:
    """Bytes in use out of `capacity`."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._used = 0
        self._room = threading.Condition()

    @property
    def used(self) -> int:
        return self._used

    def try_take(self, size: int) -> bool:
        """Take `size` bytes if they fit now; never waits (safe on the event loop)."""
        with self._room:
            if self._used + size > self.capacity:
                return False
            self._used += size
            return True

    def take(self, size: int) -> int:
        """Wait until `size` bytes (at most the whole budget) fit, take them, and return what was taken."""
        size = min(size, self.capacity)
        with self._room:
            self._room.wait_for(lambda: self._used + size <= self.capacity)
            self._used += size
        return size

    def give(self, size: int) -> None:
        """Return `size` bytes taken before."""
        with self._room:
            self._used -= size
            self._room.notify_all()


class WriteGate:
    """Counts ingest requests in flight; past the limit the collector answers 429 instead of queueing forever."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._in_flight = 0
        self._lock = threading.Lock()

    def full(self) -> bool:
        return self._in_flight >= self.limit

    def enter(self) -> bool:
        with self._lock:
            if self._in_flight >= self.limit:
                return False
            self._in_flight += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
