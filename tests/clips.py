"""Small synthetic clips for tests: exact, seeded, no files needed."""

from __future__ import annotations

import numpy as np
import vapoursynth as vs

from vs_plugin.host.arrays import clip_from_arrays as from_arrays  # noqa: F401

core = vs.core


def textured_scene(n: int, w: int = 96, h: int = 64, seed: int = 0, speed: float = 1.5) -> list[np.ndarray]:
    """A smooth random texture panning ``speed`` px/frame to the right."""
    rng = np.random.default_rng(seed)
    big = rng.random((h + 8, w + int(abs(speed) * n) + 16, 3)).astype(np.float32)
    import cv2
    big = cv2.GaussianBlur(big, (0, 0), 1.2)
    big = (big - big.min()) / (big.max() - big.min())
    out = []
    for t in range(n):
        x = 8 + speed * t
        m = np.float32([[1, 0, x], [0, 1, 4]])
        out.append(cv2.warpAffine(big, m, (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP))
    return [np.clip(f, 0, 1) for f in out]


def as_format(rgb: vs.VideoNode, fmt: int, matrix: str = "709") -> vs.VideoNode:
    f = core.get_video_format(fmt)
    kw = {"matrix_s": matrix} if f.color_family in (vs.YUV, vs.GRAY) else {}
    return core.resize.Bicubic(rgb, format=fmt, **kw)
