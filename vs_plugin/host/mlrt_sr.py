"""The per-frame SR pass on a vs-mlrt runtime: the same inputs as the torch SR node (frame n and
its neighbours warped onto it with their confidences) handed over as clips, the shipped ONNX
export of the built-in model run by vs-mlrt (:mod:`vs_plugin.models.mlrt`)."""

from __future__ import annotations

import vapoursynth as vs

from ..effects.upscale import ALIGNED, aligned_render
from ..models import mlrt
from .node import effect_node

core = vs.core


def _pad_to(clip: vs.VideoNode, multiple: int) -> vs.VideoNode:
    """``clip`` extended right and bottom to a multiple of ``multiple`` by repeating its edge."""
    w = -(-clip.width // multiple) * multiple
    h = -(-clip.height // multiple) * multiple
    if (w, h) == (clip.width, clip.height):
        return clip
    return core.resize.Point(clip, w, h, src_width=w, src_height=h)  # zimg repeats the edge pixels


def _zeros(like: vs.VideoNode) -> vs.VideoNode:
    return core.std.BlankClip(like, format=vs.GRAYS, color=0.0, keep=True)


def mlrt_sr(rgb: vs.VideoNode, flow: vs.VideoNode | None, desc, backend: str, precision: str, radius: int,
            tile: tuple[int, int] | None = None, func: str = "upscale") -> vs.VideoNode:
    """RGBS at ``desc.scale`` times ``rgb``'s size; ``flow`` None: single-frame (a further pass)."""
    path = mlrt.onnx_file(func, desc)
    k = desc.frames - 1
    w, h = rgb.width, rgb.height
    if k and flow is not None:
        warped = effect_node(ALIGNED, {"radius": radius}, {"clip": rgb, "flow": flow}, w, k * h, vs.RGBS,
                             render=aligned_render(radius, desc.frames, "warped"), planar_clips=("flow",))
        conf = effect_node(ALIGNED, {"radius": radius}, {"clip": rgb, "flow": flow}, w, k * h, vs.GRAYS,
                           render=aligned_render(radius, desc.frames, "conf"), planar_clips=("flow",))
        rows = lambda c, i: core.std.Crop(c, top=i * h, bottom=(k - 1 - i) * h)  # noqa: E731
        clips = [rgb] + [rows(warped, i) for i in range(k)] + [rows(conf, i) for i in range(k)]
    else:  # neighbours switched off: the centre at confidence 0 (FlowVSR's single-frame baseline)
        clips = [rgb] * (1 + k) + [_zeros(rgb)] * k
    clips = [_pad_to(c, desc.size_multiple) for c in clips]
    kw = {}
    if tile is not None:
        kw = dict(tilesize=list(tile), overlap=[16, 16])
    out = mlrt.model_node(clips, path, backend, precision, **kw)
    s = desc.scale
    if (out.width, out.height) != (w * s, h * s):
        out = core.std.Crop(out, right=out.width - w * s, bottom=out.height - h * s)
    return core.std.CopyFrameProps(out, rgb)
