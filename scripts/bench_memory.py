#!/usr/bin/env python3
"""Peak memory of upscale() to UHD, per input size and tile setting.

    python scripts/bench_memory.py --json docs/benchmarks/memory_cpu.json

Each case runs in a fresh process: a 10-bit 4:2:0 clip of the given size, ``upscale(src, 3840,
2160)`` with the default model, one frame in the middle of a 5-frame clip requested (its whole
window rendered), and the process's peak resident memory (``ru_maxrss``) reported. The network's
activations are what ``tile`` bounds; the rest is frame-sized buffers (the window's frames at
UHD in float, flow fields, the fusion), which grow with the output size and not with the tile.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

PROBE = """
import resource, sys, time, vapoursynth as vs, vs_plugin
w, h, tile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
src = vs.core.std.BlankClip(width=w, height=h, format=vs.YUV420P10, length=5, color=[512, 400, 600])
src = vs.core.std.SetFrameProps(src, _Matrix=1, _Transfer=1, _Primaries=1, _Range=0)
kw = {} if tile == "none" else {"tile": "auto" if tile == "auto" else (int(tile), int(tile))}
t = time.time()
vs_plugin.upscale(src, 3840, 2160, **kw).get_frame(2)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, round(time.time() - t, 2))
"""

SIZES = [(960, 540), (1280, 720), (1920, 1080), (2560, 1440), (3840, 2160), (7680, 4320)]


def measure(w: int, h: int, tile: str) -> dict:
    r = subprocess.run([sys.executable, "-c", PROBE, str(w), str(h), tile], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{w}x{h} tile={tile} failed: {r.stderr.strip()[-500:]}")
    peak, secs = r.stdout.split()
    return {"input": f"{w}x{h}", "tile": tile, "peak_mb": int(peak), "seconds": float(secs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--tiles", default="none,256", help="tile settings to compare (none, auto or a side)")
    args = ap.parse_args()
    rows = []
    for w, h in SIZES:
        for tile in args.tiles.split(","):
            rows.append(measure(w, h, tile))
            print(json.dumps(rows[-1]), flush=True)
    result = {"machine": {"cpu": platform.processor() or platform.machine(), "python": platform.python_version()},
              "command": "python scripts/bench_memory.py " + " ".join(sys.argv[1:]), "results": rows}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
