"""A byte budget: how much of something the collector holds in memory at once, with a ceiling.

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
