"""``flow()`` and ``upscale()``: the flow node and the flow-aligned upscaler as VapourSynth nodes."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import vapoursynth as vs

from ..core.geometry import ResizePlan, plan_resize
from ..effects.flow import FLOW, PAIR
from ..effects.upscale import DETAIL, FUSE, SR, UPSCALE, detail_render, fuse_render, sr_render
from ..models import backends, registry
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
        pairs.append(effect_node(PAIR, p, {"clip": rgb}, rgb.width, rgb.height * 6, vs.GRAYS,
                                 planar_clips=("clip",)))
    stacked = pairs[0] if len(pairs) == 1 else core.std.StackVertical(pairs)
    params = FLOW.validate({"radius": radius, "preset": preset})
    node = effect_node(FLOW, params, {"clip": rgb, "pairs": stacked}, rgb.width,
                       rgb.height * 6 * radius, vs.GRAYS, planar_clips=("clip", "pairs"))
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

    from ..core import flow as flowlib
    from ..effects.flow import unpack_flows
    radius = int(flow_clip.get_frame(0).props.get("SteadyscaleFlowRadius", 0))
    if not radius:
        raise fail("flow_view", "flow_clip must be the output of steadyscale.flow()")
    if offset == 0 or abs(offset) > radius:
        raise fail("flow_view", f"offset must be in -{radius}..-1 or 1..{radius}, got {offset!r}")
    h = flow_clip.height // (6 * radius)
    blank = core.std.BlankClip(flow_clip, height=h, format=vs.RGBS, keep=True)

    def draw(n: int, f: list) -> vs.VideoFrame:
        f_o, c = unpack_flows(np.asarray(f[1][0]), radius)[offset]
        img = flowlib.flow_to_colour(f_o, max_motion or None) * c[..., None]
        fout = f[0].copy()
        for p in range(3):
            np.copyto(np.asarray(fout[p]), img[..., p])
        return fout

    return core.std.ModifyFrame(blank, [blank, flow_clip], draw)


#: built-in model families by the degradation they were trained for: ``builtin`` (the default)
#: restores real footage (blur, noise, x264/x265 compression, distilled from a teacher);
#: ``builtin-clean`` is the bicubic-trained family for clean sources (the Vid4/Set5 protocol)
BUILTIN_MODES = {"builtin": "real", "builtin-clean": "bicubic"}


def _ensemble_needs_torch(func: str, model) -> vs.Error:
    return fail(func, f"ensemble=True needs a torch model ('builtin' or a model file), got {model!r}")


def check_device(func: str, device: str) -> None:
    """``device`` is 'auto', 'cpu', 'cuda' or 'cuda:N' and exists here (checked at graph build)."""
    import re

    import torch
    if device in ("auto", "cpu"):
        return
    if not re.fullmatch(r"cuda(:\d+)?", device):
        raise fail(func, f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    if not torch.cuda.is_available():
        raise fail(func, f"device={device!r} but this machine has no usable CUDA device "
                         "(torch.cuda.is_available() is False); use device='cpu' or 'auto'")
    index = int(device.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise fail(func, f"device={device!r} but this machine has {torch.cuda.device_count()} CUDA device(s)")


def _backend(func: str, model, scale_needed: float, device: str, precision: str, tile, ensemble: bool = False):
    """The SR backend for ``model`` (an object with ``scale``/``frames``/``__call__`` is used as is)."""
    if not isinstance(model, str):
        if all(hasattr(model, a) for a in ("scale", "frames", "__call__")):
            if ensemble:
                raise _ensemble_needs_torch(func, model)
            return model
        raise fail(func, f"model must be 'builtin', 'lanczos', a model file path or an SR backend, got {model!r}")
    try:
        named = registry.builtin_models().get(model)
        if named is not None:  # one shipped model by its manifest name ('steadyscale models list')
            if named.purpose != "video-sr":
                raise fail(func, f"model {model!r} is a {named.purpose} model; use it with face_layer()")
            return backends.builtin_backend(named, device, precision, tile, ensemble=ensemble)
        if model in BUILTIN_MODES:
            desc = registry.pick_builtin(scale_needed, BUILTIN_MODES[model])
            if desc is None:
                raise fail(func, f"model={model!r} but no such built-in model is shipped in models/; "
                                 f"use one of {', '.join(BUILTIN_MODES)}, 'lanczos' or a model file")
            return backends.builtin_backend(desc, device, precision, tile, ensemble=ensemble)
        if not Path(model).exists():  # a model added to or fetched into the store, by name
            from ..models.manager import find_in_store
            model = str(find_in_store(model) or model)
        return backends.spandrel_backend(model, device, precision, tile, ensemble=ensemble)
    except ValueError as e:
        raise fail(func, f"model {model!r}: {e}") from None


def available_memory(device: str) -> int:
    """Free bytes on the device the model runs on (CUDA: the card, else host RAM)."""
    import os

    import torch
    if device.startswith("cuda") or (device == "auto" and torch.cuda.is_available()):
        try:
            return int(torch.cuda.mem_get_info()[0])
        except Exception:  # noqa: BLE001 - no usable CUDA after all
            pass
    try:  # MemAvailable counts the page cache the kernel would give back; "free" pages do not
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 4 << 30


def _auto_tile(tile, width: int, height: int, device: str = "auto", scale: int = 4):
    """``tile='auto'``: the whole frame if its activations fit in a quarter of the free memory,
    else the largest square tile (multiple of 16) that does."""
    if tile != "auto":
        return tile
    bytes_per_px = 4 * (64 * 6 + 3 * scale * scale * 4)  # generous: features + outputs + copies
    budget = available_memory(device) // 4
    if width * height * bytes_per_px <= budget:
        return None
    side = max(64, int((budget / bytes_per_px) ** 0.5) // 16 * 16)
    return (min(width, side), min(height, side))


def _scaled_plan(plan: ResizePlan, s: float) -> ResizePlan:
    left, top, w, h = plan.crop
    return replace(plan, crop=(left * s, top * s, w * s, h * s))


def upscale(clip: vs.VideoNode, width: int = 3840, height: int = 2160, fit: str = "contain",
            model="builtin", radius: int = 2, stability: float = 0.5, device: str = "auto",
            precision: str = "auto", tile=None, size: str | None = None, kernel: str = "lanczos",
            flow_preset: str = "medium", format: int | None = None,  # noqa: A002
            ensemble: bool = False) -> vs.VideoNode:
    """Flow-aligned, temporally stable AI upscaling of ``clip`` to ``width`` x ``height``.

    The model pass (x2 or x4, repeated when needed) is chosen so its output is at least the
    target, then :func:`resize_to`'s exact-size step lands on the target with ``fit``. Frame n
    depends only on input frames n-2r..n+2r (flow pairs), whatever the request order.
    ``stability=0`` gives the per-frame model output; ``model='lanczos'`` is the non-AI path.
    ``ensemble=True`` trades 8x network time for the self-ensemble's small quality gain.
    The output keeps the input's colour family and depth unless ``format`` is given.
    """
    func = "upscale"
    check_clip(func, clip)
    with as_vs_errors():
        p = UPSCALE.validate(dict(width=width, height=height, fit=fit,
                                  model=model if isinstance(model, str) else "object",
                                  radius=radius, stability=stability, device=device, precision=precision,
                                  tile=tile, size=size, kernel=kernel, flow_preset=flow_preset, format=format,
                                  ensemble=ensemble))
    fmt = resolve_format(func, clip, p["format"])
    w, h = target_size(func, p["width"], p["height"], p["size"])
    check_size_for_format(func, w, h, fmt)
    plan = plan_resize(clip.width, clip.height, w, h, p["fit"], 1 << fmt.subsampling_w, 1 << fmt.subsampling_h)
    src = colour_props.resolve(clip, func)
    field_based = int(clip.get_frame(0).props.get("_FieldBased", 0))
    if field_based in (1, 2):  # upscaling woven fields smears combing into the picture
        raise fail(func, f"the clip is interlaced (_FieldBased={field_based}, "
                         f"{'bottom' if field_based == 1 else 'top'} field first); deinterlace it first "
                         "(e.g. core.bwdif.Bwdif or QTGMC), or set _FieldBased=0 if it is really progressive")
    dst = colour_props.output_spec(src, fmt, *plan.out)
    if isinstance(model, str) and p["model"] == "lanczos":
        if p["ensemble"]:
            raise _ensemble_needs_torch(func, "lanczos")
        return apply_plan(clip, plan, fmt, src, dst, p["kernel"])
    check_device(func, p["device"])
    needed = max(plan.scaled[0] / plan.crop[2], plan.scaled[1] / plan.crop[3])
    if needed <= 1.0 + 1e-6:  # the source has at least the target's detail: a network could only
        # invent it and then throw it away (8K -> UHD ran x2 to 16K, >17 GB): resize it down
        log.info("steadyscale.upscale: %dx%d -> %dx%d is no upscale; resized with %s, no model run",
                 clip.width, clip.height, w, h, p["kernel"])
        if p["ensemble"] and not isinstance(model, str):
            raise _ensemble_needs_torch(func, model)
        return apply_plan(clip, plan, fmt, src, dst, p["kernel"])
    tile_size = _auto_tile(p["tile"], clip.width, clip.height, p["device"], 4)
    backend = _backend(func, model, needed, p["device"], p["precision"], tile_size, p["ensemble"])
    keep_frame_buffers()  # UHD buffers reused, not re-faulted every frame (see host/memory.py)
    r, stab = p["radius"], p["stability"]

    rgb = scene_changes(to_rgbs(clip, src))
    need_flow = r > 0 and (stab > 0 or backend.frames > 1)
    fl = _flow_rgb(rgb, r, p["flow_preset"]) if need_flow else core.std.BlankClip(rgb, format=vs.GRAYS)
    s = int(backend.scale)
    sr = effect_node(SR, {"radius": r}, {"clip": rgb, "flow": fl}, rgb.width * s, rgb.height * s,
                     render=sr_render(backend, r), planar_clips=("flow",))
    if stab > 0 and r > 0:
        detail = effect_node(DETAIL, {}, {"sr": sr}, sr.width, sr.height, vs.GRAYS, render=detail_render(s),
                             planar_clips=("sr",))
        sr = effect_node(FUSE, {"radius": r, "stability": stab},
                         {"detail": detail, "sr": sr, "clip": rgb, "flow": fl}, sr.width, sr.height,
                         render=fuse_render(r, stab), planar_clips=("sr", "detail", "flow"))
    total = s
    while total < needed - 1e-6:  # further passes (per frame, no fusion): x2 if that is enough
        nxt = _single(_next_backend(model, needed / total, backend, p))
        prev = sr
        sr = effect_node(SR, {"radius": 0}, {"clip": prev, "flow": core.std.BlankClip(prev, format=vs.GRAYS)},
                         prev.width * nxt.scale, prev.height * nxt.scale, render=sr_render(nxt, 0))
        total *= nxt.scale
        log.info("steadyscale.upscale: extra x%d pass (total x%d) for x%.2f", nxt.scale, total, needed)
    rgb_spec = replace(src, matrix=0, range=colour_props.RANGE_FULL)
    return apply_plan(sr, _scaled_plan(plan, total), fmt, rgb_spec, dst, p["kernel"])


def _next_backend(model, remaining: float, first, p):
    """Backend of a further pass: for the built-in family the smallest scale that suffices."""
    if isinstance(model, str) and model in BUILTIN_MODES:
        desc = registry.pick_builtin(remaining, BUILTIN_MODES[model]) or registry.pick_builtin(remaining)
        if desc is not None and desc.scale != first.scale:
            return backends.builtin_backend(desc, p["device"], p["precision"], None, ensemble=p["ensemble"])
    return first


class _single:
    """A multi-frame backend used single-frame (neighbours off) for repeated passes."""

    frames = 1

    def __init__(self, backend):
        self.backend, self.scale = backend, backend.scale

    def __call__(self, centre, warped=(), conf=()):
        if self.backend.frames <= 1:
            return self.backend(centre)
        import numpy as np
        k = self.backend.frames - 1
        h, w = centre.shape[:2]
        return self.backend(centre, [centre] * k, [np.zeros((h, w), np.float32)] * k)
