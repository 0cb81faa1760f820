"""A bounded per-process memo of values derived from immutable records (a report never changes: a re-audit makes a
new one), so that what is computed from one (its page context, its API body) is computed once per web process.

Keys must name everything the value depends on (a report's id *and* its sha256, plus any mutable label shown with
it); a stale entry is then never served, only evicted. Bounded by entries and by total size, least recently used
first; safe to share between the threads of a worker. functools.lru_cache bounds entries only, and a report's body
can be megabytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    """`get_or_compute(key, compute)`: the value stored under `key`, or `compute()` stored and returned.

    Args:
        max_entries: entries kept.
        max_bytes: total of `size(value)` kept (None: no bound); a single value above it is returned, not kept.
        size: the size of a value in bytes (len by default, for bytes and str).
    """

    def __init__(self, max_entries: int, *, max_bytes: int | None = None, size: Callable[[V], int] = len) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: V) -> None:
        weight = self._size(value) if self.max_bytes is not None else 0
        if self.max_bytes is not None and weight > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, weight)
            self._bytes += weight
            while len(self._entries) > self.max_entries or (
                self.max_bytes is not None and self._bytes > self.max_bytes
            ):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        value = self.get(key)
        if value is None:
            value = compute()  # outside the lock: two threads may both compute a missing value, never block others
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
