#!/usr/bin/env python3
"""Speed of upscale() by stage (flow, model, fusion, resize), Lanczos measured in the same run.

    python scripts/bench_upscale.py --json docs/benchmarks/speed_cpu.json
Measures 540p->UHD (x4 model) and 1080p->UHD (x2 model); writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import vapoursynth as vs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vs_plugin.app.bench import bench, machine  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--model", default="builtin", help="one model, or several separated by commas")
    ap.add_argument("--backend", default="torch",
                    help="where the network runs: torch, or vs-mlrt's ov-cpu, ort-cpu, ncnn, ... (several: commas)")
    ap.add_argument("--precision", default="auto",
                    help="network precision(s), e.g. fp32,auto: every model in each, all in one run")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--sizes", default="960x540,1920x1080")
    ap.add_argument("--repeats", type=int, default=3, help="alternating per-frame/fused runs (medians reported)")
    ap.add_argument("--ensemble", action="store_true", help="the network as x8 self-ensemble (the quality preset)")
    args = ap.parse_args()
    vs.core.max_cache_size = 8192
    out = {"command": " ".join(sys.argv), "machine": machine(args.device), "results": []}
    for size in args.sizes.split(","):
        w, h = map(int, size.split("x"))
        for model in args.model.split(","):
            for precision in args.precision.split(","):
                for backend in args.backend.split(","):
                    r = bench(w, h, args.frames, model, args.device, args.repeats, args.ensemble, precision, backend)
                    out["results"].append(r)
                    print(json.dumps(r), file=sys.stderr, flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
