"""Descriptors of ``upscale()`` and of the two effects it chains after the flow node:
per-frame super-resolution (``sr``) and temporal fusion (``fuse``)."""

from __future__ import annotations

import numpy as np

from ..core import flow as flowlib
from ..core import profile
from ..core.fusion import default_sigma, detail_band, fuse
from .descriptor import ClipSpec, Effect, Param, Window
from .flow import FLOW_PARAMS, unpack_flows
from .registry import register
from .resize import KERNELS, SIZE_PARAMS

UPSCALE = register(Effect(
    identifier="steadyscale.upscale", label="Upscale", version="1.0",
    doc="Flow-aligned, temporally stable AI upscaling of any resolution to an exact size.",
    clips=(ClipSpec("clip", "input clip", radius="radius"),),
    params=SIZE_PARAMS + (
        Param("model", "str", "builtin", "'builtin' (real footage: restores blur and compression), "
              "'builtin-clean' (clean sources), "
              "'lanczos', or a .pth/.safetensors file spandrel loads"),
        Param("radius", "int", 2, "neighbours on each side used for temporal alignment", min=0, max=8),
        Param("stability", "float", 0.5, "0 = per-frame output, 1 = strongest temporal fusion", min=0.0, max=1.0),
        Param("strength", "float", 1.0, "restoration strength: 0 = the bicubic base the model starts from "
              "(Lanczos-like, nothing restored or invented), 1 = the model in full", min=0.0, max=1.0),
        Param("device", "str", "auto", "'auto', 'cpu', 'cuda' or 'cuda:N'"),
        Param("precision", "choice", "auto", "network precision; auto honours what the model supports",
              choices=("auto", "fp32", "fp16", "bf16")),
        Param("ensemble", "bool", False, "x8 geometric self-ensemble: the network on the 8 flips/transposes, "
              "averaged; 8x the network time for +0.05 to +0.13 dB on Vid4"),
        Param("tile", "size", None, "None = whole frame; (w, h) in input pixels or 'auto'",
              choices=("auto",), nullable=True),
        Param("kernel", "choice", "lanczos", "kernel of the final exact-size resize", choices=KERNELS),
        Param("flow_preset", "choice", FLOW_PARAMS[1].default, "OpenCV DIS preset of the flow node",
              choices=FLOW_PARAMS[1].choices),
        Param("format", "int", None, "output format id; default: the input's", nullable=True),
        Param("backend", "choice", "torch", "where the network runs: 'torch' (CPU or NVIDIA), vs-mlrt's "
              "'ov-cpu', 'ov-gpu', 'ort-cpu', 'ort-cuda', 'ncnn' (any Vulkan GPU), or 'auto' (the fastest "
              "installed: torch); see docs/backends.md",
              choices=("torch", "auto", "ov-cpu", "ov-gpu", "ort-cpu", "ort-cuda", "ncnn", "trt", "trt-rtx", "migx")),
    ),
))


def sr_render(backend, radius: int):
    """Render of the per-frame SR node: frame n (plus aligned neighbours for multi-frame
    backends) through ``backend`` (a :class:`~vs_plugin.models.backends.SRBackend`), which
    writes the output frame's planes itself."""
    k_model = max(0, backend.frames - 1) // 2  # neighbours per side the model was trained with

    def render(win: Window):
        lr = win.frames["clip"]
        centre = lr[radius]
        warped, conf = [], []
        if backend.frames > 1:
            flows = unpack_flows(win.frames["flow"][0], radius) if radius else {}
            h, w = centre.shape[:2]
            for d in [o for o in range(-k_model, k_model + 1) if o != 0]:
                if abs(d) <= radius and win.valid["clip"][radius + d]:
                    f, c = flows[d]
                    with profile.stage("steadyscale.sr: warp neighbours"):
                        warped.append(flowlib.backward_warp(lr[radius + d], f))
                    conf.append(np.array(c))  # the flow frame is a read-only view
                else:
                    warped.append(centre)
                    conf.append(np.zeros((h, w), np.float32))
        return lambda planes: backend(centre, warped, conf, out=list(planes))

    return render


def aligned_render(radius: int, frames: int, what: str):
    """Render of an aligned-neighbours node, the input vs-mlrt runtimes need as clips: the
    model's neighbours of frame n warped onto it (``what="warped"``, RGB) or their confidences
    (``"conf"``, one plane), stacked top to bottom in offset order (-k..-1, 1..k). A neighbour
    outside the radius or across a cut is the centre frame at confidence 0, as in :func:`sr_render`."""
    k = max(0, frames - 1) // 2
    offsets = [o for o in range(-k, k + 1) if o != 0]

    def render(win: Window):
        lr = win.frames["clip"]
        centre = lr[radius]
        h = centre.shape[0]
        flows = unpack_flows(win.frames["flow"][0], radius) if radius else {}

        def fill(planes):
            for i, d in enumerate(offsets):
                rows = slice(i * h, (i + 1) * h)
                ok = abs(d) <= radius and win.valid["clip"][radius + d]
                if what == "conf":
                    planes[0][rows] = flows[d][1] if ok else 0.0
                    continue
                img = flowlib.backward_warp(lr[radius + d], flows[d][0]) if ok else centre
                for c in range(3):
                    planes[c][rows] = img[..., c]

        return fill

    return render


ALIGNED = Effect(
    identifier="steadyscale.aligned", label="Aligned neighbours", version="1.0",
    doc="Internal: the model's neighbours warped onto frame n, or their confidences, stacked (vs-mlrt's inputs).",
    clips=(ClipSpec("clip", "RGB input", radius="radius"), ClipSpec("flow", "flow node")),
    params=(Param("radius", "int", 2, "window radius", min=0, max=8),),
)


SR = Effect(
    identifier="steadyscale.sr", label="Super-resolution (per frame)", version="1.0",
    doc="Internal: the model applied to frame n (with aligned neighbours if it uses them).",
    clips=(ClipSpec("clip", "RGB input", radius="radius"), ClipSpec("flow", "flow node")),
    params=(Param("radius", "int", 2, "window radius", min=0, max=8),),
)


def detail_render(scale: float):
    """Render of the detail node: the fine-detail band of an upscaled frame's luma (once per
    frame; ``sr`` arrives as plane views)."""
    sigma = default_sigma(scale)
    return lambda win: lambda planes: detail_band(win.frames["sr"][0], sigma, out=planes[0])


DETAIL = Effect(
    identifier="steadyscale.detail", label="Detail band", version="1.1",
    doc="Internal: luma of the upscaled frame minus its low-pass (signed), shared by every fusion window.",
    clips=(ClipSpec("sr", "upscaled frames"),),
    params=(),
)


def fuse_render(radius: int, stability: float):
    """Render of the fusion node (see :func:`vs_plugin.core.fusion.fuse`); ``sr`` and ``detail``
    arrive as plane views, the result is R, G, B planes."""

    def render(win: Window) -> np.ndarray:
        lr = win.frames["clip"]
        flows = unpack_flows(win.frames["flow"][0], radius)
        f_list, c_list = [None] * (2 * radius + 1), [None] * (2 * radius + 1)
        for d, (f, c) in flows.items():
            if win.valid["detail"][radius + d]:
                f_list[radius + d], c_list[radius + d] = f, c
        return lambda planes: fuse(win.frames["sr"][0], win.frames["detail"], lr, f_list, c_list, radius,
                                   stability, out=planes)

    return render


FUSE = Effect(
    identifier="steadyscale.fuse", label="Temporal fusion", version="1.1",
    doc="Internal: fuse the fine-detail band of the upscaled window onto frame n.",
    clips=(ClipSpec("detail", "detail bands of the upscaled frames", radius="radius"),
           ClipSpec("sr", "the upscaled frame n"),
           ClipSpec("clip", "RGB input", radius="radius"),
           ClipSpec("flow", "flow node")),
    params=(Param("radius", "int", 2, "window radius", min=1, max=8),
            Param("stability", "float", 0.5, "fusion strength", min=0.0, max=1.0)),
)
