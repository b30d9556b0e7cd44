"""``steadyscale demo``: make a sample clip, upscale it to UHD, encode it, write a comparison."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import vapoursynth as vs

from ..encode import encode
from ..host.arrays import clip_from_arrays, rgb_array
from ..host.resize import resize_to
from .sample import camera_motion, sample_photo

core = vs.core
log = logging.getLogger("steadyscale.demo")


def sample_clip(frames: int = 48, width: int = 480, height: int = 270) -> vs.VideoNode:
    """The demo's source: YUV 4:2:0 8-bit, BT.601 limited range, like an SD camera file."""
    rgb = clip_from_arrays(camera_motion(sample_photo(), frames, width, height))
    rgb = core.std.SetFrameProps(rgb, _Primaries=vs.PRIMARIES_ST170_M, _Transfer=vs.TRANSFER_BT601)
    return core.resize.Bicubic(rgb, format=vs.YUV420P8, matrix=vs.MATRIX_ST170_M, range=vs.RANGE_LIMITED,
                               primaries=vs.PRIMARIES_ST170_M, transfer=vs.TRANSFER_BT601)


def best_upscale(src: vs.VideoNode, width: int, height: int) -> tuple[vs.VideoNode, str]:
    """The best path that exists: ``upscale()`` with the built-in model, else ``resize_to``."""
    from ..host.upscale import upscale
    from ..models.choice import family_model

    desc = family_model("builtin", max(width / src.width, height / src.height))  # upscale()'s default
    if desc is None:
        log.warning("no built-in model shipped yet: the demo uses resize_to (Lanczos)")
        return resize_to(src, width, height), "resize_to (lanczos)"
    return upscale(src, width, height), f"upscale ({desc.name})"


def _crop_pair(a: np.ndarray, b: np.ndarray, label_a: str, label_b: str, box: int = 560) -> np.ndarray:
    h, w = a.shape[:2]
    y0, x0 = int(h * 0.18), (w - box) // 2
    crops = []
    for img, label in ((a, label_a), (b, label_b)):
        c = (np.clip(img[y0:y0 + box, x0:x0 + box], 0, 1) * 255 + 0.5).astype(np.uint8)
        c = np.ascontiguousarray(c)
        cv2.putText(c, label, (12, 36), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 4, cv2.LINE_AA)
        cv2.putText(c, label, (12, 36), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2, cv2.LINE_AA)
        crops.append(c)
    gap = np.full((box, 8, 3), 255, np.uint8)
    return np.concatenate([crops[0], gap, crops[1]], axis=1)


def run_demo(out_dir: Path, frames: int = 24, width: int = 3840, height: int = 2160,
             progress: Callable[[int, int], None] | None = None) -> dict[str, Path | str]:
    """Write ``demo_uhd.mp4`` (x265) and ``compare.png`` into ``out_dir``; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    src = sample_clip(frames)
    up, path_name = best_upscale(src, width, height)
    video = encode(core.resize.Point(up, format=vs.YUV420P10), out_dir / "demo_uhd.mp4",
                   "libx265", crf=20, extra_args=["-preset", "veryfast"], progress=progress)
    mid = frames // 2
    lanczos = rgb_array(resize_to(src, width, height, kernel="lanczos"), mid)
    best = rgb_array(up, mid)
    png = out_dir / "compare.png"
    pair = _crop_pair(lanczos, best, "lanczos", path_name)
    cv2.imwrite(str(png), cv2.cvtColor(pair, cv2.COLOR_RGB2BGR))
    src_png = out_dir / "source_frame.png"
    cv2.imwrite(str(src_png), cv2.cvtColor((np.clip(rgb_array(src, mid), 0, 1) * 255 + 0.5).astype(np.uint8),
                                           cv2.COLOR_RGB2BGR))
    return {"video": video, "compare": png, "source_frame": src_png, "path": path_name}
