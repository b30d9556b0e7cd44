"""Open inputs: video files with vapoursynth-bestsource, image sequences with OpenCV."""

from __future__ import annotations

import glob
import logging
from pathlib import Path

import cv2
import numpy as np
import vapoursynth as vs

from ..errors import SteadyscaleError

log = logging.getLogger("steadyscale.source")

core = vs.core
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".exr")


def is_glob(path: str) -> bool:
    """Whether ``path`` is a pattern (``*``, ``?``, ``[``) rather than a name that exists."""
    return any(c in path for c in "*?[") and not Path(path).exists()


def image_files(path: str) -> list[Path]:
    """Files of an image sequence: a folder of images or a glob pattern; [] otherwise."""
    p = Path(path)
    if p.is_dir():
        return sorted(q for q in p.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES)
    if is_glob(path):
        return sorted(Path(q) for q in glob.glob(path) if Path(q).suffix.lower() in IMAGE_SUFFIXES)
    return []


def image_sequence(files: list[Path], fpsnum: int = 24, fpsden: int = 1) -> vs.VideoNode:
    """An RGBS clip reading one image per frame on demand (8/16-bit files scaled to [0, 1])."""
    first = cv2.imread(str(files[0]), cv2.IMREAD_UNCHANGED)
    if first is None:
        raise SteadyscaleError("source", f"cannot read image {files[0]}")
    if first.ndim == 3 and first.shape[2] == 4:
        log.warning("steadyscale.source: %s has an alpha channel; it is not upscaled (the colour is)", files[0].name)
    h, w = first.shape[:2]
    blank = core.std.BlankClip(width=w, height=h, format=vs.RGBS, length=len(files), fpsnum=fpsnum, fpsden=fpsden)

    def load(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        img = cv2.imread(str(files[n]), cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH)
        if img is None or img.shape[:2] != (h, w):
            raise vs.Error(f"steadyscale.source: cannot read {files[n]} as a {w}x{h} image")
        scale = 65535.0 if img.dtype == np.uint16 else (1.0 if img.dtype == np.float32 else 255.0)
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32) / scale
        fout = f.copy()
        for p in range(3):
            np.copyto(np.asarray(fout[p]), rgb[..., p])
        return fout

    clip = core.std.ModifyFrame(blank, blank, load)
    return core.std.SetFrameProps(clip, _Matrix=vs.MATRIX_RGB, _Range=vs.RANGE_FULL,
                                 _Primaries=vs.PRIMARIES_BT709, _Transfer=vs.TRANSFER_IEC_61966_2_1)


def parse_fps(fps: str) -> tuple[int, int]:
    """``"25"``, ``"30000/1001"`` or ``"29.97"`` as a positive (num, den)."""
    from fractions import Fraction
    try:
        f = Fraction(fps).limit_denominator(1001)
    except (ValueError, ZeroDivisionError):
        f = Fraction(0)
    if f <= 0:
        raise SteadyscaleError("source", f"--fps must be a positive rate such as 25 or 30000/1001, got {fps!r}")
    return f.numerator, f.denominator


def open_source(path: str, fps: str | None = None) -> vs.VideoNode:
    """A clip for ``path``: a video file (bestsource, frame-accurate, honours MP4 edit lists)
    or an image sequence (folder or glob) at ``fps`` (default 24; video files keep their own)."""
    files = image_files(path)
    if files:
        return image_sequence(files, *parse_fps(fps or "24"))
    if fps is not None:
        raise SteadyscaleError("source", f"--fps is for image sequences; {path} keeps its own frame rate")
    if not Path(path).is_file():
        raise SteadyscaleError("source", f"input not found: {path}")
    if not hasattr(core, "bs"):
        raise SteadyscaleError("source", "opening video files needs vapoursynth-bestsource "
                                         "(pip install vapoursynth-bestsource)")
    try:
        return core.bs.VideoSource(str(path), cachemode=0)
    except vs.Error as e:
        if "Invalid track index" in str(e):  # bestsource's words for "no video stream"
            raise SteadyscaleError("source", f"{path} has no video stream (audio only?); give a video file "
                                             "or an image sequence") from None
        raise SteadyscaleError("source", f"cannot open {path}: {e}") from None
