"""Neighbour frames as shifted clips in the graph (mirror-padded at the clip ends)."""

from __future__ import annotations

import vapoursynth as vs

core = vs.core


def reflect(i: int, n: int) -> int:
    """Mirror index ``i`` into ``[0, n)`` without repeating the edge frame (..., 2, 1, 0, 1, 2, ...)."""
    if n == 1:
        return 0
    period = 2 * (n - 1)
    i %= period
    return period - i if i >= n else i


def shifted(clip: vs.VideoNode, offset: int) -> vs.VideoNode:
    """A clip whose frame n is ``clip[reflect(n + offset)]``; same length as ``clip``."""
    n = clip.num_frames
    if offset == 0:
        return clip
    idx = [reflect(k + offset, n) for k in range(n)]
    pieces, start = [], 0
    for k in range(1, n + 1):
        if k == n or idx[k] != idx[k - 1] + 1:
            pieces.append(core.std.Trim(clip, idx[start], idx[k - 1]))
            start = k
    return pieces[0] if len(pieces) == 1 else core.std.Splice(pieces)


def cut_between(props_window: list, centre: int) -> list[bool]:
    """For each window position, True if a scene cut separates it from the centre.

    ``props_window`` are the frame props of consecutive window positions; a cut between
    positions ``k-1`` and ``k`` is flagged by ``_SceneChangePrev`` on ``k`` or
    ``_SceneChangeNext`` on ``k-1``.
    """
    m = len(props_window)

    def cut(k: int) -> bool:  # cut between k-1 and k
        return bool(props_window[k].get("_SceneChangePrev", 0)) or \
            bool(props_window[k - 1].get("_SceneChangeNext", 0))

    out = [False] * m
    for k in range(centre + 1, m):
        out[k] = out[k - 1] or cut(k)
    for k in range(centre - 1, -1, -1):
        out[k] = out[k + 1] or cut(k + 1)
    return out
