"""Output geometry for ``resize_to``: aspect-preserving fits that respect chroma subsampling."""

from __future__ import annotations

from dataclasses import dataclass

FITS = ("contain", "cover", "stretch", "pad")
SIZE_PRESETS = {"uhd": (3840, 2160), "dci": (4096, 2160), "hd": (1920, 1080)}


@dataclass(frozen=True)
class ResizePlan:
    """How to get from the source to the target.

    ``crop`` = ``(left, top, width, height)`` of the source region to scale (floats, sub-pixel);
    ``scaled`` = size the region is resampled to; ``pad`` = ``(left, right, top, bottom)``
    borders added afterwards; ``out`` = final size.
    """

    crop: tuple[float, float, float, float]
    scaled: tuple[int, int]
    pad: tuple[int, int, int, int]

    @property
    def out(self) -> tuple[int, int]:
        return (self.scaled[0] + self.pad[0] + self.pad[1], self.scaled[1] + self.pad[2] + self.pad[3])


def _round_to(v: float, m: int, limit: int) -> int:
    """Nearest multiple of ``m`` to ``v``, at least ``m`` and at most ``limit``."""
    r = max(m, int(round(v / m)) * m)
    while r > limit:
        r -= m
    return max(r, m)


def plan_resize(src_w: int, src_h: int, dst_w: int, dst_h: int, fit: str,
                mod_w: int = 1, mod_h: int = 1, sar: float = 1.0) -> ResizePlan:
    """Plan a resize of ``src`` onto ``dst`` (``mod_*``: size multiples the format needs) in
    square output pixels; ``sar``: the source's pixel aspect ratio (a 16:9 DVD is 720x480 at
    32:27), so an anamorphic picture keeps its display shape.

    * ``stretch``: exactly ``dst``, aspect ratio ignored.
    * ``contain``: the largest aspect-preserving size inside ``dst`` (one side may be smaller).
    * ``pad``: ``contain``, then centred black borders up to exactly ``dst``.
    * ``cover``: aspect-preserving scale that fills ``dst``, centre-cropped to exactly ``dst``.

    ``dst`` must already be a multiple of ``mod_*`` (the host validates it).
    """
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    full = (0.0, 0.0, float(src_w), float(src_h))
    if fit == "stretch":
        return ResizePlan(full, (dst_w, dst_h), (0, 0, 0, 0))
    disp_w = src_w * sar  # the source's width in square pixels
    scale_contain = min(dst_w / disp_w, dst_h / src_h)
    if fit in ("contain", "pad"):
        w = _round_to(disp_w * scale_contain, mod_w, dst_w)
        h = _round_to(src_h * scale_contain, mod_h, dst_h)
        if fit == "contain":
            return ResizePlan(full, (w, h), (0, 0, 0, 0))
        px, py = dst_w - w, dst_h - h
        left = (px // 2) // mod_w * mod_w
        top = (py // 2) // mod_h * mod_h
        return ResizePlan(full, (w, h), (left, px - left, top, py - top))
    scale = max(dst_w / disp_w, dst_h / src_h)
    cw, ch = dst_w / scale / sar, dst_h / scale
    return ResizePlan(((src_w - cw) / 2, (src_h - ch) / 2, cw, ch), (dst_w, dst_h), (0, 0, 0, 0))


def pixel_aspect(props) -> float:
    """The sample aspect ratio in frame ``props`` (``_SARNum/_SARDen``); 1 when absent or unset."""
    num, den = int(props.get("_SARNum", 0)), int(props.get("_SARDen", 0))
    return num / den if num > 0 and den > 0 else 1.0
