"""Compare candidate real-footage SR weights on train/'s held-out windows (never eval/): the
numbers a model is chosen by before it is shipped and measured on eval/ by scripts/eval_real.py.

Per model, against the ground truth of the centre frame, over the validation windows that
scripts/train_vsr.py --dataset real reports on (the benchmark's degradation chain, CRF 28):
Y-PSNR, GMSD, sharpness relative to Lanczos, and ``flat_texture``, an artefact measure that
sharpness rewards instead of punishing: detail drawn where the ground truth is flat (mean
gradient magnitude on the flattest quarter of 8x8 blocks, relative to Lanczos's on the same
blocks; above 1 = texture invented on flat skin, sky, walls).

Example:
    python scripts/select_real.py --data ../shared/data runs/a/model.safetensors models/builtin_x4.safetensors
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vs_plugin.core import metrics  # noqa: E402
from vs_plugin.models.backends import flowvsr_file  # noqa: E402
from vs_plugin.training.loss import oriented_gradients, sobel_luma  # noqa: E402
from vs_plugin.training.real_data import RealClips  # noqa: E402
from vs_plugin.training.vsr_data import Sources  # noqa: E402


def _block_orients(img: torch.Tensor) -> torch.Tensor:
    """``(4, h, w)`` mean absolute directional derivative per 8x8 block of a ``(1, 3, H, W)`` image."""
    return F.avg_pool2d(oriented_gradients(sobel_luma(img)), 8)[0]


def flat_texture(out: torch.Tensor, lanczos: torch.Tensor, gt: torch.Tensor) -> float:
    """``flat_texture`` (see the module docstring) of one window."""
    o, l_, g = (_block_orients(x).mean(0) for x in (out, lanczos, gt))
    flat = g <= g.flatten().quantile(0.25)
    return float(o[flat].mean() / l_[flat].mean().clamp_min(1e-6))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", type=Path, help="FlowVSR .safetensors files")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--seed", type=int, default=10008, help="validation seed (train_vsr.py's --val-seed)")
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--cache", type=Path, default=Path("runs/select_real_windows.pt"))
    args = ap.parse_args()
    torch.set_num_threads(1)

    key = f"{args.scale}-{args.seed}-{args.samples}"
    cache = torch.load(args.cache, weights_only=True) if args.cache.exists() else {}
    if key not in cache:
        valset = RealClips(args.scale, 5, sources=Sources.scan(args.data, "val"), seed=args.seed,
                           drop_neighbours=0.0, chain="eval")
        cache[key] = [valset[i][:4] for i in range(args.samples)]
        args.cache.parent.mkdir(parents=True, exist_ok=True)
        torch.save(cache, args.cache)
    windows = cache[key]

    def lanczos(centre: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        img = cv2.resize(centre.numpy().transpose(1, 2, 0), size[::-1], interpolation=cv2.INTER_LANCZOS4)
        return torch.from_numpy(np.clip(img, 0, 1).transpose(2, 0, 1))[None]

    results = {}
    for path in ["lanczos", *args.models]:
        net = None if path == "lanczos" else flowvsr_file(path)
        rows = []
        with torch.inference_mode():
            for centre, w, c, gt in windows:
                gt = gt[None]
                lz = lanczos(centre, gt.shape[-2:])
                out = lz if net is None else net(centre[None], w[None], c[None]).clamp(0, 1)
                o_np, g_np, l_np = (x[0].numpy().transpose(1, 2, 0) for x in (out, gt, lz))
                rows.append({"psnr_y": metrics.psnr_y(o_np, g_np), "gmsd": metrics.gmsd(o_np, g_np),
                             "sharpness": metrics.sobel_energy(o_np) / metrics.sobel_energy(l_np),
                             "flat_texture": flat_texture(out, lz, gt)})
        results[str(path)] = {k: round(float(np.mean([r[k] for r in rows])), 4) for k in rows[0]}
        print(json.dumps({"model": str(path), **results[str(path)]}), flush=True)


if __name__ == "__main__":
    main()
