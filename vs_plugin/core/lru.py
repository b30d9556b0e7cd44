"""A bounded, locked least-recently-used store of read-only results, keyed by content.

The face layer's caches (restorations, flows between face crops) key what they store by a
digest of the arrays it was computed from, so a hit returns exactly what computing again would
give: they only save time and cannot change a pixel, whatever order frames are asked for in.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import numpy as np


def content_key(*arrays: np.ndarray, tag: str = "") -> bytes:
    """Digest of the arrays' bytes, shapes and dtypes, and of ``tag``."""
    h = hashlib.blake2b(tag.encode(), digest_size=20)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.shape}{a.dtype}".encode())
        h.update(a.data)
    return h.digest()


class BoundedLRU:
    """At most ``max_bytes`` of values (each stored with its size), the least recently used
    evicted first; a value larger than the bound is not stored. Thread-safe."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[bytes, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Any | None:
        """The value stored under ``key`` (now the most recently used), or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: bytes, value: Any, nbytes: int) -> None:
        """Store ``value`` (``nbytes`` large) unless it is stored already or exceeds the bound."""
        if nbytes > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (value, nbytes)
            self._bytes += nbytes
            while self._bytes > self.max_bytes:
                _, (_, old) = self._items.popitem(last=False)
                self._bytes -= old

    @property
    def nbytes(self) -> int:
        """Bytes stored now."""
        return self._bytes
