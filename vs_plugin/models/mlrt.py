"""The built-in networks on vs-mlrt's runtimes: any GPU (Vulkan through ncnn, Intel through
OpenVINO, NVIDIA through ONNX Runtime CUDA), and OpenVINO or ONNX Runtime on the CPU.

vs-mlrt's plugins (``vapoursynth-mlrt-ov``, ``-ort``, ``-ncnn``, ... on the package registry,
each an optional extra of steadyscale) run an ONNX network as a VapourSynth filter over clips.
The built-in models are shipped as ONNX in ``models/onnx/`` (made and verified by
``scripts/export_onnx.py``, recorded with the sha256 of the weights they were made from), so
nothing is exported or downloaded at run time. Only the network moves; flow, fusion and the
face layer stay as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import vapoursynth as vs

from ..core.digest import sha256_file
from ..errors import SteadyscaleError
from ..resources import data_dir
from .device import cpu_has_native_bf16

core = vs.core

ONNX_DIR = data_dir("models") / "onnx"
MANIFEST = ONNX_DIR / "manifest.json"


@dataclass(frozen=True)
class Runtime:
    """One vs-mlrt backend: its plugin namespace, the arguments that pick its device, the
    extra that installs it and what it serves."""

    name: str
    namespace: str
    args: tuple[tuple[str, object], ...]
    extra: str
    serves: str


RUNTIMES = {r.name: r for r in (
    Runtime("ov-cpu", "ov", (("device", "CPU"),), "ov", "any x86 CPU (OpenVINO)"),
    Runtime("ov-gpu", "ov", (("device", "GPU"),), "ov", "Intel GPUs, integrated and Arc (OpenVINO)"),
    Runtime("ort-cpu", "ort", (("provider", "CPU"),), "ort", "any CPU (ONNX Runtime)"),
    Runtime("ort-cuda", "ort", (("provider", "CUDA"),), "ort-cuda", "NVIDIA GPUs (ONNX Runtime CUDA)"),
    Runtime("ncnn", "ncnn", (), "ncnn", "any Vulkan GPU: AMD, Intel, NVIDIA, Apple via MoltenVK"),
)}
#: vs-mlrt backends that need an engine built for the GPU first (not in this release)
ENGINE_RUNTIMES = {"trt": "NVIDIA TensorRT", "trt-rtx": "NVIDIA TensorRT for RTX", "migx": "AMD MIGraphX"}
BACKENDS = ("torch", "auto", *RUNTIMES, *ENGINE_RUNTIMES)


def installed(name: str) -> bool:
    """Whether backend ``name``'s plugin is loaded in this VapourSynth."""
    if name == "torch":
        return True
    r = RUNTIMES.get(name)
    return r is not None and hasattr(core, r.namespace)


def resolve(func: str, backend: str, device: str) -> str:
    """The backend to use for ``backend`` (``auto``: torch, the fastest path measured on CPU and
    on NVIDIA GPUs; docs/benchmarks.md), refusing a missing plugin in one line."""
    if backend == "auto":
        return "torch"
    if backend in ENGINE_RUNTIMES:
        raise SteadyscaleError(func, f"backend {backend!r} ({ENGINE_RUNTIMES[backend]}) needs an engine built for "
                                     "your GPU, which this release does not do yet; use 'ort-cuda' or 'ncnn' "
                                     "(or 'torch' on NVIDIA)")
    if backend not in RUNTIMES or installed(backend):
        return backend
    r = RUNTIMES[backend]
    raise SteadyscaleError(func, f"backend {backend!r} needs vs-mlrt's {r.namespace} plugin: "
                                 f"pip install 'steadyscale[{r.extra}]'")


def onnx_file(func: str, desc) -> Path:
    """The shipped ONNX export of built-in model ``desc``, checked against its manifest."""
    entries = json.loads(MANIFEST.read_text())["models"] if MANIFEST.is_file() else {}
    e = entries.get(desc.name)
    if e is None:
        raise SteadyscaleError(func, f"model {desc.name!r} has no ONNX export in {ONNX_DIR}; "
                                     "run scripts/export_onnx.py")
    if e["weights_sha256"] != desc.sha256:
        raise SteadyscaleError(func, f"the ONNX export of {desc.name!r} was made from other weights; "
                                     "run scripts/export_onnx.py")
    path = ONNX_DIR / e["file"]
    if not path.is_file() or sha256_file(path) != e["sha256"]:
        raise SteadyscaleError(func, f"{path} is missing or does not match its sha256 in {MANIFEST.name}")
    return path


def model_node(clips: list[vs.VideoNode], path: Path, backend: str, precision: str, **extra) -> vs.VideoNode:
    """vs-mlrt's node running ``path`` over ``clips`` (planes concatenated in order); ``extra``:
    more plugin arguments (``tilesize``, ``overlap``)."""
    r = RUNTIMES[backend]
    kw: dict = dict(r.args) | extra
    if r.namespace == "ov":
        if precision == "fp32" or (precision == "auto" and backend == "ov-cpu" and not cpu_has_native_bf16()):
            kw["config"] = lambda: {"INFERENCE_PRECISION_HINT": "f32"}
        elif precision == "fp16" or (precision == "auto" and backend == "ov-gpu"):
            kw["fp16"] = True  # bf16: OpenVINO's own choice on CPUs that do it natively
    elif precision == "fp16" or (precision == "auto" and backend in ("ort-cuda", "ncnn")):
        kw["fp16"] = True
    return getattr(core, r.namespace).Model(clips, network_path=str(path), **kw)
