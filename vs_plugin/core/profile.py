"""Where a render's time goes, stage by stage, as VapourSynth runs it with frames in flight.

Off unless :func:`profiling` is active; then every effect node (flow, SR, detail, fusion, ...)
adds the wall and thread-CPU time of each frame it renders to the active :class:`Profile`.
VapourSynth's own filters (source, resizes, format conversions) are timed by VapourSynth
(``core.timings``; see ``scripts/profile_upscale.py``). Stage times overlap when frames are in
flight, so their sum exceeds the wall time of the render; the CPU columns add up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Stage:
    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0


@dataclass
class Profile:
    stages: dict[str, Stage] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, label: str, wall: float, cpu: float) -> None:
        with self.lock:
            s = self.stages.setdefault(label, Stage())
            s.calls += 1
            s.wall += wall
            s.cpu += cpu


_active: Profile | None = None


def active() -> Profile | None:
    """The profile being recorded, if any (one attribute read per frame when off)."""
    return _active


@contextmanager
def profiling() -> Iterator[Profile]:
    """Record the effect nodes' frame times while the block runs."""
    global _active
    prof = Profile()
    _active = prof
    try:
        yield prof
    finally:
        _active = None


@contextmanager
def stage(label: str) -> Iterator[None]:
    """Time the block as ``label`` in the active profile (nothing when none is active)."""
    prof = _active
    if prof is None:
        yield
        return
    t0, c0 = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        prof.add(label, time.perf_counter() - t0, time.thread_time() - c0)
