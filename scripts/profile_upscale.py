#!/usr/bin/env python3
"""Per-stage profile of a default upscale() render, as VapourSynth runs it (frames in flight).

The input is the benchmark's clip (camera motion over the bundled photo, YUV 4:2:0 8-bit,
BT.709) going to 3840x2160 in the encoder's format (YUV 4:2:0 10-bit), the graph
``steadyscale upscale`` builds. After warm-up frames, ``--frames`` frames are rendered with
``core.num_threads`` requests in flight. Each stage's wall and CPU time per output frame:
steadyscale's effect nodes from their own timers (vs_plugin.core.profile), VapourSynth's
filters from ``core.timings`` (CPU time inside the filter). Stages overlap in wall time; CPU
times add up to about the process's CPU time, which is printed beside them.

    python scripts/profile_upscale.py --sizes 960x540,1920x1080 --json docs/benchmarks/profile_cpu.json
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

import vapoursynth as vs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vs_plugin.app.bench import WARMUP, machine  # noqa: E402
from vs_plugin.app.sample import camera_motion, sample_photo  # noqa: E402
from vs_plugin.core.profile import profiling  # noqa: E402
from vs_plugin.host.arrays import clip_from_arrays  # noqa: E402
from vs_plugin.host.memory import keep_frame_buffers  # noqa: E402
from vs_plugin.host.upscale import upscale  # noqa: E402

core = vs.core


def source(w: int, h: int, frames: int) -> vs.VideoNode:
    src = core.resize.Bicubic(clip_from_arrays(camera_motion(sample_photo(), frames, w, h)),
                              format=vs.YUV420P8, matrix_s="709")
    src = core.std.SetFrameProps(src, _Matrix=vs.MATRIX_BT709, _Primaries=vs.PRIMARIES_BT709,
                                 _Transfer=vs.TRANSFER_BT709, _Range=vs.RANGE_LIMITED)
    return src


def native_timings(out: vs.VideoNode) -> dict[str, float]:
    """CPU seconds per VapourSynth filter kind in ``out``'s graph (each node counted once)."""
    seen: set = set()
    totals: dict[str, float] = defaultdict(float)

    def key(n: vs.VideoNode):  # the same node reached twice has the same name, size and timer
        return (n.node_name, n.timings, n.width, n.height, n.format.id if n.format else None)

    def walk(n: vs.VideoNode) -> None:
        k = key(n)
        if k in seen and n.timings:
            return
        seen.add(k)
        if n.node_name != "ModifyFrame":  # steadyscale's effect nodes time themselves
            totals[n.node_name] += n.timings / 1e9
        for d in n.dependencies:
            walk(d.node if hasattr(d, "node") else d)

    walk(out)
    return dict(totals)


def profile(w: int, h: int, frames: int, model: str, precision: str) -> dict:
    src = source(w, h, frames + WARMUP + 4)
    out = upscale(src, model=model, precision=precision, format=vs.YUV420P10)
    for n in range(WARMUP):
        out.get_frame(n)
    core.timings.enabled = True  # counting from here (the warm-up frames are not billed)
    r0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    with profiling() as prof:
        for _ in out[WARMUP:WARMUP + frames].frames(prefetch=core.num_threads):
            pass
    wall = time.perf_counter() - r0
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    stages = {label: {"wall_s": s.wall / frames, "cpu_s": s.cpu / frames, "calls": s.calls}
              for label, s in prof.stages.items()}
    native = native_timings(out)
    return {"input": f"{w}x{h}", "output": "3840x2160 YUV420P10", "model": model, "precision": precision,
            "frames": frames, "wall_s_per_frame": wall / frames, "process_cpu_s_per_frame": cpu / frames,
            "stages": stages, "vapoursynth_filters_cpu_s_per_frame": {k: v / frames for k, v in native.items()},
            "frame_buffers_kept": keep_frame_buffers(),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def table(r: dict) -> str:
    rows = [f"**{r['input']} -> {r['output']}, model {r['model']}, precision {r['precision']}**: "
            f"{r['wall_s_per_frame']:.3f} s wall and {r['process_cpu_s_per_frame']:.3f} s CPU per frame",
            "", "| stage | wall s/frame | CPU s/frame | share of CPU |", "| --- | --- | --- | --- |"]
    total = r["process_cpu_s_per_frame"]
    items = [(k, v["wall_s"], v["cpu_s"]) for k, v in r["stages"].items()]
    items += [(f"VapourSynth {k}", None, v) for k, v in r["vapoursynth_filters_cpu_s_per_frame"].items() if v > 1e-4]
    for name, wall, cpu in sorted(items, key=lambda t: -t[2]):
        rows.append(f"| {name} | {'' if wall is None else f'{wall:.3f}'} | {cpu:.3f} | {100 * cpu / total:.0f}% |")
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="960x540,1920x1080")
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--model", default="builtin")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    vs.core.max_cache_size = 8192
    results = []
    for size in args.sizes.split(","):
        w, h = map(int, size.split("x"))
        r = profile(w, h, args.frames, args.model, args.precision)
        results.append(r)
        print(table(r) + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"command": " ".join(["python", *sys.argv]), "machine": machine("cpu"),
                                         "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
