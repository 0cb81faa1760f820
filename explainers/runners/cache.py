"""Prediction cache keyed by (model sha256, input hash), so no input is ever run twice (design.md §9).

Probes score the same originals against many substitutions, and reruns of an audit score the same dataset
again; the cache makes both cost a dictionary lookup. Keys are hashes, never raw text, so a cache backend
(Redis, a database table) never stores the audit data itself.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Protocol

import numpy as np


class PredictionCache(Protocol):
    """Per-input model outputs; any store with these two methods will do (memory, Redis, a table)."""

    def get_many(self, model_key: str, input_keys: list[str]) -> dict[str, np.ndarray]:
        """The cached outputs of the keys that are present; absent keys are simply missing from the result."""
        ...

    def set_many(self, model_key: str, values: dict[str, np.ndarray]) -> None:
        """Store outputs by input key."""
        ...


class MemoryPredictionCache:
    """In-process LRU cache, safe to share between the threads of one worker.

    Args:
        max_entries: entries kept; the least recently used go first. Bounds memory on long audits: at the
            default, 200 000 two-class probability vectors take a few MB, 384-d embeddings about 300 MB.
    """

    def __init__(self, max_entries: int = 200_000) -> None:
        if int(max_entries) < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = int(max_entries)
        self._entries: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, model_key: str, input_keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for key in input_keys:
                value = self._entries.get((model_key, key))
                if value is not None:
                    self._entries.move_to_end((model_key, key))
                    found[key] = value
        return found

    def set_many(self, model_key: str, values: dict[str, np.ndarray]) -> None:
        with self._lock:
            for key, value in values.items():
                # A private read-only copy: a caller mutating its result must not corrupt later hits.
                stored = np.array(value, copy=True)
                stored.flags.writeable = False
                self._entries[(model_key, key)] = stored
                self._entries.move_to_end((model_key, key))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def input_key(text: str, *extra: str) -> str:
    """sha256 hex of the text and of any extras (task, max_length, candidates) that change the output.

    Each part is length-prefixed, so ("ab", "c") and ("a", "bc") cannot collide.
    """
    digest = hashlib.sha256()
    for part in (text, *extra):
        data = str(part).encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()
