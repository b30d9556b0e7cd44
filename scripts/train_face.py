#!/usr/bin/env python3
"""Train the built-in face restorer: x4 on aligned face crops, adversarial (resumable, seeded).

    python scripts/train_face.py --data ../shared/data --out runs/face_gan --minutes 60

Generator: a single-frame FlowVSR (residual over bicubic). Losses: luma L1 against the clean
face, L1 on luma Sobel gradients, and a hinge adversarial loss from our own patch discriminator
(vs_plugin/training/face_gan.py), switched on after --warmup iterations of pixel training.
With --sharpen the pixel and gradient losses aim at an unsharp-masked target (Real-ESRGAN's USM
ground truth, vs_plugin/training/sharpen.py), so the restorer learns to deliver crisp edges;
--consistency-weight asks the same face moved by a sub-pixel step to restore to the same face
(with --video-pairs the two are degraded as consecutive frames of one encoded clip).
Inputs: realistic video degradations at x2-x8 (blur, noise, JPEG, x264/x265). Identities in
train/faces are split as vs_plugin/training/face_data.split_faces says; eval/ is never read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vs_plugin.core import metrics  # noqa: E402
from vs_plugin.core.vsr_net import FlowVSR, deepen_state  # noqa: E402
from vs_plugin.training.face_data import FaceCrops, split_faces  # noqa: E402
from vs_plugin.training.face_gan import PatchDiscriminator  # noqa: E402
from vs_plugin.training.loss import distill_loss, sharpness_ratio, ycbcr_difference  # noqa: E402
from vs_plugin.training.run import (  # noqa: E402
    cosine_lr,
    export_weights,
    log_record,
    progress,
    save_atomic,
    write_run_record,
)


def validate(net, val) -> dict:
    net.eval()
    ps, sh = [], []
    with torch.inference_mode():
        for centre, _, _, target in val:
            out = net(centre[None]).clamp(0, 1)
            ps.append(metrics.psnr_y(out[0].numpy().transpose(1, 2, 0), target.numpy().transpose(1, 2, 0)))
            sh.append(sharpness_ratio(out, target[None]))
    net.train()
    return {"val_psnr_y": float(np.mean(ps)), "val_sharpness": float(np.mean(sh))}


def consistency(out: torch.Tensor, pairs: list) -> torch.Tensor:
    """Mean luma L1 between the restorations of each pair's second crop and its first, moved by
    the pair's shift (``out`` holds all first crops, then all second crops); 6-px margins."""
    n, size = len(pairs), out.shape[-1]
    m = 6
    errs = []
    for j, (*_, dx, dy) in enumerate(pairs):
        a = out[j, :, m + dy:size - m - 4 + dy, m + dx:size - m - 4 + dx]
        b = out[n + j, :, m:size - m - 4, m:size - m - 4]
        errs.append(ycbcr_difference(b[None], a[None])[:, 0].abs().mean())
    return torch.stack(errs).mean()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--channels", type=int, default=48)
    ap.add_argument("--blocks", type=int, default=10)
    ap.add_argument("--lr-size", type=int, default=32)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--d-lr", type=float, default=2e-4)
    ap.add_argument("--adv-weight", type=float, default=0.02)
    ap.add_argument("--grad-weight", type=float, default=1.0)
    ap.add_argument("--oriented-weight", type=float, default=0.0,
                    help="blockwise texture energy per gradient orientation against the clean face")
    ap.add_argument("--grid-weight", type=float, default=0.0,
                    help="sub-pixel bias loss: no detail paid as a fixed pattern per pixel-shuffle position")
    ap.add_argument("--consistency-weight", type=float, default=0.0,
                    help="temporal consistency: the same face moved by a sub-pixel step and degraded again must be "
                    "restored to the same, moved, output (L1 on luma); each batch is then made of such pairs")
    ap.add_argument("--video-pairs", action="store_true",
                    help="with --consistency-weight: each pair is degraded as a two-frame clip (fresh noise per "
                    "frame, the second frame's codec artefacts a predicted frame's), not with one draw per crop")
    ap.add_argument("--min-downscale", type=float, default=0.0,
                    help="targets are photo crops at least this much larger, area-downscaled (crisp targets; "
                    "0: crops of 0.45-0.8 of the photo, often upsampled)")
    ap.add_argument("--sharpen", type=float, nargs=2, metavar=("SIGMA", "AMOUNT"),
                    help="train against unsharp-masked targets (Real-ESRGAN's USM ground truth; "
                    "vs_plugin/training/sharpen.py): detail above a Gaussian of SIGMA target pixels, "
                    "where over 10/255, added AMOUNT times; validation stays against the plain truth")
    ap.add_argument("--warmup", type=int, default=1500, help="pixel-only iterations before the adversarial loss")
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--init", type=Path, help="start the generator from these FlowVSR weights (a video model's "
                    "single-frame mode; grown to --blocks by identity layers, function-preserving)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--report-every", type=int, default=200)
    ap.add_argument("--val-samples", type=int, default=48)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    g = FlowVSR(4, 1, args.channels, args.blocks)
    d = PatchDiscriminator()
    opt_g = torch.optim.Adam(g.parameters(), lr=args.lr, betas=(0.9, 0.99))
    opt_d = torch.optim.Adam(d.parameters(), lr=args.d_lr, betas=(0.5, 0.99))
    ckpt = args.out / "checkpoint.pt"
    it, elapsed0 = 0, 0.0
    if args.init and not ckpt.exists():
        from safetensors.torch import load_file
        init = load_file(str(args.init))
        # a multi-frame video model starts the restorer as its own single-frame mode: neighbours
        # enter only as confidence-gated differences, so their input channels are dropped
        init["head.weight"] = init["head.weight"][:, :3].contiguous()
        g.load_state_dict(deepen_state(init, args.blocks), strict=True)
    if ckpt.exists():
        ck = torch.load(ckpt, weights_only=True)
        g.load_state_dict(ck["g"])
        d.load_state_dict(ck["d"])
        opt_g.load_state_dict(ck["opt_g"])
        opt_d.load_state_dict(ck["opt_d"])
        it, elapsed0 = int(ck["iter"]), float(ck["elapsed"])
    train = FaceCrops(split_faces(args.data, "train"), args.lr_size, seed=args.seed, realistic=0.9, real=True,
                      min_downscale=args.min_downscale, sharpen=tuple(args.sharpen) if args.sharpen else None)
    valset = FaceCrops(split_faces(args.data, "val"), 32, seed=10_000 + args.seed, realistic=1.0, real=True)
    val = [valset[i] for i in range(args.val_samples)]
    write_run_record(args.out, sys.argv, sum(p.numel() for p in g.parameters()))
    log = (args.out / "log.jsonl").open("a")
    t0 = time.time() - elapsed0
    hist: dict[str, list] = {"pix": [], "adv": [], "d": [], "cons": []}

    def save() -> None:
        save_atomic({"g": g.state_dict(), "d": d.state_dict(), "opt_g": opt_g.state_dict(),
                     "opt_d": opt_d.state_dict(), "iter": it, "elapsed": time.time() - t0}, ckpt)
        export_weights(g, args.out / "model.safetensors")

    while True:
        frac = progress(t0, args.minutes, it, 0)
        if frac >= 1.0:
            break
        for grp in opt_g.param_groups:
            grp["lr"] = cosine_lr(args.lr, frac, floor=0.05)
        if args.consistency_weight:
            pairs = [train.pair(it * (args.batch // 2) + j, video=args.video_pairs) for j in range(args.batch // 2)]
            lr_img = torch.stack([p[0] for p in pairs] + [p[2] for p in pairs])
            hr = torch.stack([p[1] for p in pairs] + [p[3] for p in pairs])
        else:
            batch = [train[it * args.batch + j] for j in range(args.batch)]
            lr_img = torch.stack([b[0] for b in batch])
            hr = torch.stack([b[3] for b in batch])
        out = g(lr_img)
        # luma L1 and Sobel-gradient L1 against the clean face; optionally the oriented texture
        # energy and the sub-pixel grid terms of the real-footage model (training/loss.py)
        pix = distill_loss(out, hr, hr, teacher_weight=0.0, grad_weight=args.grad_weight,
                           oriented_weight=args.oriented_weight, grid_weight=args.grid_weight)
        loss = pix
        if args.consistency_weight:
            cons = consistency(out, pairs)
            loss = loss + args.consistency_weight * cons
            hist["cons"].append(cons.item())
        adv_on = it >= args.warmup
        if adv_on:
            adv = -d(out.clamp(0, 1)).mean()
            loss = loss + args.adv_weight * adv
            hist["adv"].append(adv.item())
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
        hist["pix"].append(pix.item())
        if it >= args.warmup // 2:  # the discriminator starts learning before it is used
            real, fake = d(hr), d(out.detach().clamp(0, 1))
            d_loss = F.relu(1 - real).mean() + F.relu(1 + fake).mean()
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            hist["d"].append(d_loss.item())
        it += 1
        if it % args.report_every == 0:
            rec = {"iter": it, "minutes": round((time.time() - t0) / 60, 2),
                   **{k: float(np.mean(v)) if v else None for k, v in hist.items()}, **validate(g, val)}
            hist = {k: [] for k in hist}
            log_record(log, rec)
            save()
    log_record(log, {"iter": it, "minutes": round((time.time() - t0) / 60, 2), **validate(g, val), "done": True})
    log.close()
    save()


if __name__ == "__main__":
    main()
