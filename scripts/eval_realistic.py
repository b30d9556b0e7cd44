#!/usr/bin/env python3
"""The realistic-mode model on real, compressed footage (../shared/data/eval/videos).

    python scripts/eval_realistic.py --data ../shared/data --json docs/benchmarks/realistic.json \
        --crop docs/images/realistic_crop.png
Upscales x4 with Lanczos, the clean built-in model and the realistic built-in model (both at the
default stability) and reports E_warp x1000 with the flow of the *input* video (scaled up), the
blockiness of the result (mean luma step across the 8x8 JPEG block edges over the mean step
elsewhere: 1 = no visible grid), plus a before/after crop. There is no ground truth, so no PSNR
here. ``--candidate FILE`` adds a model file (e.g. a new training run) to the comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import vapoursynth as vs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import vs_plugin  # noqa: E402
from vs_plugin.core import flow as flowlib  # noqa: E402
from vs_plugin.core.metrics import occlusion_mask  # noqa: E402
from vs_plugin.host.arrays import clip_from_arrays, frame_to_array  # noqa: E402
from vs_plugin.training.vsr_data import jpeg_roundtrip  # noqa: E402

core = vs.core


def ewarp_input_flow(lr: list[np.ndarray], out: list[np.ndarray], scale: int) -> float:
    errs = []
    hw = out[0].shape[:2]
    for t in range(len(lr) - 1):
        fw = flowlib.upscale_flow(flowlib.dis_flow(lr[t], lr[t + 1]), scale, hw)
        bw = flowlib.upscale_flow(flowlib.dis_flow(lr[t + 1], lr[t]), scale, hw)
        m = occlusion_mask(fw, bw)
        d = np.mean((out[t] - flowlib.backward_warp(out[t + 1], fw)) ** 2, -1)
        errs.append(float((m * d).sum() / max(m.sum(), 1)))
    return 1000 * float(np.mean(errs))


def blockiness(out: list[np.ndarray], grid: int) -> float:
    """Mean |luma step| across the block edges (every ``grid`` output pixels) over the mean step
    between all other neighbouring pixels, horizontally and vertically (blind blockiness in the
    spirit of Wang, Bovik and Evans, ICIP 2000)."""
    vals = []
    for f in out:
        y = f @ np.float32([0.299, 0.587, 0.114])
        for d in (np.abs(np.diff(y, axis=1)), np.abs(np.diff(y, axis=0)).T):
            edge = np.zeros(d.shape[1], bool)
            edge[grid - 1::grid] = True
            vals.append(d[:, edge].mean() / d[:, ~edge].mean())
    return float(np.mean(vals))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--clip", default="liveportrait_driving_d19.mp4")
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--size", type=int, default=240, help="source is first resized to this height")
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--crop", type=Path)
    ap.add_argument("--candidate", type=Path, help="also run this model file")
    args = ap.parse_args()
    src = core.bs.VideoSource(str(args.data / "eval/videos" / args.clip), cachemode=0)[: args.frames]
    h = args.size
    w = int(round(src.width * h / src.height / 2) * 2)
    # the clip as it is (already H.264-compressed), brought to a small size like old footage
    small = core.resize.Bicubic(src, w, h, format=vs.RGBS, matrix_in_s="709")
    lr = [np.clip(frame_to_array(small.get_frame(i)), 0, 1) for i in range(args.frames)]
    # compress it once more, as web video does (JPEG q=35 per frame)
    lr = [jpeg_roundtrip(f, 35) for f in lr]
    clip = clip_from_arrays(lr)
    res, outs = {"command": " ".join(sys.argv)}, {}
    runs = [("lanczos", "lanczos"), ("builtin", "builtin"), ("builtin-real", "builtin-real")]
    if args.candidate:
        runs.append(("candidate", str(args.candidate)))
    res["input"] = {"blockiness": blockiness(lr, 8)}
    for name, model in runs:
        up = vs_plugin.upscale(clip, 4 * w, 4 * h, model=model, format=vs.RGBS)
        outs[name] = [np.clip(frame_to_array(up.get_frame(i)), 0, 1) for i in range(args.frames)]
        res[name] = {"ewarp": ewarp_input_flow(lr, outs[name], 4), "blockiness": blockiness(outs[name], 32)}
        print(name, res[name], file=sys.stderr, flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=1))
    if args.crop:
        mid = args.frames // 2
        H, W = outs["lanczos"][mid].shape[:2]
        sl = (slice(H // 4, H // 4 + 320), slice(W // 2 - 160, W // 2 + 160))
        tiles = []
        for name, _ in runs:
            t = np.ascontiguousarray((outs[name][mid][sl] * 255 + 0.5).astype(np.uint8))
            cv2.putText(t, name, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 3, cv2.LINE_AA)
            cv2.putText(t, name, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 1, cv2.LINE_AA)
            tiles.append(t)
        cv2.imwrite(str(args.crop), cv2.cvtColor(np.concatenate(tiles, 1), cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
