"""Colour properties, resolved in one place: explicit argument, then frame prop, then a guess.

The guess goes by resolution and is logged: SD (at most 1024x576) is BT.601 (ST 170M for
480-line and smaller material, BT.470BG for 576-line), anything larger is BT.709; YUV and GRAY
integer material is limited range, RGB and float material full range; chroma is left-sited;
RGB material has BT.709 primaries at any size.
Props are read from frame 0 of the clip when the graph is built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import vapoursynth as vs

log = logging.getLogger("steadyscale.colour")

UNSPECIFIED = 2
RANGE_FULL, RANGE_LIMITED = 1, 0  # the _Range prop (R74+): 1 full, 0 limited
SD_MATRICES = (5, 6)  # BT.470BG, ST 170M: both BT.601


@dataclass(frozen=True)
class ColourSpec:
    """Concrete colour description of a clip (H.273 codes)."""

    matrix: int
    transfer: int
    primaries: int
    range: int  # RANGE_FULL or RANGE_LIMITED
    chromaloc: int

    @property
    def is_sd(self) -> bool:
        return self.matrix in SD_MATRICES or self.primaries in SD_MATRICES


def is_hd(width: int, height: int) -> bool:
    """HD or larger: gets BT.709 when nothing says otherwise."""
    return width > 1024 or height > 576


def guess(fmt: vs.VideoFormat, width: int, height: int) -> ColourSpec:
    """The documented guess for a clip without colour props."""
    if is_hd(width, height):
        m = p = 1
    else:
        m = p = 5 if height > 480 else 6
    if fmt.color_family == vs.RGB:  # RGB files (PNG, EXR, ...) are sRGB/BT.709 primaries
        m, p = 0, 1
    rng = RANGE_FULL if (fmt.color_family == vs.RGB or fmt.sample_type == vs.FLOAT) else RANGE_LIMITED
    return ColourSpec(matrix=m, transfer=1, primaries=p, range=rng, chromaloc=0)


def _from_props(props) -> dict:
    out = {}
    for key, field in (("_Matrix", "matrix"), ("_Transfer", "transfer"), ("_Primaries", "primaries"),
                       ("_ChromaLocation", "chromaloc")):
        if key in props and int(props[key]) != UNSPECIFIED:
            out[field] = int(props[key])
    if "_Range" in props:
        out["range"] = int(props["_Range"])
    elif "_ColorRange" in props:  # legacy API: 0 full, 1 limited
        out["range"] = RANGE_FULL if int(props["_ColorRange"]) == 0 else RANGE_LIMITED
    return out


def resolve(clip: vs.VideoNode, func: str, **explicit: int | None) -> ColourSpec:
    """Colour of ``clip``: ``explicit`` (matrix=, range=, ...) > frame-0 props > guess (logged)."""
    base = guess(clip.format, clip.width, clip.height)
    props = _from_props(clip.get_frame(0).props)
    given = {k: v for k, v in explicit.items() if v is not None}
    missing = [k for k in ("matrix", "transfer", "primaries", "range")
               if k not in props and k not in given
               and not (k == "matrix" and clip.format.color_family != vs.YUV)]
    if missing:
        log.info("steadyscale.%s: no %s on a %dx%d clip; assuming %s", func,
                 "/".join(missing), clip.width, clip.height,
                 ", ".join(f"{k}={getattr(base, k)}" for k in missing))
    spec = replace(base, **props, **given)
    if clip.format.color_family == vs.RGB:
        spec = replace(spec, matrix=0)
    elif spec.matrix == 0:
        spec = replace(spec, matrix=base.matrix if base.matrix else 1)
    return spec


def output_spec(src: ColourSpec, fmt: vs.VideoFormat, width: int, height: int) -> ColourSpec:
    """Colour of an output of ``width``x``height``: SD material becomes BT.709 at HD and above."""
    spec = src
    if is_hd(width, height) and src.is_sd:
        spec = replace(spec, matrix=1, primaries=1, transfer=1)
    if fmt.color_family == vs.RGB:
        spec = replace(spec, matrix=0, range=RANGE_FULL if fmt.sample_type == vs.FLOAT else spec.range)
    elif spec.matrix == 0:  # RGB source going to YUV/GRAY: matrix by output size
        spec = replace(spec, matrix=1 if is_hd(width, height) else (5 if height > 480 else 6))
    return spec


def tag(clip: vs.VideoNode, spec: ColourSpec) -> vs.VideoNode:
    """Stamp ``spec`` on every frame. zimg lets frame props win over its ``*_in`` arguments, so
    the resolved spec (including explicit overrides) must live in the props."""
    kw = dict(_Transfer=spec.transfer, _Primaries=spec.primaries, _Range=spec.range)
    if clip.format.color_family == vs.YUV:
        kw.update(_Matrix=spec.matrix, _ChromaLocation=spec.chromaloc)
    elif clip.format.color_family == vs.RGB:
        kw.update(_Matrix=0)
    return vs.core.std.SetFrameProps(clip, **kw)


def zimg_in(spec: ColourSpec, family: int) -> dict:
    """Keyword arguments describing the source side of a zimg call."""
    kw = dict(transfer_in=spec.transfer, primaries_in=spec.primaries, range_in=spec.range)
    if family == vs.YUV:
        kw.update(matrix_in=spec.matrix, chromaloc_in=spec.chromaloc)
    return kw


def zimg_out(spec: ColourSpec, family: int) -> dict:
    """Keyword arguments describing the destination side of a zimg call."""
    kw = dict(transfer=spec.transfer, primaries=spec.primaries, range=spec.range)
    if family == vs.YUV:
        kw.update(matrix=spec.matrix, chromaloc=spec.chromaloc)
    return kw
