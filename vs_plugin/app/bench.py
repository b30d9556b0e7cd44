"""Speed of upscale() by stage (flow, model, fusion, final resize) with Lanczos as reference.

Used by ``steadyscale bench`` and ``scripts/bench_upscale.py``. Each stage is timed by building
the graph up to that stage and rendering the same frames; results are seconds per frame in the
steady state of a long clip: the first ``2 * radius`` frames of each graph are rendered untimed,
so the window fill at the start of a clip (frame 0 needs the model on frames 0..2 of a radius-2
window) is not billed to the timed frames. Frames are requested as ``vspipe`` requests them,
as many in flight as VapourSynth has threads (``full_sequential_s``: one at a time, the way
this benchmark measured before 2026-11-26).
"""

from __future__ import annotations

import platform
import resource
import statistics
import time

import torch
import vapoursynth as vs

from ..host.arrays import clip_from_arrays
from ..host.memory import keep_frame_buffers
from ..host.upscale import flow, upscale
from .sample import camera_motion, sample_photo

core = vs.core


#: frames rendered untimed before timing starts (fills every stage's window at radius <= 2)
WARMUP = 4


def render_all(clip: vs.VideoNode, frames: int, pipelined: bool = True) -> float:
    """Seconds per frame over ``frames`` frames after :data:`WARMUP` untimed ones; pipelined:
    ``core.num_threads`` requests in flight, in order (what ``vspipe`` does), else one at a time."""
    for n in range(WARMUP):
        clip.get_frame(n)
    t0 = time.perf_counter()
    if pipelined:
        for _ in clip[WARMUP:WARMUP + frames].frames(prefetch=core.num_threads):
            pass
    else:
        for n in range(WARMUP, WARMUP + frames):
            clip.get_frame(n)
    return (time.perf_counter() - t0) / frames


def bench(w: int, h: int, frames: int, model: str = "builtin", device: str = "cpu", repeats: int = 3,
          ensemble: bool = False, precision: str = "auto", backend: str = "torch") -> dict:
    """Seconds per frame of each stage for a ``w`` x ``h`` YUV420P8 input going to 3840x2160.

    The per-frame and fused runs alternate ``repeats`` times, each on a fresh graph; the table
    uses their medians (``*_runs`` keep every run), so one disturbed run cannot decide the
    fusion overhead."""
    src = core.resize.Bicubic(clip_from_arrays(camera_motion(sample_photo(), frames + WARMUP + 4, w, h)),
                              format=vs.YUV420P8, matrix_s="709")
    src = core.std.SetFrameProps(src, _Matrix=vs.MATRIX_BT709, _Primaries=vs.PRIMARIES_BT709,
                                 _Transfer=vs.TRANSFER_BT709, _Range=vs.RANGE_LIMITED)
    res = {"input": f"{w}x{h}", "output": "3840x2160", "frames": frames, "ensemble": ensemble,
           "model": model, "precision": precision, "backend": backend,
           "dtype": _dtype(model, device, precision, w, h) if backend == "torch" else f"{backend}'s",
           # as in any graph with an AI upscale(), also for the Lanczos and flow rows
           "frame_buffers_kept": keep_frame_buffers()}
    res["lanczos_s"] = render_all(upscale(src, model="lanczos"), frames)
    res["flow_s"] = render_all(flow(src, radius=2), frames)
    res["model_single_s"] = render_all(upscale(src, model=model, device=device, radius=0, stability=0.0,
                                               ensemble=ensemble, precision=precision, backend=backend), frames)
    variants = {"model_perframe": dict(radius=2, stability=0.0), "full": dict(radius=2, stability=0.5)}
    runs: dict[str, list[float]] = {key: [] for key in variants}
    for _ in range(repeats):
        for key, kw in variants.items():
            runs[key].append(render_all(upscale(src, model=model, device=device, ensemble=ensemble,
                                                precision=precision, backend=backend, **kw), frames))
    for key, times in runs.items():
        res[f"{key}_runs"], res[f"{key}_s"] = times, float(statistics.median(times))
    res["full_sequential_s"] = render_all(upscale(src, model=model, device=device, ensemble=ensemble,
                                                  precision=precision, backend=backend, **variants["full"]), frames,
                                      pipelined=False)
    res["fusion_s"] = res["full_s"] - res["model_perframe_s"]
    res["fusion_overhead_pct"] = 100 * res["fusion_s"] / res["model_perframe_s"]
    res["fps"] = 1 / res["full_s"]
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return res


def _dtype(model: str, device: str, precision: str, w: int, h: int) -> str:
    """The dtype ``precision`` resolves to for ``model`` here (``auto`` differs per CPU)."""
    from ..models.choice import choose_backend
    be = choose_backend("bench", model, max(3840 / w, 2160 / h), device, precision, None, False)
    return str(getattr(be, "dtype", "n/a")).replace("torch.", "")


def machine(device: str) -> str:
    return (f"{platform.processor() or platform.machine()}, {core.num_threads} VapourSynth threads, "
            f"torch {torch.__version__} on {device}")
