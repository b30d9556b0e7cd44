"""``flow()`` and ``upscale()``: the flow node and the flow-aligned upscaler as VapourSynth nodes."""

from __future__ import annotations

import logging
from dataclasses import replace

import vapoursynth as vs

from ..core import flow as flowlib
from ..core.geometry import ResizePlan, pixel_aspect, plan_resize
from ..effects.flow import FLOW, PAIR
from ..effects.upscale import DETAIL, FUSE, SR, UPSCALE, detail_render, fuse_render, sr_render
from ..models import backends, mlrt
from ..models.choice import check_device, choose_backend, ensemble_needs_torch, next_backend
from ..models.memory import auto_tile
from . import props as colour_props
from .colour import to_rgbs
from .errors import as_vs_errors, check_clip, check_size_for_format, fail
from .memory import keep_frame_buffers
from .node import effect_node
from .resize import apply_plan, resolve_format, target_size
from .scenes import scene_changes

core = vs.core
log = logging.getLogger("steadyscale.upscale")


def _flow_rgb(rgb: vs.VideoNode, radius: int, preset: str) -> vs.VideoNode:
    """Flow node over an RGBS clip that already has scene-change props."""
    pairs = []
    for d in range(1, radius + 1):
        p = PAIR.validate({"distance": d, "preset": preset})
        pairs.append(effect_node(PAIR, p, {"clip": rgb}, rgb.width,
                                 flowlib.packed_height(rgb.height, flowlib.PAIR_FIELDS), vs.GRAYS,
                                 planar_clips=("clip",)))
    stacked = pairs[0] if len(pairs) == 1 else core.std.StackVertical(pairs)
    params = FLOW.validate({"radius": radius, "preset": preset})
    node = effect_node(FLOW, params, {"clip": rgb, "pairs": stacked}, rgb.width,
                       flowlib.packed_height(rgb.height, 2 * radius), vs.GRAYS, planar_clips=("clip", "pairs"))
    return core.std.SetFrameProps(node, SteadyscaleFlowRadius=radius)


def flow(clip: vs.VideoNode, radius: int = 2, preset: str = "medium") -> vs.VideoNode:
    """Optical flow from each frame to its neighbours (see :mod:`vs_plugin.effects.flow`).

    Returns a GRAYS clip ``6 * radius`` times as tall as ``clip``: for each offset in
    ``-r..-1, 1..r`` the x flow, y flow (input pixels) and confidence in [0, 1], stacked. Use
    :func:`flow_view` to look at it. No flow crosses a scene cut (props are set with
    :func:`scene_changes` when the clip has none).
    """
    func = "flow"
    check_clip(func, clip)
    with as_vs_errors():
        p = FLOW.validate({"radius": radius, "preset": preset})
    if p["radius"] < 1:
        raise fail(func, f"radius must be an integer in [1, 8], got {radius!r}")
    rgb = to_rgbs(clip, colour_props.resolve(clip, func))
    return _flow_rgb(scene_changes(rgb), p["radius"], p["preset"])


def flow_view(flow_clip: vs.VideoNode, offset: int = 1, max_motion: float = 0.0) -> vs.VideoNode:
    """Colour-wheel picture (RGBS) of the flow to neighbour ``offset``, darkened where the
    confidence is low (hue = direction, saturation = speed)."""
    import numpy as np

    from ..effects.flow import unpack_flows
    radius = int(flow_clip.get_frame(0).props.get("SteadyscaleFlowRadius", 0))
    if not radius:
        raise fail("flow_view", "flow_clip must be the output of steadyscale.flow()")
    if offset == 0 or abs(offset) > radius:
        raise fail("flow_view", f"offset must be in -{radius}..-1 or 1..{radius}, got {offset!r}")
    h = flowlib.field_height(flow_clip.height, 2 * radius)
    blank = core.std.BlankClip(flow_clip, height=h, format=vs.RGBS, keep=True)

    def draw(n: int, f: list) -> vs.VideoFrame:
        f_o, c = unpack_flows(np.asarray(f[1][0]), radius)[offset]
        img = flowlib.flow_to_colour(f_o, max_motion or None) * c[..., None]
        fout = f[0].copy()
        for p in range(3):
            np.copyto(np.asarray(fout[p]), img[..., p])
        return fout

    return core.std.ModifyFrame(blank, [blank, flow_clip], draw)


def check_mlrt_model(func: str, model, net, ensemble: bool, runtime: str):
    """The built-in model descriptor ``net`` runs, for a vs-mlrt ``runtime`` (which runs the
    shipped ONNX exports of the built-in models only)."""
    from ..models import registry
    if ensemble:
        raise fail(func, f"ensemble=True runs on backend='torch' only, got backend={runtime!r}")
    desc = registry.builtin_models().get(getattr(net, "name", None))
    if desc is None:
        raise fail(func, f"backend={runtime!r} runs the built-in models ('builtin', 'builtin-clean' or one by "
                         f"name); model {model!r} needs backend='torch'")
    return desc


def _mlrt_strength(sr: vs.VideoNode, lr: vs.VideoNode, strength: float) -> vs.VideoNode:
    """:class:`~vs_plugin.models.backends.Strength` for a vs-mlrt pass: the blend toward the
    bicubic base (Keys a = -0.75, zimg's b=0 c=0.75), clamped."""
    if strength >= 1.0:
        return sr
    base = core.resize.Bicubic(lr, sr.width, sr.height, filter_param_a=0.0, filter_param_b=0.75)
    return core.std.Limiter(core.std.Merge(base, sr, weight=strength), min=0.0, max=1.0)


def _scaled_plan(plan: ResizePlan, s: float) -> ResizePlan:
    left, top, w, h = plan.crop
    return replace(plan, crop=(left * s, top * s, w * s, h * s))


def upscale(clip: vs.VideoNode, width: int = 3840, height: int = 2160, fit: str = "contain",
            model="builtin", radius: int = 2, stability: float = 0.5, device: str = "auto",
            precision: str = "auto", tile=None, size: str | None = None, kernel: str = "lanczos",
            flow_preset: str = "medium", format: int | None = None,  # noqa: A002
            ensemble: bool = False, strength: float = 1.0, backend: str = "torch") -> vs.VideoNode:
    """Flow-aligned, temporally stable AI upscaling of ``clip`` to ``width`` x ``height``.

    The model pass (x2 or x4, repeated when needed) is chosen so its output is at least the
    target, then :func:`resize_to`'s exact-size step lands on the target with ``fit``. Frame n
    depends only on input frames n-2r..n+2r (flow pairs), whatever the request order.
    ``stability=0`` gives the per-frame model output; ``model='lanczos'`` is the non-AI path.
    ``ensemble=True`` trades 8x network time for the self-ensemble's small quality gain.
    ``strength`` below 1 blends each network pass toward its bicubic base (0: no AI detail).
    ``backend`` runs the network on a vs-mlrt runtime instead of torch (any GPU; docs/backends.md).
    The output keeps the input's colour family and depth unless ``format`` is given.
    """
    func = "upscale"
    check_clip(func, clip)
    with as_vs_errors():
        p = UPSCALE.validate(dict(width=width, height=height, fit=fit,
                                  model=model if isinstance(model, str) else "object",
                                  radius=radius, stability=stability, device=device, precision=precision,
                                  tile=tile, size=size, kernel=kernel, flow_preset=flow_preset, format=format,
                                  ensemble=ensemble, strength=strength, backend=backend))
    fmt = resolve_format(func, clip, p["format"])
    w, h = target_size(func, p["width"], p["height"], p["size"])
    check_size_for_format(func, w, h, fmt)
    props0 = clip.get_frame(0).props
    plan = plan_resize(clip.width, clip.height, w, h, p["fit"], 1 << fmt.subsampling_w, 1 << fmt.subsampling_h,
                       sar=pixel_aspect(props0))
    src = colour_props.resolve(clip, func)
    field_based = int(props0.get("_FieldBased", 0))
    if field_based in (1, 2):  # upscaling woven fields smears combing into the picture
        raise fail(func, f"the clip is interlaced (_FieldBased={field_based}, "
                         f"{'bottom' if field_based == 1 else 'top'} field first); deinterlace it first "
                         "(vs_plugin.deinterlace(clip), or --deinterlace on the command line), or set "
                         "_FieldBased=0 if it is really progressive")
    dst = colour_props.output_spec(src, fmt, *plan.out)
    if isinstance(model, str) and p["model"] == "lanczos":
        if p["ensemble"]:
            raise fail(func, ensemble_needs_torch(func, "lanczos").message)
        return apply_plan(clip, plan, fmt, src, dst, p["kernel"])
    with as_vs_errors():
        check_device(func, p["device"])
    needed = max(plan.scaled[0] / plan.crop[2], plan.scaled[1] / plan.crop[3])
    if needed <= 1.0 + 1e-6:  # the source has at least the target's detail: a network could only
        # invent it and then throw it away (8K -> UHD ran x2 to 16K, >17 GB): resize it down
        log.info("steadyscale.upscale: %dx%d -> %dx%d is no upscale; resized with %s, no model run",
                 clip.width, clip.height, w, h, p["kernel"])
        if p["ensemble"] and not isinstance(model, str):
            raise fail(func, ensemble_needs_torch(func, model).message)
        return apply_plan(clip, plan, fmt, src, dst, p["kernel"])
    tile_size = auto_tile(p["tile"], clip.width, clip.height, p["device"], 4)
    with as_vs_errors():
        net = choose_backend(func, model, needed, p["device"], p["precision"], tile_size, p["ensemble"])
        runtime = mlrt.resolve(func, p["backend"], p["device"])
        if runtime != "torch":
            desc = check_mlrt_model(func, model, net, p["ensemble"], runtime)
    backend = backends.with_strength(net, p["strength"])
    keep_frame_buffers()  # UHD buffers reused, not re-faulted every frame (see host/memory.py)
    r, stab = p["radius"], p["stability"]

    rgb = scene_changes(to_rgbs(clip, src))
    need_flow = r > 0 and (stab > 0 or backend.frames > 1)
    fl = _flow_rgb(rgb, r, p["flow_preset"]) if need_flow else core.std.BlankClip(rgb, format=vs.GRAYS)
    s = int(backend.scale)
    if runtime == "torch":
        sr = effect_node(SR, {"radius": r}, {"clip": rgb, "flow": fl}, rgb.width * s, rgb.height * s,
                         render=sr_render(backend, r), planar_clips=("flow",))
    else:
        from .mlrt_sr import mlrt_sr
        sr = _mlrt_strength(mlrt_sr(rgb, fl if r > 0 else None, desc, runtime, p["precision"], r, tile_size),
                            rgb, p["strength"])
    if stab > 0 and r > 0:
        detail = effect_node(DETAIL, {}, {"sr": sr}, sr.width, sr.height, vs.GRAYS, render=detail_render(s),
                             planar_clips=("sr",))
        sr = effect_node(FUSE, {"radius": r, "stability": stab},
                         {"detail": detail, "sr": sr, "clip": rgb, "flow": fl}, sr.width, sr.height,
                         render=fuse_render(r, stab), planar_clips=("sr", "detail", "flow"))
    total = s
    while total < needed - 1e-6:  # further passes (per frame, no fusion): x2 if that is enough
        nxt_net = next_backend(model, needed / total, net, p["device"], p["precision"], p["ensemble"])
        nxt = backends.with_strength(backends.SingleFrame(nxt_net), p["strength"])
        prev = sr
        if runtime == "torch":
            sr = effect_node(SR, {"radius": 0}, {"clip": prev, "flow": core.std.BlankClip(prev, format=vs.GRAYS)},
                             prev.width * nxt.scale, prev.height * nxt.scale, render=sr_render(nxt, 0))
        else:
            from .mlrt_sr import mlrt_sr
            nxt_desc = check_mlrt_model(func, model, nxt_net, False, runtime)
            sr = _mlrt_strength(mlrt_sr(prev, None, nxt_desc, runtime, p["precision"], 0), prev, p["strength"])
        total *= nxt.scale
        log.info("steadyscale.upscale: extra x%d pass (total x%d) for x%.2f", nxt.scale, total, needed)
    rgb_spec = replace(src, matrix=vs.MATRIX_RGB, range=colour_props.RANGE_FULL)
    return apply_plan(sr, _scaled_plan(plan, total), fmt, rgb_spec, dst, p["kernel"])

