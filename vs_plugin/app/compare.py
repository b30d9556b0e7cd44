"""``steadyscale compare``: one frame of the user's own clip as source, Lanczos and steadyscale,
side by side, before committing hours to a render.

The picture is the whole steadyscale frame (scaled to fit) with the crop marked, over three
100% crops of the same place: the source's pixels enlarged without smoothing (what is really
there), Lanczos (what any player does) and steadyscale. The crop goes where the source has the
most detail unless one is given, since a crop of sky shows nothing.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from ..errors import SteadyscaleError
from ..host.arrays import rgb_array
from .render import RenderJob, build, timeline_of

#: the crops' side and the gap between panels, in output pixels
CROP, GAP = 640, 8


def parse_time(text: str) -> Fraction:
    """``12.5``, ``1:02.5`` or ``0:01:02.5`` as seconds."""
    try:
        parts = [Fraction(p) for p in text.split(":")]
        if not 1 <= len(parts) <= 3 or any(p < 0 for p in parts):
            raise ValueError
    except (ValueError, ZeroDivisionError):
        raise SteadyscaleError("compare", f"--at must be seconds (12.5), M:SS or H:MM:SS, got {text!r}") from None
    seconds = Fraction(0)
    for p in parts:
        seconds = seconds * 60 + p
    return seconds


def frame_at(times: list[Fraction], seconds: Fraction) -> int:
    """The frame on screen at ``seconds``: the last one starting at or before it."""
    n = int(np.searchsorted(np.array([float(t) for t in times]), float(seconds), side="right")) - 1
    return max(0, n)


def detail_crop(img: np.ndarray, side: int) -> tuple[int, int]:
    """(x, y) of the ``side``-pixel square holding the most detail (gradient energy) of ``img``."""
    h, w = img.shape[:2]
    side_w, side_h = min(side, w), min(side, h)
    grey = cv2.cvtColor(np.ascontiguousarray(img, dtype=np.float32), cv2.COLOR_RGB2GRAY)
    energy = np.abs(cv2.Laplacian(grey, cv2.CV_32F, ksize=3))
    box = cv2.boxFilter(energy, -1, (side_w, side_h), normalize=True, borderType=cv2.BORDER_CONSTANT)
    # the box's centre must keep it inside the frame
    cy0, cx0 = side_h // 2, side_w // 2
    inner = box[cy0:h - (side_h - cy0) + 1, cx0:w - (side_w - cx0) + 1]
    y, x = np.unravel_index(int(np.argmax(inner)), inner.shape)
    return int(x), int(y)


def _label(img: np.ndarray, text: str) -> np.ndarray:
    img = np.ascontiguousarray(img)
    for colour, thick in (((0, 0, 0), 5), ((255, 255, 255), 2)):
        cv2.putText(img, text, (14, 38), cv2.FONT_HERSHEY_SIMPLEX, 1.0, colour, thick, cv2.LINE_AA)
    return img


def _u8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def comparison(source: np.ndarray, lanczos: np.ndarray, ours: np.ndarray, labels: tuple[str, str, str],
               at: tuple[int, int] | None = None, side: int = CROP) -> np.ndarray:
    """The comparison picture (uint8 RGB) of three frames of the same output size."""
    if not source.shape == lanczos.shape == ours.shape:
        raise ValueError(f"compare: panels differ in size: {source.shape}, {lanczos.shape}, {ours.shape}")
    h, w = ours.shape[:2]
    side_w, side_h = min(side, w), min(side, h)
    x, y = at if at is not None else detail_crop(source, side)
    x, y = min(max(0, x), w - side_w), min(max(0, y), h - side_h)
    crops = [_label(_u8(img[y:y + side_h, x:x + side_w]), name) for img, name in zip((source, lanczos, ours), labels)]
    row = np.concatenate([crops[0], np.full((side_h, GAP, 3), 255, np.uint8), crops[1],
                          np.full((side_h, GAP, 3), 255, np.uint8), crops[2]], axis=1)
    width = row.shape[1]
    full = _u8(ours)
    cv2.rectangle(full, (x, y), (x + side_w - 1, y + side_h - 1), (255, 64, 64), max(2, w // 480))
    full_h = round(h * width / w)
    full = cv2.resize(full, (width, full_h), interpolation=cv2.INTER_AREA if width < w else cv2.INTER_CUBIC)
    full = _label(full, f"{labels[2]}, whole frame ({w}x{h}); the crops below are 100%")
    return np.concatenate([full, np.full((GAP, width, 3), 255, np.uint8), row], axis=0)


def default_output(src: str, frame: int) -> Path:
    """``IN.compare-NNNNNN.png`` beside the input (an image folder's beside the folder)."""
    from .batch import output_name
    return output_name(src, f"{{stem}}.compare-{frame:06d}.png", None, 0, 0, "")


def write_comparison(job: RenderJob, at: str | None, frame: int | None, out: Path | None,
                     crop: tuple[int, int] | None = None, overwrite: bool = False) -> tuple[Path, int]:
    """Render ``job``'s frame at time ``at`` (or number ``frame``) three ways and write the
    picture to ``out`` (PNG; default :func:`default_output`); returns (path, frame number)."""
    _, ours_clip = build(job)
    if frame is None:
        seconds = parse_time(at or "0")
        times = [timeline_of(job, ours_clip).at(n) for n in range(ours_clip.num_frames)]
        if seconds > times[-1] + Fraction(1, 1000):
            raise SteadyscaleError("compare", f"--at {at} is past the clip's end ({float(times[-1]):.2f}s)")
        frame = frame_at(times, seconds)
    if not 0 <= frame < ours_clip.num_frames:
        raise SteadyscaleError("compare", f"--frame must be in [0, {ours_clip.num_frames - 1}], got {frame}")
    out = default_output(job.input, frame) if out is None else out
    if out.suffix.lower() != ".png":
        raise SteadyscaleError("compare", f"-o {out}: the comparison is a PNG; give a name ending in .png")
    if out.exists() and not overwrite:
        raise SteadyscaleError("compare", f"{out} exists; pass -y to overwrite it, or choose another name")
    plain = {k: v for k, v in job.upscale.items() if k not in ("model", "ensemble", "kernel", "strength")}
    lanczos_job = replace(job, upscale={**plain, "model": "lanczos", "kernel": "lanczos"}, faces=None)
    point_job = replace(job, upscale={**plain, "model": "lanczos", "kernel": "point"}, faces=None)
    panels = [rgb_array(build(j)[1], frame) for j in (point_job, lanczos_job)] + [rgb_array(ours_clip, frame)]
    name = job.upscale.get("model", "builtin")
    picture = comparison(*panels, labels=("source (pixels as they are)", "lanczos", f"steadyscale ({name})"),
                         at=crop)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial.png")
    if not cv2.imwrite(str(tmp), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR)):
        raise SteadyscaleError("compare", f"cannot write {out}")
    tmp.replace(out)
    return out, frame
