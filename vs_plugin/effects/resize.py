"""Descriptor of ``resize_to``: the exact-size step every path ends with (host-native, zimg)."""

from __future__ import annotations

from ..core.geometry import FITS
from .descriptor import ClipSpec, Effect, Param
from .registry import register

KERNELS = ("lanczos", "spline36", "spline64", "bicubic", "catrom", "hermite", "bilinear", "point")

SIZE_PARAMS = (
    Param("width", "int", 3840, "output width in pixels", min=16, max=16384),
    Param("height", "int", 2160, "output height in pixels", min=16, max=16384),
    Param("size", "choice", None, "size preset that overrides width/height", choices=("uhd", "dci", "hd"),
          nullable=True),
    Param("fit", "choice", "contain", "how the aspect ratio is kept: inside the box (contain), "
          "inside with black borders (pad), filling and cropping (cover), or not at all (stretch)",
          choices=FITS),
)

RESIZE_TO = register(Effect(
    identifier="steadyscale.resize_to",
    label="Resize to",
    version="1.0",
    doc="Resize to an exact output size with VapourSynth's zimg resizer, colour-correctly.",
    clips=(ClipSpec("clip", "input clip"),),
    params=SIZE_PARAMS + (
        Param("kernel", "choice", "lanczos", "resampling kernel (zimg)", choices=KERNELS),
        Param("format", "int", None, "output format id (vs.YUV420P10, ...); default: the input's",
              nullable=True),
    ),
))
