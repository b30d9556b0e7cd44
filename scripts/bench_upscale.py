#!/usr/bin/env python3
"""Speed of upscale() by stage (flow, model, fusion, final resize) with Lanczos as reference.

    python scripts/bench_upscale.py --json docs/benchmarks/speed_cpu.json
Measures 540p->UHD (x4 model) and 1080p->UHD (x2 model) on synthetic frames; each stage is
timed by building the graph up to that stage and rendering the same frames.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch
import vapoursynth as vs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import vs_plugin  # noqa: E402
from vs_plugin.app.sample import camera_motion, sample_photo  # noqa: E402
from vs_plugin.host.arrays import clip_from_arrays  # noqa: E402

core = vs.core


def render_all(clip: vs.VideoNode, frames: int) -> float:
    t0 = time.perf_counter()
    for n in range(frames):
        clip.get_frame(n)
    return (time.perf_counter() - t0) / frames


def bench(w: int, h: int, frames: int, model: str, device: str) -> dict:
    src = core.resize.Bicubic(clip_from_arrays(camera_motion(sample_photo(), frames + 4, w, h)),
                              format=vs.YUV420P8, matrix_s="709")
    src = core.std.SetFrameProps(src, _Matrix=1, _Primaries=1, _Transfer=1, _Range=0)
    warm = lambda c: c.get_frame(0)  # noqa: E731
    res = {"input": f"{w}x{h}", "frames": frames}
    # Lanczos reference (the whole non-AI path)
    lz = vs_plugin.upscale(src, model="lanczos")
    warm(lz)
    res["lanczos_s"] = render_all(lz, frames)
    # stages: flow only; model per frame without flow (radius 0); model + flow (stability 0); full
    fl = vs_plugin.flow(src, radius=2)
    warm(fl)
    res["flow_s"] = render_all(vs_plugin.flow(src, radius=2), frames)
    variants = {"model_single_s": dict(radius=0, stability=0.0), "model_perframe_s": dict(radius=2, stability=0.0),
                "full_s": dict(radius=2, stability=0.5)}
    for key, kw in variants.items():
        c = vs_plugin.upscale(src, model=model, device=device, **kw)
        warm(c)
        res[key] = render_all(vs_plugin.upscale(src, model=model, device=device, **kw), frames)
    res["fusion_s"] = res["full_s"] - res["model_perframe_s"]
    res["fusion_overhead_pct"] = 100 * res["fusion_s"] / res["model_perframe_s"]
    res["fps"] = 1 / res["full_s"]
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--model", default="builtin")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--sizes", default="960x540,1920x1080")
    args = ap.parse_args()
    core.max_cache_size = 8192
    out = {"command": " ".join(sys.argv), "machine": f"{platform.processor() or platform.machine()}, "
           f"{core.num_threads} VapourSynth threads, torch {torch.__version__} on {args.device}",
           "results": []}
    for size in args.sizes.split(","):
        w, h = map(int, size.split("x"))
        r = bench(w, h, args.frames, args.model, args.device)
        out["results"].append(r)
        print(json.dumps(r), file=sys.stderr, flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
