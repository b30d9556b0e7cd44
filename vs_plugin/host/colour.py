"""Conversions between a clip's own format and the float RGB the effects process.

Processing happens in gamma-encoded float RGB (``RGBS``, nominal [0, 1]) in the source's
transfer and primaries; only the matrix and the range are undone. GRAY is carried as R=G=B.
"""

from __future__ import annotations

import vapoursynth as vs

from .props import ColourSpec, tag, zimg_in, zimg_out

core = vs.core


def to_rgbs(clip: vs.VideoNode, spec: ColourSpec) -> vs.VideoNode:
    """``clip`` as RGBS (chroma upsampled with bicubic), same size, same transfer/primaries."""
    fam = clip.format.color_family
    clip = tag(clip, spec)
    if fam == vs.GRAY:
        g = core.resize.Point(clip, format=vs.GRAYS, range_in=spec.range, range=1)
        return core.std.ShufflePlanes([g, g, g], [0, 0, 0], vs.RGB)
    kw = zimg_in(spec, fam)
    return core.resize.Bicubic(clip, format=vs.RGBS, transfer=spec.transfer,
                               primaries=spec.primaries, range=1, **kw)


def from_rgbs(rgb: vs.VideoNode, fmt: vs.VideoFormat, src: ColourSpec, dst: ColourSpec,
              width: int | None = None, height: int | None = None,
              kernel: str = "Bicubic") -> vs.VideoNode:
    """RGBS -> ``fmt`` with colour ``dst`` (matrix, primaries and range converted from ``src``).

    Optionally resamples to ``width`` x ``height`` in the same zimg call.
    """
    resize = getattr(core.resize, kernel)
    size = {} if width is None else dict(width=width, height=height)
    rgb = core.std.SetFrameProps(rgb, _Matrix=vs.MATRIX_RGB, _Transfer=src.transfer, _Primaries=src.primaries,
                                 _Range=1)
    if fmt.color_family == vs.GRAY:
        g = core.std.Expr(core.std.SplitPlanes(rgb), "x y + z + 3 /", format=vs.GRAYS)
        return resize(g, format=fmt.id, range_in=1, range=dst.range, **size)
    out = resize(rgb, format=fmt.id, transfer_in=src.transfer, primaries_in=src.primaries,
                 range_in=1, **zimg_out(dst, fmt.color_family), **size)
    return out
