"""``resize_to``: aspect-aware, subsampling-aware, colour-correct resizing on zimg."""

from __future__ import annotations

import vapoursynth as vs

from ..core.geometry import SIZE_PRESETS, pixel_aspect, plan_resize
from ..effects.resize import RESIZE_TO
from . import props as colour_props
from .errors import as_vs_errors, check_clip, check_size_for_format, fail

core = vs.core

_KERNELS = {
    "lanczos": ("Lanczos", {"filter_param_a": 3}),
    "spline36": ("Spline36", {}),
    "spline64": ("Spline64", {}),
    "bicubic": ("Bicubic", {"filter_param_a": 1 / 3, "filter_param_b": 1 / 3}),
    "catrom": ("Bicubic", {"filter_param_a": 0, "filter_param_b": 0.5}),
    "hermite": ("Bicubic", {"filter_param_a": 0, "filter_param_b": 0}),
    "bilinear": ("Bilinear", {}),
    "point": ("Point", {}),
}


def resolve_format(func: str, clip: vs.VideoNode, fmt: int | vs.VideoFormat | None) -> vs.VideoFormat:
    """The output format: ``fmt`` if given (checked), else the input's."""
    if fmt is None:
        return clip.format
    try:
        out = core.get_video_format(fmt)
    except (vs.Error, TypeError, ValueError):
        out = None
    if out is None or out.id == 0:
        raise fail(func, f"format must be a vapoursynth video format id, got {fmt!r}")
    if out.color_family not in (vs.YUV, vs.RGB, vs.GRAY):
        raise fail(func, f"format must be YUV, RGB or GRAY, got {out.name}")
    return out


def black(fmt: vs.VideoFormat, spec: colour_props.ColourSpec) -> list[float]:
    """Black in ``fmt`` (limited or full range), one value per plane."""
    if fmt.sample_type == vs.FLOAT:
        return [0.0] * fmt.num_planes
    peak = (1 << fmt.bits_per_sample) - 1
    shift = fmt.bits_per_sample - 8
    y = (16 << shift) if (spec.range == colour_props.RANGE_LIMITED and fmt.color_family != vs.RGB) else 0
    if fmt.color_family == vs.YUV:
        mid = 128 << shift if spec.range == colour_props.RANGE_LIMITED else (peak + 1) // 2
        return [y, mid, mid]
    return [y] * fmt.num_planes


def target_size(func: str, width: int, height: int, size: str | None) -> tuple[int, int]:
    return SIZE_PRESETS[size] if size else (width, height)


def resize_to(clip: vs.VideoNode, width: int = 3840, height: int = 2160, fit: str = "contain",
              kernel: str = "lanczos", size: str | None = None,
              format: int | None = None) -> vs.VideoNode:  # noqa: A002 - VapourSynth's name
    """Resize ``clip`` to ``width`` x ``height`` (or ``size="uhd"|"dci"|"hd"``).

    ``fit``: ``contain`` keeps the aspect ratio inside the box (one side may come out smaller),
    ``pad`` adds centred black borders to exactly the box, ``cover`` fills the box and crops the
    overflow, ``stretch`` ignores the aspect ratio. Sizes respect the output's chroma
    subsampling. SD BT.601 material resized to HD or larger is converted to and tagged BT.709
    (matrix and primaries); otherwise colour props are kept. Raises ``vs.Error`` at graph-build
    time for bad clips and values.
    """
    func = "resize_to"
    check_clip(func, clip)
    with as_vs_errors():
        p = RESIZE_TO.validate(dict(width=width, height=height, fit=fit, kernel=kernel, size=size,
                                    format=format))
    fmt = resolve_format(func, clip, p["format"])
    w, h = target_size(func, p["width"], p["height"], p["size"])
    check_size_for_format(func, w, h, fmt)
    mod_w, mod_h = 1 << fmt.subsampling_w, 1 << fmt.subsampling_h
    plan = plan_resize(clip.width, clip.height, w, h, p["fit"], mod_w, mod_h,
                       sar=pixel_aspect(clip.get_frame(0).props))
    src = colour_props.resolve(clip, func)
    dst = colour_props.output_spec(src, fmt, *plan.out)
    return apply_plan(clip, plan, fmt, src, dst, p["kernel"])


def apply_plan(clip: vs.VideoNode, plan, fmt: vs.VideoFormat, src: colour_props.ColourSpec,
               dst: colour_props.ColourSpec, kernel: str) -> vs.VideoNode:
    """Run a :class:`~vs_plugin.core.geometry.ResizePlan` on ``clip`` (one zimg call + borders)."""
    name, kargs = _KERNELS[kernel]
    resize = getattr(core.resize, name)
    left, top, cw, ch = plan.crop
    kw = dict(width=plan.scaled[0], height=plan.scaled[1], format=fmt.id, src_left=left,
              src_top=top, src_width=cw, src_height=ch, **kargs)
    in_fam, out_fam = clip.format.color_family, fmt.color_family
    clip = colour_props.tag(clip, src)
    if in_fam == vs.GRAY or out_fam == vs.GRAY:
        kw.update(range_in=src.range, range=dst.range)
        if in_fam != vs.GRAY:
            kw.update(colour_props.zimg_in(src, in_fam))
            kw.setdefault("matrix_in", src.matrix)
            kw["matrix"] = dst.matrix if dst.matrix else 1
            kw.pop("primaries_in", None)
            kw.pop("transfer_in", None)
        elif out_fam != vs.GRAY:
            kw["matrix"] = dst.matrix
    else:
        kw.update(colour_props.zimg_in(src, in_fam))
        kw.update(colour_props.zimg_out(dst, out_fam))
    out = resize(clip, **kw)
    left, right, top, bottom = plan.pad
    if left or right or top or bottom:
        out = core.std.AddBorders(out, left, right, top, bottom, color=black(fmt, dst))
    return core.std.SetFrameProps(out, _SARNum=1, _SARDen=1)  # the plan's output pixels are square
