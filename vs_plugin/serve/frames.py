"""Frames on demand for the frame server: rendered through the VapourSynth graph, kept in a
bounded cache, the next ones rendered ahead in a background thread.

Any frame can be rendered in any order (every output frame is a pure function of its input
window), so a reader may seek anywhere: a read blocks until its frames are ready, never gets a
placeholder. The cache holds encoded bytes (a y4m frame, a TIFF image) up to ``cache_mb``;
least recently used entries go first. A render error is raised to the reader
(:class:`RenderError`) and logged once on stderr.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from ..errors import SteadyscaleException

log = logging.getLogger("steadyscale.serve")


def one_line(e: BaseException) -> str:
    """The message of ``e`` on one line: the last line of a traceback VapourSynth wraps in it."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return lines[-1] if lines else type(e).__name__


class RenderError(SteadyscaleException, RuntimeError):
    """A frame could not be rendered (the front ends answer EIO / HTTP 500)."""


class FrameStore:
    """``get(kind, n)`` -> bytes of frame ``n`` encoded by ``encoders[kind]``, cached and read ahead.

    Args:
        num_frames: frames in the clip.
        encoders: ``kind -> (n -> bytes)``: render frame ``n`` and encode it (y4m, TIFF); called
            from worker threads.
        cache_mb: bound of the cache (encoded bytes), at least one frame of each kind is kept.
        readahead: frames rendered ahead of the last one read (0 = off).
        workers: threads rendering at once (VapourSynth adds its own threads inside a frame).
    """

    def __init__(self, num_frames: int, encoders: dict[str, Callable[[int], bytes]],
                 cache_mb: float = 512, readahead: int = 4, workers: int = 2):
        self.num_frames, self._encoders = num_frames, encoders
        self.limit = int(cache_mb * (1 << 20))
        self.readahead = readahead
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[tuple[str, int], Future] = {}
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="steadyscale-render")
        self.renders = 0  # frames rendered (a measure for tests and logs)
        self._size: dict[str, int] = {}  # last encoded size per kind, for read-ahead room

    def _work(self, key: tuple[str, int]) -> bytes:
        kind, n = key
        try:
            data = self._encoders[kind](n)
        except Exception as e:  # noqa: BLE001 - any render failure becomes a read error
            msg = one_line(e)
            log.error("steadyscale serve: frame %d (%s) failed: %s", n, kind, msg)
            raise RenderError(f"frame {n}: {msg}") from e
        with self._lock:
            self.renders += 1
            self._size[kind] = len(data)
            self._inflight.pop(key, None)
            if key not in self._cache:
                self._cache[key] = data
                self._bytes += len(data)
                while self._bytes > self.limit and len(self._cache) > 1:
                    _, old = self._cache.popitem(last=False)
                    self._bytes -= len(old)
        return data

    def _future(self, key: tuple[str, int]) -> tuple[bytes | None, Future | None]:
        """Cached bytes, or the future that renders them (started if needed); under the lock."""
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key], None
        fut = self._inflight.get(key)
        if fut is None:
            fut = self._pool.submit(self._work, key)
            self._inflight[key] = fut
            fut.add_done_callback(lambda f, k=key: self._forget(k, f))
        return None, fut

    def _forget(self, key, fut: Future) -> None:
        if fut.exception() is not None:  # a failed render is tried again by the next reader
            with self._lock:
                if self._inflight.get(key) is fut:
                    del self._inflight[key]

    def get(self, kind: str, n: int) -> bytes:
        if not 0 <= n < self.num_frames:
            raise IndexError(f"frame {n} outside [0, {self.num_frames})")
        with self._lock:
            data, fut = self._future((kind, n))
            ahead = [(kind, m) for m in range(n + 1, min(self.num_frames, n + 1 + self.readahead))]
            room = self.limit - self._bytes - sum(self._size.get(k, 0) for k in self._inflight)
            size = self._size.get(kind, 0)
            for k in ahead if size else ():  # read-ahead only into free room: it never evicts what readers use
                if k in self._cache or k in self._inflight:
                    continue
                if room < size:
                    break
                self._future(k)
                room -= size
        if data is not None:
            return data
        return fut.result()

    def cached_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
