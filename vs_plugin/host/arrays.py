"""Clips from numpy arrays and arrays from clips (demo, tests, evaluation scripts)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import vapoursynth as vs

core = vs.core


def clip_from_arrays(frames: Sequence[np.ndarray], fpsnum: int = 24, fpsden: int = 1) -> vs.VideoNode:
    """An RGBS clip whose frame n is ``frames[n]`` (``(H, W, 3)`` float in [0, 1]).

    The arrays are referenced, not copied: do not modify them while the clip is in use.
    """
    if not frames:
        raise ValueError("clip_from_arrays: need at least one frame")
    h, w = frames[0].shape[:2]
    blank = core.std.BlankClip(width=w, height=h, format=vs.RGBS, length=len(frames),
                               fpsnum=fpsnum, fpsden=fpsden)

    def put(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        fout = f.copy()
        for p in range(3):
            np.copyto(np.asarray(fout[p]), frames[n][..., p], casting="same_kind")
        return fout

    return core.std.SetFrameProps(core.std.ModifyFrame(blank, blank, put), _Matrix=vs.MATRIX_RGB, _Range=vs.RANGE_FULL)


def frame_to_array(f: vs.VideoFrame) -> np.ndarray:
    """Planes of a frame as ``(H, W, planes)`` (any sample type), copied."""
    return np.stack([np.array(f[p], copy=True) for p in range(f.format.num_planes)], axis=-1)


def rgb_array(clip: vs.VideoNode, n: int, matrix: int | None = None) -> np.ndarray:
    """Frame ``n`` of any clip as float RGB ``(H, W, 3)`` (via zimg; YUV matrix from props or
    ``matrix``)."""
    kw = {} if matrix is None else {"matrix_in": matrix}
    if clip.format.color_family == vs.GRAY:
        g = core.resize.Point(clip, format=vs.GRAYS)
        clip = core.std.ShufflePlanes([g, g, g], [0, 0, 0], vs.RGB)
    rgb = core.resize.Bicubic(clip, format=vs.RGBS, **kw)
    return frame_to_array(rgb.get_frame(n))
