#!/usr/bin/env python3
"""Choose a face restorer on held-out identities before eval/ is run on it.

    python scripts/select_face.py runs/face_a/model.safetensors runs/face_b/model.safetensors \
        --data ../shared/data --json runs/select_face.json

Each held-out face of train/faces (identities never trained on, see
vs_plugin/training/face_data.split_faces) is cropped around the face at its photo's own
resolution (no upsampling: the crop is the ground truth), degraded x4 by the fixed real-footage
chain of the benchmarks (bicubic, blur 0.5, H.264 CRF 28) and restored by each candidate. The
reference is the default generic network run on the same input single-frame, i.e. what
``upscale()`` alone gives a face; the rows are face-crop Y-PSNR, GMSD and Sobel sharpness
relative to the ground truth, and each candidate's ratios against that reference; "pattern" is
``metrics.subpixel_pattern`` (the ground truth's is printed first): a restorer that buys its
sharpness with a 4-pixel grid or stripes, as CPU-trained ones did, scores well above the truth
(0.095 against 0.061 for a run with visible stripes; the shipped restorer 0.066).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vs_plugin.core import metrics  # noqa: E402
from vs_plugin.models import backends, registry  # noqa: E402
from vs_plugin.training.degrade import eval_chain  # noqa: E402
from vs_plugin.training.face_data import split_faces  # noqa: E402

#: side of the ground-truth crop, in photo pixels (a multiple of 4: the LR crop is a quarter)
CROP = 176


def held_out_crops(data: Path, n: int) -> list[np.ndarray]:
    """``n`` ground-truth face crops of held-out identities, at native resolution."""
    files = split_faces(data, "val")
    rng = np.random.default_rng(4242)
    out = []
    for i in rng.permutation(len(files))[:n]:
        img = cv2.cvtColor(cv2.imread(str(files[i])), cv2.COLOR_BGR2RGB).astype(np.float32) / 255
        h, w = img.shape[:2]
        y0, x0 = (h - CROP) // 2 + (8 if h > w else 0), (w - CROP) // 2
        out.append(np.ascontiguousarray(img[y0:y0 + CROP, x0:x0 + CROP]))
    return out


def measure(restore, gts: list[np.ndarray], lrs: list[np.ndarray]) -> tuple[dict, list[np.ndarray]]:
    """The mean metrics of ``restore`` on the faces, and its outputs."""
    rows, outs = [], []
    for gt, lr in zip(gts, lrs):
        o = np.clip(restore(lr), 0, 1)
        outs.append(o)
        rows.append((metrics.psnr_y(o, gt), metrics.gmsd(o, gt), metrics.sharpness(o, gt), metrics.subpixel_pattern(o)))
    m = np.mean(rows, 0)
    return ({"psnr_y": float(m[0]), "gmsd": float(m[1]), "sharpness": float(m[2]), "subpixel_pattern": float(m[3])},
            outs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", type=Path, help="FlowVSR face restorers (safetensors)")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--faces", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--crops", type=Path, help="write a PNG sheet: per face (rows) the ground truth, the upscale "
                    "and each model (columns), shown at 2x")
    ap.add_argument("--crop-faces", type=int, default=4, help="faces on the --crops sheet")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gts = held_out_crops(args.data, args.faces)
    lrs = [eval_chain([g], 28)[0] for g in gts]
    # the default network single-frame: upscale() alone on a still face
    generic = backends.SingleFrame(backends.builtin_backend(registry.pick_builtin(4, "real"), "cpu"))
    lanczos, _ = measure(lambda x: cv2.resize(x, (CROP, CROP), interpolation=cv2.INTER_LANCZOS4), gts, lrs)
    up_row, up_outs = measure(generic, gts, lrs)
    res = {"command": " ".join(sys.argv), "faces": len(gts), "reference": generic.name,
           "rows": {"lanczos": lanczos, "upscale": up_row}}
    columns = [gts, up_outs]  # the --crops sheet: ground truth, upscale, each model
    for path in args.models:  # as face_layer(model=PATH) loads it
        res["rows"][str(path)], outs = measure(backends.face_backend(path, "cpu"), gts, lrs)
        columns.append(outs)
    if args.crops:
        k = min(args.crop_faces, len(gts))
        sheet = np.vstack([np.hstack([c[i] for c in columns]) for i in range(k)])
        sheet = cv2.resize(sheet, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
        args.crops.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(args.crops), cv2.cvtColor((sheet * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR))
    res["ground_truth_subpixel_pattern"] = float(np.mean([metrics.subpixel_pattern(g) for g in gts]))
    print(f"{'ground truth':60s} pattern {res['ground_truth_subpixel_pattern']:.3f}", file=sys.stderr)
    ref = res["rows"]["upscale"]
    for name, row in res["rows"].items():
        row["vs_upscale"] = {"sharpness": row["sharpness"] / ref["sharpness"], "psnr_db": row["psnr_y"] - ref["psnr_y"],
                             "gmsd": row["gmsd"] / ref["gmsd"]}
        print(f"{name:60s} Y-PSNR {row['psnr_y']:.2f}  GMSD {row['gmsd']:.4f}  sharp {row['sharpness']:.3f}  "
              f"vs upscale: x{row['vs_upscale']['sharpness']:.3f} {row['vs_upscale']['psnr_db']:+.2f} dB "
              f"GMSD x{row['vs_upscale']['gmsd']:.3f}  pattern {row['subpixel_pattern']:.3f}", file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
