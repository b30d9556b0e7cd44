#!/usr/bin/env python3
"""What a network precision costs in picture: upscale() in fp32 and in bf16 (and fp16 where a
GPU runs it) on the Vid4 BIx4 inputs, each against the ground truth and against each other.

Reports, per model: Y-PSNR vs the ground truth in each precision, the bf16 output's PSNR
against the fp32 output (how far apart they are; above ~50 dB nothing is visible) and the
largest per-pixel difference in 8-bit and 10-bit output levels.

    python scripts/measure_precision.py --data ../shared/data --json docs/benchmarks/precision.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import vapoursynth as vs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import vs_plugin  # noqa: E402
from vs_plugin.core import metrics  # noqa: E402
from vs_plugin.host.arrays import clip_from_arrays, frame_to_array  # noqa: E402
from vs_plugin.models.device import cpu_has_native_bf16  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_vsr import SEQS, read  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--models", default="builtin,builtin-clean")
    ap.add_argument("--precisions", default="fp32,bf16", help="the first is the reference")
    ap.add_argument("--frames", type=int, default=8, help="frames per Vid4 sequence")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    precisions = args.precisions.split(",")
    result = {"command": " ".join(["python", *sys.argv]), "cpu_native_bf16": cpu_has_native_bf16(),
              "device": args.device, "models": {}}
    for model in args.models.split(","):
        per = {p: {"psnr_y": [], "seconds": 0.0} for p in precisions}
        drift = {p: {"psnr_vs_ref": [], "max_abs_8bit": 0.0} for p in precisions[1:]}
        for seq in SEQS:
            gt_files = sorted((args.data / "eval" / "vid4" / "GT" / seq).iterdir())[:args.frames]
            lr_files = sorted((args.data / "eval" / "vid4" / "BIx4" / seq).iterdir())[:args.frames]
            gts, lrs = [read(p) for p in gt_files], [read(p) for p in lr_files]
            h, w = gts[0].shape[:2]
            outs = {}
            for p in precisions:
                clip = vs_plugin.upscale(clip_from_arrays(lrs), w, h, model=model, precision=p, device=args.device,
                                         format=vs.RGBS)
                t0 = time.perf_counter()
                outs[p] = [frame_to_array(clip.get_frame(n)) for n in range(clip.num_frames)]
                per[p]["seconds"] += time.perf_counter() - t0
                per[p]["psnr_y"] += [metrics.psnr_y(o, g) for o, g in zip(outs[p], gts)]
            ref = outs[precisions[0]]
            for p in precisions[1:]:
                drift[p]["psnr_vs_ref"] += [metrics.psnr(o, r) for o, r in zip(outs[p], ref)]
                drift[p]["max_abs_8bit"] = max(drift[p]["max_abs_8bit"],
                                               max(float(np.abs(o - r).max()) * 255 for o, r in zip(outs[p], ref)))
            print(f"{model} {seq}: " + ", ".join(f"{p} {np.mean(per[p]['psnr_y'][-len(gts):]):.3f} dB"
                                                 for p in precisions), file=sys.stderr, flush=True)
        n = len(per[precisions[0]]["psnr_y"])
        result["models"][model] = {
            "frames": n,
            **{p: {"psnr_y": float(np.mean(v["psnr_y"])), "s_per_frame": v["seconds"] / n} for p, v in per.items()},
            "drift": {p: {"psnr_vs_" + precisions[0]: float(np.mean(d["psnr_vs_ref"])),
                          "max_abs_8bit_levels": d["max_abs_8bit"], "max_abs_10bit_levels": d["max_abs_8bit"] * 4}
                      for p, d in drift.items()},
        }
        print(json.dumps({model: result["models"][model]}), file=sys.stderr)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
