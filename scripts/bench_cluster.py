#!/usr/bin/env python3
"""Throughput of distributed rendering: a local run against Ray with 1 and 2 worker processes.

    python scripts/bench_cluster.py --json docs/benchmarks/cluster_cpu.json

Makes a synthetic clip (ffmpeg testsrc2 with a scene cut), renders it with `steadyscale upscale`
locally (VapourSynth on all cores, and on one thread) and with `--ray` against a Ray cluster this
script starts on loopback with N single-thread worker slots (`ray start --head --num-cpus N`),
then checks every output decodes to the same frames. Reports frames per second and the scaling
efficiency of N workers (fps_N / (N * fps_1)). On a GPU machine, --gpus-per-task 1 measures
per-GPU tasks (one chunk per GPU at a time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vs_plugin.encode import find_ffmpeg  # noqa: E402

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray() for f in c.decode(video=0)]


def timed(cmd: list, env=None) -> float:
    t0 = time.time()
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env)
    if r.returncode:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{r.stderr}")
    return time.time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=96)
    ap.add_argument("--size", default="240x136", help="input size (output is x4)")
    ap.add_argument("--model", default="builtin")
    ap.add_argument("--workers", default="1,2", help="Ray worker slots to measure")
    ap.add_argument("--segment-frames", type=int, default=12)
    ap.add_argument("--gpus-per-task", type=float, default=0.0)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="bench_cluster_"))
    src = tmp / "in.mp4"
    half = args.frames / 48
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate=24:duration={half}",
                    "-f", "lavfi", "-i", f"mandelbrot=size={w}x{h}:rate=24", "-t", str(half),
                    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(src)], check=True)
    common = [BIN / "steadyscale", "upscale", src, "--model", args.model, "--width", 4 * w, "--height", 4 * h,
              "--fit", "stretch", "--encoder", "ffv1", "-q"]
    rows = []
    ref = tmp / "local.mkv"
    for label, threads in (("local, VapourSynth on all cores", []), ("local, one thread", ["--threads", 1])):
        out = ref if not threads else tmp / "local1.mkv"
        s = timed(common + ["-o", out, *threads])
        rows.append({"run": label, "workers": 0, "seconds": round(s, 2), "fps": round(args.frames / s, 3)})
        print(rows[-1], file=sys.stderr, flush=True)
    want = frames_of(ref)
    for n in (int(v) for v in args.workers.split(",")):
        port = free_port()
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        gpu = [f"--num-gpus={n}"] if args.gpus_per_task else []
        subprocess.run([BIN / "ray", "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
                        f"--num-cpus={n}", "--include-dashboard=false", "--disable-usage-stats", *gpu],
                       check=True, capture_output=True, env=env)
        try:
            out = tmp / f"ray{n}.mkv"
            extra = ["--ray-gpus-per-task", str(args.gpus_per_task)] if args.gpus_per_task else []
            s = timed(common + ["-o", out, "--ray", f"127.0.0.1:{port}", "--segment-frames", args.segment_frames,
                                "--ray-threads", 1, *extra], env)
        finally:
            subprocess.run([BIN / "ray", "stop", "--force"], capture_output=True, env=env)
        same = all(np.array_equal(a, b) for a, b in zip(frames_of(out), want))
        rows.append({"run": f"Ray, {n} worker process(es), 1 thread each", "workers": n, "seconds": round(s, 2),
                     "fps": round(args.frames / s, 3), "identical_to_local": same})
        print(rows[-1], file=sys.stderr, flush=True)
    one = next((r["fps"] for r in rows if r["workers"] == 1), None)
    for r in rows:
        if r["workers"] and one:
            r["scaling_efficiency"] = round(r["fps"] / (r["workers"] * one), 3)
    res = {"command": " ".join(sys.argv), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
           "clip": f"{args.frames} frames {w}x{h} -> {4 * w}x{4 * h}, model {args.model}", "results": rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=1))
    print("| run | fps | seconds | efficiency | identical |\n| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['run']} | {r['fps']} | {r['seconds']} | {r.get('scaling_efficiency', '')} | "
              f"{r.get('identical_to_local', 'reference')} |")


if __name__ == "__main__":
    main()
