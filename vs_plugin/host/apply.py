"""Run an effect on a clip in any supported format: colour in, effect node, colour out."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import vapoursynth as vs

from ..effects.descriptor import Effect, Window
from . import props as colour_props
from .colour import from_rgbs, to_rgbs
from .errors import as_vs_errors, check_clip
from .node import effect_node
from .resize import resolve_format


def apply_effect(effect: Effect, clip: vs.VideoNode, values: Mapping, *,
                 scale: float = 1.0, format: int | None = None,  # noqa: A002
                 render: Callable[[Window], np.ndarray] | None = None) -> vs.VideoNode:
    """``effect`` on ``clip`` (its first ClipSpec); the output is ``scale`` times the input size
    in the input's colour family and depth, or ``format``. SD input leaving at HD or larger is
    converted to BT.709."""
    func = effect.func
    check_clip(func, clip)
    with as_vs_errors():
        params = effect.validate(values)
    fmt = resolve_format(func, clip, format)
    src = colour_props.resolve(clip, func)
    rgb = to_rgbs(clip, src)
    out_w, out_h = round(clip.width * scale), round(clip.height * scale)
    node = effect_node(effect, params, {effect.clips[0].name: rgb}, out_w, out_h, render=render)
    dst = colour_props.output_spec(src, fmt, out_w, out_h)
    return from_rgbs(node, fmt, src, dst)
