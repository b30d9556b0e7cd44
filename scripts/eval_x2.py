#!/usr/bin/env python3
"""x2 quality on Set5/Set14: Lanczos vs x2 models on single images (Y-PSNR/SSIM, crop 0).

    python scripts/eval_x2.py --data ../shared/data --json docs/benchmarks/x2_images.json \
        --models builtin [other.safetensors ...]

The shared data has x4 LR files only, so the x2 inputs are made from the HR images with the
training pipeline's antialiased bicubic (a=-0.5, MATLAB-like but not bit-exact with MATLAB);
numbers compare models with each other, not with published x2 tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from eval_vsr import read, run_variant  # noqa: E402  (this script's folder is on sys.path)

from vs_plugin.core import metrics  # noqa: E402
from vs_plugin.training.vsr_data import downscale  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--models", nargs="+", default=["builtin"])
    args = ap.parse_args()
    res = {"command": " ".join(sys.argv), "sets": {}}
    for name in ("set5_x4", "set14_x4"):
        scores: dict[str, list] = {m: [] for m in ["lanczos", *args.models]}
        for hr_path in sorted((args.data / "eval" / name / "HR").glob("*.png")):
            hr = read(hr_path)
            hr = hr[: hr.shape[0] // 2 * 2, : hr.shape[1] // 2 * 2]
            lr = downscale(hr, 2)
            for m in scores:
                out = np.clip(run_variant([lr], "lanczos" if m == "lanczos" else "single", m, scale=2)[0], 0, 1)
                scores[m].append((metrics.psnr_y(out, hr), metrics.ssim_y(out, hr)))
        res["sets"][name.replace("_x4", "_x2")] = {
            m: {"psnr_y": float(np.mean([a for a, _ in v])), "ssim_y": float(np.mean([b for _, b in v])),
                "images": len(v)} for m, v in scores.items()}
        print(name, json.dumps(res["sets"][name.replace("_x4", "_x2")]), file=sys.stderr)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
