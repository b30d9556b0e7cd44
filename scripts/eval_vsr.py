#!/usr/bin/env python3
"""Vid4 BIx4 benchmark: Y-PSNR/SSIM (crop 0), E_warp and tOF for Lanczos, the model
single-frame (neighbours off), the model per frame (stability 0) and upscale() at several
stabilities. Writes JSON (and, with --markdown, a table) plus a plot.

    python scripts/eval_vsr.py --data ../shared/data --model builtin --json docs/benchmarks/vid4_x4.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import vapoursynth as vs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import vs_plugin  # noqa: E402
from vs_plugin.core import metrics  # noqa: E402
from vs_plugin.host.arrays import clip_from_arrays, frame_to_array  # noqa: E402

SEQS = ("calendar", "city", "foliage", "walk")


def read(p: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(p), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


def run_variant(lr: list[np.ndarray], variant: str, model: str, scale: int = 4,
                ensemble: bool = False) -> list[np.ndarray]:
    h, w = lr[0].shape[:2]
    if variant == "lanczos":  # OpenCV INTER_LANCZOS4, the reference's Lanczos anchor
        return [np.clip(cv2.resize(f, (scale * w, scale * h), interpolation=cv2.INTER_LANCZOS4), 0, 1) for f in lr]
    clip = clip_from_arrays(lr)
    if variant == "single":
        kw = dict(radius=0, stability=0.0)
    elif variant == "perframe":
        kw = dict(radius=2, stability=0.0)
    else:
        kw = dict(radius=2, stability=float(variant[1:]))
    out = vs_plugin.upscale(clip, scale * w, scale * h, model=model, format=vs.RGBS, ensemble=ensemble, **kw)
    return [frame_to_array(out.get_frame(n)) for n in range(out.num_frames)]


def image_sets(data: Path, model: str) -> dict:
    """Set5/Set14 x4 Y-PSNR/SSIM (crop 0): Lanczos and the model on single images."""
    out = {}
    for name in ("set5_x4", "set14_x4"):
        res = {"lanczos": [], "model": []}
        for hr_path in sorted((data / "eval" / name / "HR").glob("*.png")):
            lr_path = data / "eval" / name / "LR" / hr_path.name
            if not lr_path.exists():
                continue
            hr, lr = read(hr_path), read(lr_path)
            lz = run_variant([lr], "lanczos", model)[0]
            md = run_variant([lr], "single", model)[0]
            res["lanczos"].append((metrics.psnr_y(lz, hr), metrics.ssim_y(lz, hr)))
            res["model"].append((metrics.psnr_y(md, hr), metrics.ssim_y(md, hr)))
        out[name] = {k: {"psnr_y": float(np.mean([a for a, _ in v])), "ssim_y": float(np.mean([b for _, b in v])),
                         "images": len(v)} for k, v in res.items()}
        print(name, json.dumps(out[name]), file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--model", default="builtin")
    ap.add_argument("--variants", default="lanczos,single,perframe,s0.25,s0.5,s0.75,s1.0")
    ap.add_argument("--seqs", default=",".join(SEQS))
    ap.add_argument("--frames", type=int, default=0, help="limit frames per sequence (0 = all)")
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--no-temporal", action="store_true", help="skip E_warp and tOF")
    ap.add_argument("--images", action="store_true", help="also Set5/Set14 x4 (single images)")
    ap.add_argument("--ensemble", action="store_true", help="the network as x8 self-ensemble (upscale(ensemble=True))")
    args = ap.parse_args()
    vs.core.max_cache_size = 4096
    results: dict = {"command": " ".join(sys.argv), "model": args.model, "ensemble": args.ensemble, "sequences": {}}
    for seq in args.seqs.split(","):
        gt = [read(p) for p in sorted((args.data / "eval/vid4/GT" / seq).glob("*.webp"))]
        lr = [read(p) for p in sorted((args.data / "eval/vid4/BIx4" / seq).glob("*.png"))]
        if args.frames:
            gt, lr = gt[:args.frames], lr[:args.frames]
        flows = None if args.no_temporal else metrics.reference_flows(gt)
        seq_res = {}
        for v in args.variants.split(","):
            t0 = time.time()
            out = run_variant(lr, v, args.model, ensemble=args.ensemble)
            r = {"psnr_y": float(np.mean([metrics.psnr_y(o, g) for o, g in zip(out, gt)])),
                 "ssim_y": float(np.mean([metrics.ssim_y(o, g) for o, g in zip(out, gt)])),
                 "seconds": round(time.time() - t0, 1)}
            if flows is not None:
                r["ewarp"] = metrics.warping_error(out, flows)
                r["tof"] = metrics.tof(out, gt)
            seq_res[v] = r
            print(seq, v, json.dumps(r), file=sys.stderr, flush=True)
        if flows is not None:
            seq_res["gt"] = {"ewarp": metrics.warping_error(gt, flows), "tof": 0.0}
        results["sequences"][seq] = seq_res
    if args.images:
        results["images"] = image_sets(args.data, args.model)
    variants = args.variants.split(",") + ([] if args.no_temporal else ["gt"])
    results["mean"] = {v: {k: float(np.mean([results["sequences"][s][v][k] for s in results["sequences"]]))
                           for k in results["sequences"][next(iter(results["sequences"]))][v]}
                       for v in variants}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1))
    for v, r in results["mean"].items():
        print(f"{v:10s} " + "  ".join(f"{k}={val:.4f}" for k, val in r.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
