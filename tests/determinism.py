"""The determinism harness: every node must give identical pixels whatever the request order.

``assert_deterministic(make_node)`` renders all frames of fresh nodes in order, reversed,
shuffled (seeded) and from two threads at once, hashes every plane with its props, and asserts
that all orders agree bit-exactly.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable

import numpy as np
import vapoursynth as vs


def frame_hash(f: vs.VideoFrame, props: bool = True) -> str:
    h = hashlib.sha256()
    for p in range(f.format.num_planes):
        h.update(np.ascontiguousarray(np.asarray(f[p])).tobytes())
    if props:
        for k in sorted(f.props.keys()):
            v = f.props[k]
            if isinstance(v, vs.VideoFrame):  # e.g. _Alpha: hash its pixels, not its address
                h.update(f"{k}=frame:{frame_hash(v)}".encode())
            else:
                h.update(f"{k}={v!r}".encode())
    return h.hexdigest()


def render_hashes(node: vs.VideoNode, order: list[int]) -> dict[int, str]:
    return {n: frame_hash(node.get_frame(n)) for n in order}


def render_threads(node: vs.VideoNode, threads: int = 2) -> dict[int, str]:
    out: dict[int, str] = {}
    lock = threading.Lock()
    frames = list(range(node.num_frames))
    errors: list[BaseException] = []

    def work(part: list[int]) -> None:
        try:
            for n in part:
                h = frame_hash(node.get_frame(n))
                with lock:
                    out[n] = h
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=work, args=(frames[i::threads][::(-1) ** i],)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise errors[0]
    return out


def assert_deterministic(make_node: Callable[[], vs.VideoNode], seed: int = 0) -> dict[int, str]:
    """Render fresh nodes from ``make_node`` in four orders; return the agreed hashes."""
    node = make_node()
    n = node.num_frames
    reference = render_hashes(node, list(range(n)))
    shuffled = list(range(n))
    random.Random(seed).shuffle(shuffled)
    runs = {
        "reversed": render_hashes(make_node(), list(range(n))[::-1]),
        "shuffled": render_hashes(make_node(), shuffled),
        "two threads": render_threads(make_node()),
    }
    for name, hashes in runs.items():
        bad = [k for k in range(n) if hashes[k] != reference[k]]
        assert not bad, f"{name} order differs from in-order rendering at frames {bad}"
    return reference
