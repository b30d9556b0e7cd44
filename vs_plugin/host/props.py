"""Colour properties, resolved in one place: explicit argument, then frame prop, then a guess.

The guess goes by resolution and is logged: SD (at most 1024x576) is BT.601 (ST 170M for
480-line and smaller material, BT.470BG for 576-line), anything larger is BT.709; YUV and GRAY
integer material is limited range, RGB and float material full range; chroma is left-sited;
RGB material has BT.709 primaries at any size.
Props are read from frame 0 of the clip when the graph is built. Every code is one of
VapourSynth's own enums (``vs.MatrixCoefficients``, ``vs.TransferCharacteristics``,
``vs.ColorPrimaries``, ``vs.ColorRange``, ``vs.ChromaLocation``: H.273 values, IntEnums that zimg
and the frame props take as they are), never a bare number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import vapoursynth as vs

log = logging.getLogger("steadyscale.colour")

Matrix, Transfer, Primaries = vs.MatrixCoefficients, vs.TransferCharacteristics, vs.ColorPrimaries
Range, ChromaLoc = vs.ColorRange, vs.ChromaLocation
RANGE_FULL, RANGE_LIMITED = Range.RANGE_FULL, Range.RANGE_LIMITED  # the _Range prop (R74+)
SD_MATRICES = (Matrix.MATRIX_BT470_BG, Matrix.MATRIX_ST170_M)  # both BT.601
SD_PRIMARIES = (Primaries.PRIMARIES_BT470_BG, Primaries.PRIMARIES_ST170_M)
#: each prop, its field and its enum; an unspecified value counts as absent
_PROPS = (("_Matrix", "matrix", Matrix, Matrix.MATRIX_UNSPECIFIED),
          ("_Transfer", "transfer", Transfer, Transfer.TRANSFER_UNSPECIFIED),
          ("_Primaries", "primaries", Primaries, Primaries.PRIMARIES_UNSPECIFIED),
          ("_ChromaLocation", "chromaloc", ChromaLoc, None))


@dataclass(frozen=True)
class ColourSpec:
    """Concrete colour description of a clip."""

    matrix: vs.MatrixCoefficients
    transfer: vs.TransferCharacteristics
    primaries: vs.ColorPrimaries
    range: vs.ColorRange
    chromaloc: vs.ChromaLocation

    def __post_init__(self):  # plain ints (explicit arguments, old callers) become the enums
        for f, enum in (("matrix", Matrix), ("transfer", Transfer), ("primaries", Primaries),
                        ("range", Range), ("chromaloc", ChromaLoc)):
            object.__setattr__(self, f, enum(int(getattr(self, f))))

    @property
    def is_sd(self) -> bool:
        return self.matrix in SD_MATRICES or self.primaries in SD_PRIMARIES


def is_hd(width: int, height: int) -> bool:
    """HD or larger: gets BT.709 when nothing says otherwise."""
    return width > 1024 or height > 576


def guess(fmt: vs.VideoFormat, width: int, height: int) -> ColourSpec:
    """The documented guess for a clip without colour props."""
    m, p = sd_or_hd(width, height)
    if fmt.color_family == vs.RGB:  # RGB files (PNG, EXR, ...) are sRGB/BT.709 primaries
        m, p = Matrix.MATRIX_RGB, Primaries.PRIMARIES_BT709
    rng = RANGE_FULL if (fmt.color_family == vs.RGB or fmt.sample_type == vs.FLOAT) else RANGE_LIMITED
    return ColourSpec(matrix=m, transfer=Transfer.TRANSFER_BT709, primaries=p, range=rng,
                      chromaloc=ChromaLoc.CHROMA_LEFT)


def sd_or_hd(width: int, height: int) -> tuple[vs.MatrixCoefficients, vs.ColorPrimaries]:
    """The matrix and primaries a frame of this size is assumed to have: BT.709 at HD, else
    BT.470BG (576 lines) or ST 170M (480 lines and fewer)."""
    if is_hd(width, height):
        return Matrix.MATRIX_BT709, Primaries.PRIMARIES_BT709
    if height > 480:
        return Matrix.MATRIX_BT470_BG, Primaries.PRIMARIES_BT470_BG
    return Matrix.MATRIX_ST170_M, Primaries.PRIMARIES_ST170_M


def _from_props(props) -> dict:
    out = {}
    for key, field, enum, unspecified in _PROPS:
        if key in props and int(props[key]) != unspecified:
            try:
                out[field] = enum(int(props[key]))
            except ValueError:  # a code VapourSynth has no name for: as if absent (guessed, logged)
                log.warning("steadyscale: ignoring %s=%s (not a known code)", key, props[key])
    if "_Range" in props:
        out["range"] = Range(int(props["_Range"]))
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
        spec = replace(spec, matrix=Matrix.MATRIX_RGB)
    elif spec.matrix == Matrix.MATRIX_RGB:
        spec = replace(spec, matrix=base.matrix if base.matrix != Matrix.MATRIX_RGB else Matrix.MATRIX_BT709)
    return spec


def output_spec(src: ColourSpec, fmt: vs.VideoFormat, width: int, height: int) -> ColourSpec:
    """Colour of an output of ``width``x``height``: SD material becomes BT.709 at HD and above."""
    spec = src
    if is_hd(width, height) and src.is_sd:
        spec = replace(spec, matrix=Matrix.MATRIX_BT709, primaries=Primaries.PRIMARIES_BT709,
                       transfer=Transfer.TRANSFER_BT709)
    if fmt.color_family == vs.RGB:
        spec = replace(spec, matrix=Matrix.MATRIX_RGB, range=RANGE_FULL if fmt.sample_type == vs.FLOAT else spec.range)
    elif spec.matrix == Matrix.MATRIX_RGB:  # RGB source going to YUV/GRAY: matrix by output size
        spec = replace(spec, matrix=sd_or_hd(width, height)[0])
    return spec


def tag(clip: vs.VideoNode, spec: ColourSpec) -> vs.VideoNode:
    """Stamp ``spec`` on every frame. zimg lets frame props win over its ``*_in`` arguments, so
    the resolved spec (including explicit overrides) must live in the props."""
    kw = dict(_Transfer=spec.transfer, _Primaries=spec.primaries, _Range=spec.range)
    if clip.format.color_family == vs.YUV:
        kw.update(_Matrix=spec.matrix, _ChromaLocation=spec.chromaloc)
    elif clip.format.color_family == vs.RGB:
        kw.update(_Matrix=Matrix.MATRIX_RGB)
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
