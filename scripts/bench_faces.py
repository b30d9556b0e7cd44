#!/usr/bin/env python3
"""Seconds per face of face_layer() (restore, fuse over the window, composite), by face size.

    python scripts/bench_faces.py --data ../shared/data --json docs/benchmarks/faces_speed_cpu.json

A held-out identity of train/faces moves over a training photo (the development clips of
scripts/dev_faces_synthetic.py) at a few sizes; the source is 480x270 and the output 1920x1080
(the x4 a 1080p deliverable needs). Detection is done beforehand and the background is a
Lanczos resize, so the time is the face layer's own; the frame time of one face is reported
with the face's size in source pixels, for frames asked for in order (a render: each frame's
restored face is reused by its neighbours) and one at a time from a fresh node (random access).
For frames in order the process's CPU time per frame is reported too: on a shared virtual
machine the wall-clock time of the same run varies by 10-20% from run to run, the CPU time
(both cores' worth, so up to twice the wall time) far less.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import vapoursynth as vs

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dev_faces_synthetic import make_clip  # noqa: E402

import vs_plugin  # noqa: E402
from vs_plugin.app.bench import machine  # noqa: E402
from vs_plugin.effects.face import faces_from_props  # noqa: E402
from vs_plugin.host.arrays import clip_from_arrays  # noqa: E402
from vs_plugin.training.face_data import split_faces  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--scales", default="1,2,3", help="face sizes: the face photo's scale in the 960x540 clip")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--radius", type=int, default=3, help="face_layer()'s radius (how far the fusion reaches)")
    args = ap.parse_args()
    vs.core.max_cache_size = 4096
    face = [p for p in split_faces(args.data, "val") if "celeba" in str(p)][0]
    bg = sorted((args.data / "train/images/bsds500_train").glob("*"))[0]
    out = {"command": " ".join(sys.argv), "machine": machine(args.device), "source": "480x270",
           "output": "1920x1080", "radius": args.radius, "results": []}
    for scale in (float(s) for s in args.scales.split(",")):
        _, clean, _ = make_clip(face, bg, args.frames + 6, seed=1, scale=scale, motion=0.5)
        src = clip_from_arrays([cv2.resize(c, (480, 270), interpolation=cv2.INTER_AREA) for c in clean])
        marked = vs_plugin.detect_faces(src)
        eyes = [float(np.linalg.norm(d.landmarks[0] - d.landmarks[1])) for n in range(marked.num_frames)
                for d in faces_from_props(marked.get_frame(n).props)]
        up = vs_plugin.upscale(marked, 1920, 1080, model="lanczos", format=vs.RGBS)
        times, cold, cpu = [], [], []
        for n in range(3, 3 + args.frames):  # a fresh node per frame: nothing cached between them
            layer = vs_plugin.face_layer(marked, up, device=args.device, radius=args.radius)
            up.get_frame(n)
            t0 = time.perf_counter()
            layer.get_frame(n)
            cold.append(time.perf_counter() - t0)
        layer = vs_plugin.face_layer(marked, up, device=args.device, radius=args.radius)
        for n in range(args.frames + 6):  # frames in order, as vspipe asks for them
            up.get_frame(n)
            t0, c0 = time.perf_counter(), time.process_time()
            layer.get_frame(n)
            if n >= 3:
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        r = {"face_scale": scale, "eye_distance_src_px": round(float(np.median(eyes)), 1) if eyes else None,
             "faces_per_frame": round(len(eyes) / marked.num_frames, 2),
             "seconds_per_face": round(statistics.median(times), 3),
             "cpu_seconds_per_face": round(statistics.median(cpu), 3),
             "seconds_per_face_random_access": round(statistics.median(cold), 3)}
        out["results"].append(r)
        print(json.dumps(r), file=sys.stderr, flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
