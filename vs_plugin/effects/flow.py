"""The optical-flow effect: flow from frame n to each neighbour within the radius, at input
resolution, with forward-backward confidence, none across scene cuts.

Each pair of frames is computed once: an internal "pair" node for distance d holds the flows
m->m+d and m+d->m; the public flow node for frame n reads n->n+d from pair node frame n and
n->n-d from pair node frame n-d. Only at the mirrored clip ends is a flow computed directly.

The flow node's frames are GRAYS planes ``3 * 2r`` times the input height: for each offset in
``-r..-1, 1..r`` the x flow, the y flow and the confidence, stacked vertically.
"""

from __future__ import annotations

import numpy as np

from ..core import flow as flowlib
from .descriptor import ClipSpec, Effect, Param, Window
from .registry import register

PRESETS = tuple(flowlib.DIS_PRESETS)
FLOW_PARAMS = (
    Param("radius", "int", 2, "neighbours on each side", min=0, max=8),
    Param("preset", "choice", flowlib.DEFAULT_PRESET, "OpenCV DIS preset", choices=PRESETS),
)


def _zero(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((h, w, 2), np.float32), np.zeros((h, w), np.float32)


def _pair_render(params: dict, info: dict):
    d, preset = params["distance"], params["preset"]

    def render(win: Window):
        # the window arrives as plane views: DIS needs only the luma of the two frames it pairs
        ga, gb = (flowlib.grey_u8_planes(win.frames["clip"][i]) for i in (d, 2 * d))
        h, w = ga.shape
        if not win.valid["clip"][2 * d]:
            f_ab, c_ab = _zero(h, w)
            f_ba, c_ba = _zero(h, w)
        else:
            f_ab, c_ab, f_ba, c_ba = flowlib.flow_pair(ga, gb, preset)
        fields = [flowlib.split(f_ab, c_ab), flowlib.split(f_ba, c_ba)]  # forward, backward
        return lambda planes: flowlib.pack_fields(fields, out=planes[0])  # straight into the frame

    return render


PAIR = Effect(
    identifier="steadyscale.flow_pair", label="Flow pair", version="1.0",
    doc="Internal: both flows between frame m and frame m+distance.",
    clips=(ClipSpec("clip", "RGB input", radius="distance"),),
    params=(Param("distance", "int", 1, "frame distance", min=1, max=8), FLOW_PARAMS[1]),
    make_render=_pair_render,
)


def _flow_render(params: dict, info: dict):
    r, preset, total = params["radius"], params["preset"], info["num_frames"]

    def render(win: Window):
        frames, valid, n = win.frames["clip"], win.valid["clip"], win.n
        pairs = win.frames["pairs"]  # plane views: only the blocks used are copied, once
        h, w = frames[r][0].shape
        out = []
        for d in flowlib.window_offsets(r):
            if valid[r + d] and 0 <= n + d < total:
                # n -> n+d: forward part of pair(n, n+d), stored at frame n;
                # n -> n-d: backward part of pair(n-d, n), stored at frame n-d
                pair = flowlib.unpack_fields(pairs[r] if d > 0 else pairs[r + d], flowlib.PAIR_FIELDS * r)
                forward = flowlib.PAIR_FIELDS * (abs(d) - 1)  # the pair nodes are stacked by distance
                out.append(pair[forward] if d > 0 else pair[forward + 1])
                continue
            if valid[r + d]:  # mirrored clip end: the neighbour is a real frame, compute directly
                f, c, _, _ = flowlib.flow_pair(flowlib.grey_u8_planes(frames[r]),
                                               flowlib.grey_u8_planes(frames[r + d]), preset)
            else:
                f, c = _zero(h, w)
            out.append(flowlib.split(f, c))
        return lambda planes: flowlib.pack_fields(out, out=planes[0])  # straight into the frame

    return render


FLOW = register(Effect(
    identifier="steadyscale.flow", label="Optical flow", version="1.0",
    doc="DIS optical flow from frame n to its neighbours, with forward-backward confidence.",
    clips=(ClipSpec("clip", "input clip", radius="radius"),
           ClipSpec("pairs", "internal: stacked pair flows", radius="radius")),
    params=FLOW_PARAMS,
    make_render=_flow_render,
))


def unpack_flows(packed: np.ndarray, radius: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The flow node's frame as ``{offset: (flow (H, W, 2), confidence (H, W))}``."""
    offsets = flowlib.window_offsets(radius)
    fields = flowlib.unpack_fields(packed, len(offsets))
    return {d: (np.stack((x, y), -1), c) for d, (x, y, c) in zip(offsets, fields)}
