"""Process memory policy for frame-sized buffers: keep them in the heap instead of the kernel.

With glibc, every allocation above 32 MB is a fresh ``mmap`` and goes back with ``munmap`` when
freed. At 540p->UHD that is every network activation (66 MB), every upscaled frame (100 MB) and
every fusion plane, so each render would touch hundreds of MB of new pages, one page fault per
4 KiB: on the project's 2-core box that was 40% of the network's time and about a fifth of the
whole of ``upscale()`` (``docs/benchmarks.md``). Raising the mmap and trim thresholds and using
one malloc arena (so frames freed on one VapourSynth thread are reused by another) lets freed
buffers be reused. The price: the process keeps its peak heap instead of returning it to the
system between frames, which a long render reaches anyway.

It is process-wide, so it is applied once, when the first AI node is built, only with glibc,
and never when ``STEADYSCALE_MALLOC=system`` is set in the environment.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading

log = logging.getLogger("steadyscale.memory")

#: glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
#: allocations up to this size come from the heap and are reused
MMAP_THRESHOLD = 1 << 30
#: free memory at the top of the heap kept for reuse instead of being returned
TRIM_THRESHOLD = (1 << 31) - 1

_lock = threading.Lock()
_applied: bool | None = None


def _glibc():
    """The C library through ctypes if it is glibc, else None."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "mallopt") else None
    except (ValueError, OSError, AttributeError):  # not POSIX, or no confstr name
        return None


def keep_frame_buffers() -> bool:
    """Apply the policy above once per process; True if it is in effect."""
    global _applied
    with _lock:
        if _applied is not None:
            return _applied
        _applied = False
        if os.environ.get("STEADYSCALE_MALLOC", "").lower() == "system":
            log.info("STEADYSCALE_MALLOC=system: leaving malloc settings alone")
            return False
        libc = _glibc()
        if libc is None:
            return False
        ok = all(libc.mallopt(p, v) == 1 for p, v in ((M_MMAP_THRESHOLD, MMAP_THRESHOLD),
                                                       (M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                                                       (M_ARENA_MAX, 1)))
        if not ok:
            log.warning("mallopt refused a setting; frame buffers may be re-faulted on every frame")
        _applied = ok
        return ok
