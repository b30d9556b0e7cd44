"""Turn an :class:`~vs_plugin.effects.Effect` into a VapourSynth node.

Every neighbour a render needs arrives as a shifted clip of the graph (see :mod:`.window`), so
frame n of the output is a pure function of the input frames in its window, whatever order or
thread the frames are requested in. No ``get_frame`` happens inside the frame callback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import numpy as np
import vapoursynth as vs

from ..core import profile
from ..effects.descriptor import Effect, Window
from .window import cut_between, shifted

core = vs.core
log = logging.getLogger("steadyscale.host")


def read_frame(f: vs.VideoFrame) -> np.ndarray:
    """A float frame as ``(H, W, C)`` (C = planes) or ``(H, W)`` for one plane, copied."""
    planes = [np.array(f[p], dtype=np.float32, copy=True) for p in range(f.format.num_planes)]
    return planes[0] if len(planes) == 1 else np.stack(planes, axis=-1)


def plane_views(f: vs.VideoFrame) -> tuple[np.ndarray, ...] | np.ndarray:
    """A frame's planes as read-only ``(H, W)`` views (no copy; valid during the callback only):
    a tuple for multi-plane frames, one array for single-plane ones."""
    views = []
    for p in range(f.format.num_planes):
        v = np.asarray(f[p])
        v.flags.writeable = False
        views.append(v)
    return views[0] if len(views) == 1 else tuple(views)


def new_frame_like(f: vs.VideoFrame) -> vs.VideoFrame:
    """A writable frame of ``f``'s format, size and props whose planes are *not* copied from
    ``f`` (``f.copy()`` would copy them on the first write: 100 MB for a UHD RGBS frame)."""
    fout = core.create_video_frame(f.format, f.width, f.height)
    props = fout.props
    for k, v in f.props.items():
        props[k] = v
    return fout


def write_frame(fout: vs.VideoFrame, arr: np.ndarray) -> None:
    """Write ``(H, W, C)`` / ``(H, W)`` float data into a writable frame of the same shape."""
    if arr.ndim == 2:
        arr = arr[..., None]
    for p in range(fout.format.num_planes):
        np.copyto(np.asarray(fout[p]), arr[..., p], casting="same_kind")


def effect_node(effect: Effect, params: Mapping, clips: Mapping[str, vs.VideoNode],
                out_width: int, out_height: int, out_format: int = vs.RGBS,
                render: Callable[[Window], np.ndarray] | None = None,
                image_clips: tuple[str, ...] | None = None,
                props_clips: tuple[str, ...] = (), planar_clips: tuple[str, ...] = ()) -> vs.VideoNode:
    """A node rendering ``effect`` with ``params`` over float ``clips`` (one per ClipSpec).

    The first ClipSpec is the main clip: its length and props carry to the output, and its
    scene-change props decide which window positions are across a cut. Float RGB image clips
    are clamped to [0, 1] before the render (``image_clips``, default: the RGB ones that are
    not planar).
    ``props_clips``: clips whose window frames' props the render needs (``Window.all_props``).
    ``planar_clips``: clips delivered as read-only plane views instead of copied ``(H, W, C)``
    arrays (see :func:`plane_views`; not clamped): for UHD frames the copy costs more than the
    work. The render returns an array, or a function that fills the output frame's writable
    ``(H, W)`` planes in place.
    """
    main = effect.clips[0].name
    base = clips[main]
    if render is None:
        render = effect.make_render(dict(params), {"width": base.width, "height": base.height,
                                                   "num_frames": base.num_frames})
    windows = effect.window(params)
    main_lo, main_hi = windows[main]
    layout: list[tuple[str, int, int]] = []  # (clip name, first index into frames list, count)
    flat: list[vs.VideoNode] = []
    for spec in effect.clips:
        lo, hi = windows[spec.name]
        if lo < main_lo or hi > main_hi:
            raise ValueError(f"{effect.identifier}: clip {spec.name} has a wider window than {main}")
        clip = clips[spec.name]
        if clip.num_frames != base.num_frames:
            raise ValueError(f"{effect.identifier}: clip {spec.name} has {clip.num_frames} frames, "
                             f"{main} has {base.num_frames}")
        layout.append((spec.name, len(flat) + 1, hi - lo + 1))
        flat.extend(shifted(clip, d) for d in range(lo, hi + 1))
    if image_clips is None:
        image_clips = tuple(name for name, c in clips.items()
                            if c.format.color_family == vs.RGB and name not in planar_clips)
    blank = core.std.BlankClip(base, width=out_width, height=out_height, format=out_format, keep=True)

    def select(n: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        with profile.stage(effect.identifier):
            return render_frame(n, f)

    def render_frame(n: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        frames, valid, all_props = {}, {}, {}
        main_props = [f[1 + i].props for i in range(main_hi - main_lo + 1)]
        across = cut_between(main_props, -main_lo)
        for name, first, count in layout:
            if name in planar_clips:
                arrs = [plane_views(f[first + i]) for i in range(count)]
            else:
                arrs = [read_frame(f[first + i]) for i in range(count)]
                if name in image_clips:
                    arrs = [np.clip(a, 0.0, 1.0, out=a) for a in arrs]
            lo = windows[name][0]
            frames[name] = arrs
            if name in props_clips:
                all_props[name] = [dict(f[first + i].props) for i in range(count)]
            valid[name] = [not across[(lo + i) - main_lo] for i in range(count)]
        centre = f[1 - main_lo]
        out = render(Window(n=n, frames=frames, valid=valid, props=dict(centre.props), all_props=all_props))
        fout = new_frame_like(f[0])
        if callable(out):  # the render fills the output planes in place (no copy at UHD)
            out([np.asarray(fout[p]) for p in range(fout.format.num_planes)])
        else:
            write_frame(fout, out)
        props = fout.props
        for k, v in centre.props.items():
            if k not in ("_Matrix", "_Transfer", "_Primaries", "_Range", "_ChromaLocation"):
                props[k] = v
        return fout

    return core.std.ModifyFrame(blank, [blank] + flat, select)
