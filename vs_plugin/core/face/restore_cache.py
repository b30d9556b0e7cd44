"""A bounded, locked, content-addressed cache of face restorations.

The face layer restores each face crop of frame k once as frame k's own face and again as a
neighbour of up to ``2 * radius`` other frames; in a sequential render most of those are the
same crop. Keys are a digest of the crop's bytes and shape, so a hit returns exactly what the
restorer would have returned (restorers are deterministic): the cache only saves time and
cannot change a pixel, whatever order frames are asked for in.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np


class RestorationCache:
    """Wrap ``restorer`` (crop -> restored crop, with ``scale``) with an LRU cache of at most
    ``max_bytes`` of outputs. Outputs are returned read-only."""

    def __init__(self, restorer, max_bytes: int = 256 << 20):
        self.restorer, self.max_bytes = restorer, max_bytes
        self._items: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __getattr__(self, name: str):  # scale, name, frames, ... of the wrapped restorer
        return getattr(self.restorer, name)

    def __call__(self, crop: np.ndarray) -> np.ndarray:
        crop = np.ascontiguousarray(crop)
        key = hashlib.blake2b(crop.tobytes(), digest_size=20, person=f"{crop.shape}{crop.dtype}".encode()[:16]).digest()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return hit
            self.misses += 1
        out = np.asarray(self.restorer(crop))
        out.setflags(write=False)
        if out.nbytes > self.max_bytes:
            return out
        with self._lock:
            if key not in self._items:
                self._items[key] = out
                self._bytes += out.nbytes
                while self._bytes > self.max_bytes:
                    _, old = self._items.popitem(last=False)
                    self._bytes -= old.nbytes
        return out
