"""Graph-build-time validation of clips, raising ``vs.Error`` worded like every other error."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import vapoursynth as vs

from ..errors import SteadyscaleError

SUPPORTED_FAMILIES = (vs.YUV, vs.RGB, vs.GRAY)


def fail(func: str, message: str) -> vs.Error:
    """The ``vs.Error`` for ``steadyscale.<func>: <message>``."""
    return vs.Error(f"steadyscale.{func}: {message}")


@contextlib.contextmanager
def as_vs_errors() -> Iterator[None]:
    """Re-raise the pure layers' :class:`SteadyscaleError` as ``vs.Error`` with the same text."""
    try:
        yield
    except SteadyscaleError as e:
        raise vs.Error(str(e)) from None


def check_clip(func: str, clip: object, name: str = "clip") -> vs.VideoNode:
    """A constant-format, constant-size, non-empty video clip of a supported family and depth."""
    if not isinstance(clip, vs.VideoNode):
        raise fail(func, f"{name} must be a vapoursynth.VideoNode, got {type(clip).__name__}")
    fmt = clip.format
    if fmt is None or fmt.id == vs.PresetVideoFormat.NONE:
        raise fail(func, f"{name} has a variable format; convert it to one format first "
                         "(e.g. core.resize.Bicubic(clip, format=vs.YUV420P10))")
    if clip.width == 0 or clip.height == 0:
        raise fail(func, f"{name} has a variable size; resize it to one size first")
    if clip.num_frames < 1:
        raise fail(func, f"{name} has no frames (num_frames={clip.num_frames}); at least 1 is needed")
    if fmt.color_family not in SUPPORTED_FAMILIES:
        raise fail(func, f"{name} has unsupported colour family {fmt.color_family.name}; "
                         "allowed: YUV, RGB, GRAY")
    if fmt.sample_type == vs.INTEGER and not 8 <= fmt.bits_per_sample <= 16:
        raise fail(func, f"{name} has unsupported bit depth {fmt.bits_per_sample} in {fmt.name}; "
                         "allowed: 8-16 bit integer, 16/32 bit float")
    if fmt.color_family == vs.YUV and (fmt.subsampling_w, fmt.subsampling_h) not in ((1, 1), (1, 0), (0, 0)):
        raise fail(func, f"{name} has unsupported subsampling in {fmt.name}; allowed: 4:2:0, 4:2:2, 4:4:4")
    return clip


def subsampling_name(fmt: vs.VideoFormat) -> str:
    if fmt.color_family != vs.YUV:
        return fmt.color_family.name
    return {(1, 1): "YUV420", (1, 0): "YUV422", (0, 0): "YUV444"}.get(
        (fmt.subsampling_w, fmt.subsampling_h), fmt.name)


def check_size_for_format(func: str, width: int, height: int, fmt: vs.VideoFormat) -> None:
    """Even sizes where chroma subsampling needs them."""
    mw, mh = 1 << fmt.subsampling_w, 1 << fmt.subsampling_h
    what = subsampling_name(fmt)
    if width % mw:
        raise fail(func, f"width must be a multiple of {mw} for {what}, got {width}")
    if height % mh:
        raise fail(func, f"height must be a multiple of {mh} for {what}, got {height}")
