"""A bounded, locked, content-addressed cache of face restorations.

The face layer needs the restored detail of frame k's face when it renders frame k and again
when it renders each of up to ``2 * radius`` neighbours; a super-resolution restorer gets the
same crop each time (frame k's own box, see ``layer._own_detail``). Keys are a digest of the
crop's bytes, shape and the detail band's sigma, so a hit returns exactly what the restorer
would have given (restorers are deterministic): the cache only saves time and cannot change a
pixel, whatever order frames are asked for in.
"""

from __future__ import annotations

import numpy as np

from ..fusion import highpass
from ..lru import BoundedLRU, content_key


class RestorationCache:
    """Wrap ``restorer`` (crop -> restored crop, with ``scale``) with an LRU cache of at most
    ``max_bytes`` of outputs. Outputs are returned read-only."""

    def __init__(self, restorer, max_bytes: int = 256 << 20):
        self.restorer = restorer
        self.store = BoundedLRU(max_bytes)
        self.hits = self.misses = 0

    def __getattr__(self, name: str):  # scale, name, frames, ... of the wrapped restorer
        return getattr(self.restorer, name)

    def __call__(self, crop: np.ndarray) -> np.ndarray:
        return self._get(crop, None)

    def restored_detail(self, crop: np.ndarray, sigma: float) -> np.ndarray:
        """The restoration of ``crop`` less its Gaussian low-pass (``sigma`` output pixels), the
        face layer's detail band, cached as such (the blur of a large face costs as much as a
        quarter of its restoration)."""
        return self._get(crop, sigma)

    def _get(self, crop: np.ndarray, sigma: float | None) -> np.ndarray:
        key = content_key(crop, tag=f"{sigma}")
        hit = self.store.get(key)
        if hit is not None:
            self.hits += 1
            return hit
        self.misses += 1
        out = np.asarray(self.restorer(crop), np.float32)
        if sigma is not None:
            out = highpass(out, sigma)
        out.setflags(write=False)
        self.store.put(key, out, out.nbytes)
        return out
