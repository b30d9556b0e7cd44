#!/usr/bin/env python3
"""Frame server speed: time to first frame and sequential read throughput against a pipe.

    python scripts/bench_serve.py --json docs/benchmarks/serve_cpu.json

Makes a synthetic clip, then (1) pipes `steadyscale upscale IN -o -` (VapourSynth's own y4m
output with its frame prefetch, as vspipe) into a byte counter, (2) mounts `steadyscale serve
IN MOUNT` and reads MOUNT/IN.y4m sequentially in 1 MiB reads, (3) the same over --http; and
vspipe on the .vpy that `steadyscale script` writes for the same flags. Reports seconds to the
first frame's bytes and frames per second of the full read; overhead is the served read's time
over vspipe's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vs_plugin.encode import find_ffmpeg  # noqa: E402

EXE = str(Path(sys.executable).parent / "steadyscale")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_stream(f, frame_size: int, header: int, t0: float) -> dict:
    """Seconds from ``t0`` (the server's or pipe's launch) to the first frame's last byte, and
    the throughput from the first byte to the last (start-up excluded)."""
    first_byte = first_frame = None
    total = 0
    while True:
        b = f.read(1 << 20)
        if not b:
            break
        if first_byte is None:
            first_byte = time.time()
        total += len(b)
        if first_frame is None and total >= header + frame_size:
            first_frame = time.time() - t0
    read = time.time() - first_byte
    return {"first_frame_s": round(first_frame, 2), "read_s": round(read, 2), "bytes": total}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--size", default="240x136", help="input size (output is x4)")
    ap.add_argument("--model", default="builtin")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="bench_serve_"))
    src = tmp / "clip.mp4"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size={w}x{h}:rate=24:duration={args.frames / 24}", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(src)], check=True)
    graph = ["--model", args.model, "--width", str(4 * w), "--height", str(4 * h), "--fit", "stretch"]
    frame_size = 6 + 4 * w * 4 * h * 2 * 3 // 2
    rows = []

    t0 = time.time()
    p = subprocess.Popen([EXE, "upscale", str(src), "-o", "-", *graph], stdout=subprocess.PIPE)
    r = read_stream(p.stdout, frame_size, 60, t0)
    p.wait()
    rows.append({"reader": "pipe: steadyscale upscale -o - (as vspipe)", **r,
                 "fps": round(args.frames / r["read_s"], 3)})
    print(rows[-1], file=sys.stderr, flush=True)

    # vspipe itself, on the .vpy `steadyscale script` writes (the same graph, tested equal)
    script = tmp / "clip.vpy"
    subprocess.run([EXE, "script", str(src), "-o", str(script), *graph], check=True, capture_output=True)
    t0 = time.time()
    p = subprocess.Popen([str(Path(EXE).parent / "vspipe"), "-c", "y4m", str(script), "-"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    r = read_stream(p.stdout, frame_size, 60, t0)
    p.wait()
    rows.append({"reader": "vspipe -c y4m on the equivalent .vpy", **r, "fps": round(args.frames / r["read_s"], 3)})
    print(rows[-1], file=sys.stderr, flush=True)

    mount = tmp / "mnt"
    mount.mkdir()
    port = free_port()
    t0 = time.time()
    srv = subprocess.Popen([EXE, "serve", str(src), str(mount), *graph, "--http", f"127.0.0.1:{port}"],
                           stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while not (mount / "clip.y4m").exists():
            time.sleep(0.02)
        with open(mount / "clip.y4m", "rb") as f:
            r = read_stream(f, frame_size, 60, t0)
        rows.append({"reader": "FUSE mount, sequential 1 MiB reads", **r, "fps": round(args.frames / r["read_s"], 3)})
        print(rows[-1], file=sys.stderr, flush=True)
    finally:
        os.killpg(srv.pid, signal.SIGINT)
        srv.wait()
    # HTTP alone (a fresh server: nothing cached)
    srv = subprocess.Popen([EXE, "serve", str(src), *graph, "--http", f"127.0.0.1:{port}"],
                           stderr=subprocess.DEVNULL, start_new_session=True)
    t0 = time.time()
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/clip.y4m") as f:
            r = read_stream(f, frame_size, 60, t0)
        rows.append({"reader": "HTTP, one GET", **r, "fps": round(args.frames / r["read_s"], 3)})
        print(rows[-1], file=sys.stderr, flush=True)
    finally:
        os.killpg(srv.pid, signal.SIGINT)
        srv.wait()
    base = rows[1]["read_s"]  # vspipe
    for r in rows[2:]:
        r["overhead_vs_pipe"] = round(r["read_s"] / base - 1, 3)
    res = {"command": " ".join(sys.argv), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
           "clip": f"{args.frames} frames {w}x{h} -> {4 * w}x{4 * h}, model {args.model}", "results": rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=1))
    print("| reader | first frame (s) | full read (s) | fps | overhead vs vspipe |\n| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['reader']} | {r['first_frame_s']} | {r['read_s']} | {r['fps']} | "
              f"{r.get('overhead_vs_pipe', '')} |")


if __name__ == "__main__":
    main()
