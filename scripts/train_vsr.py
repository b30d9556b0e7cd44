#!/usr/bin/env python3
"""Train the built-in flow-aligned video SR network (reproducible, resumable).

Example (what produced models/builtin_x4.safetensors is recorded in models/MODELS.toml):
    python scripts/train_vsr.py --data ../shared/data --scale 4 --out runs/x4 --minutes 90

Sample i of the stream is a pure function of (seed, i), so a resumed run sees the same data as
an uninterrupted one. Logs one JSON line per report to <out>/log.jsonl.
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
from vs_plugin.core.vsr_net import FlowVSR, deepen_state, unshuffle_state, widen_state  # noqa: E402
from vs_plugin.training.loss import LOSSES, distill_loss, sharpness_ratio, sr_loss  # noqa: E402
from vs_plugin.training.run import (  # noqa: E402
    cosine_lr,
    export_weights,
    log_record,
    progress,
    save_atomic,
    write_run_record,
)
from vs_plugin.training.vsr_data import DEGRADATIONS, Sources, VSRClips  # noqa: E402


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return metrics.psnr_from_mse(F.mse_loss(a.clamp(0, 1), b).item())


def psnr_y(a: torch.Tensor, b: torch.Tensor) -> float:
    """The benchmark's Y-PSNR (:func:`vs_plugin.core.metrics.psnr_y`) of one ``(1, 3, H, W)`` pair."""
    return metrics.psnr_y(a[0].cpu().numpy().transpose(1, 2, 0), b[0].cpu().numpy().transpose(1, 2, 0))


def validate(net: FlowVSR, val: list, device: str) -> dict:
    net.eval()
    multi, single, multi_y, sharp = [], [], [], []
    with torch.inference_mode():
        for centre, w, c, target, *_ in val:
            centre, w, c, target = (t[None].to(device) for t in (centre, w, c, target))
            out = net(centre, w if w.shape[1] else None, c if c.shape[1] else None)
            multi.append(psnr(out, target))
            multi_y.append(psnr_y(out, target))
            sharp.append(sharpness_ratio(out.clamp(0, 1), target))
            single.append(psnr(net(centre, None, None), target))
    net.train()
    return {"val_psnr": float(np.mean(multi)), "val_psnr_single": float(np.mean(single)),
            "val_psnr_y": float(np.mean(multi_y)), "val_sharpness": float(np.mean(sharp))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder (uses train/ only)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--blocks", type=int, default=6)
    ap.add_argument("--unshuffle", type=int, default=1, help="space-to-depth factor of the input (1 or 2)")
    ap.add_argument("--lr-size", type=int, default=48, help="low-resolution patch size")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--iters", type=int, default=200000, help="upper bound; --minutes usually stops first")
    ap.add_argument("--minutes", type=float, default=0, help="stop after this wall time (0 = no limit)")
    ap.add_argument("--degradation", default="bicubic", choices=DEGRADATIONS)
    ap.add_argument("--loss", default="l1", choices=LOSSES,
                    help="l1: RGB; luma: full-resolution luma + chroma on 2x2 blocks at 1/4 weight (4:2:0 delivery)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--val-seed", type=int, help="seed of the validation samples (default 10000 + --seed): "
                    "keep it when a fine-tune draws fresh training data with another --seed")
    ap.add_argument("--flow-preset", default="medium", help="DIS preset used to align neighbours")
    ap.add_argument("--init", type=Path, help="start from these weights (fine-tuning); fresh optimiser and schedule; "
                    "a shallower FlowVSR is grown to --blocks by identity layers, a narrower one to --channels by "
                    "zero-output channels, one without --unshuffle "
                    "is unshuffled (an x4 warm-starts an x2 --unshuffle 2)")
    ap.add_argument("--dataset", default="video", choices=["video", "faces", "real"],
                    help="video: multi-frame SR clips; faces: x4 face restoration crops (use --frames 1); "
                    "real: real-footage degradations (blur, noise, x264/x265) with teacher targets from --pool")
    ap.add_argument("--pool", type=Path, help="teacher pool folder (scripts/make_teacher_pool.py), for --dataset real")
    ap.add_argument("--teacher-weight", type=float, default=0.6, help="share of the teacher in the fidelity loss")
    ap.add_argument("--grad-weight", type=float, default=1.0, help="weight of the gradient loss against the teacher")
    ap.add_argument("--magnitude-weight", type=float, default=0.0,
                    help="weight of the gradient-magnitude loss against the teacher (pays for sharpness)")
    ap.add_argument("--energy-weight", type=float, default=0.0,
                    help="weight of the blockwise (8x8) gradient-energy loss against the teacher: as much "
                    "restored detail as the teacher per block, wherever exactly it lies")
    ap.add_argument("--oriented-weight", type=float, default=0.0,
                    help="weight of the blockwise energy loss per gradient orientation (0/45/90/135 degrees): "
                    "restored detail without one-direction stripes")
    ap.add_argument("--grid-weight", type=float, default=0.0,
                    help="weight of the sub-pixel bias loss against the ground truth: no texture paid as a "
                    "fixed pattern per pixel-shuffle position (grids, stripes)")
    ap.add_argument("--gradient-target", default="teacher", choices=["teacher", "gt"],
                    help="what the gradient and energy terms match: the teacher's output, or the ground truth "
                    "(an x2, whose input holds more than the x4 teacher saw)")
    ap.add_argument("--strength", type=float, default=1.0, help="scale of the real degradations' blur and noise")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--report-every", type=int, default=200)
    ap.add_argument("--val-samples", type=int, default=48)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    net = FlowVSR(args.scale, args.frames, args.channels, args.blocks, args.unshuffle).to(args.device)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    ckpt_path = args.out / "checkpoint.pt"
    it, elapsed0 = 0, 0.0
    if args.init and not ckpt_path.exists():
        from safetensors.torch import load_file
        init_state = load_file(str(args.init))
        if args.dataset != "faces" or "head.weight" in init_state:
            init_state = deepen_state(init_state, args.blocks)  # a no-op at the same depth
            init_state = widen_state(init_state, args.channels, seed=args.seed)  # a no-op at the same width
        if args.unshuffle > 1 and init_state["head.weight"].shape[1] != net.head.weight.shape[1]:
            init_state = unshuffle_state(init_state, args.unshuffle)  # e.g. the x4 as a warm start for x2
        net.load_state_dict(init_state, strict=True)
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location=args.device, weights_only=True)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        it, elapsed0 = int(ck["iter"]), float(ck["elapsed"])
    val_seed = 10_000 + args.seed if args.val_seed is None else args.val_seed
    if args.dataset == "faces":
        from vs_plugin.training.face_data import FaceCrops, split_faces
        train = FaceCrops(split_faces(args.data, "train"), args.lr_size, seed=args.seed, scale=args.scale)
        valset = FaceCrops(split_faces(args.data, "val"), 32, seed=val_seed, scale=args.scale)
    elif args.dataset == "real":
        from vs_plugin.training.real_data import RealClips
        from vs_plugin.training.teacher import TeacherPool
        if args.pool is None:
            ap.error("--dataset real needs --pool (made by scripts/make_teacher_pool.py)")
        train = RealClips(args.scale, args.frames, pool=TeacherPool(args.pool), seed=args.seed, strength=args.strength)
        valset = RealClips(args.scale, args.frames, sources=Sources.scan(args.data, "val"), seed=val_seed,
                           drop_neighbours=0.0, chain="eval")
    else:
        train = VSRClips(Sources.scan(args.data, "train"), args.scale, args.frames, args.lr_size,
                         args.degradation, seed=args.seed, flow_preset=args.flow_preset)
        valset = VSRClips(Sources.scan(args.data, "val"), args.scale, args.frames, 64,
                          args.degradation, seed=val_seed, drop_neighbours=0.0,
                          video_fraction=0.5, flow_preset=args.flow_preset)
    val = [valset[i] for i in range(args.val_samples)]
    write_run_record(args.out, sys.argv, sum(p.numel() for p in net.parameters()), vars(args))
    t0 = time.time() - elapsed0
    log = (args.out / "log.jsonl").open("a")
    losses = []
    while it < args.iters:
        # cosine decay over the planned time (or iterations)
        frac = progress(t0, args.minutes, it, args.iters)
        if frac >= 1.0:
            break
        for g in opt.param_groups:
            g["lr"] = cosine_lr(args.lr, frac, floor=0.02)
        batch = [train[it * args.batch + j] for j in range(args.batch)]
        centre, w, c, target, *teacher = (torch.stack(t).to(args.device) for t in zip(*batch))
        out = net(centre, w if w.shape[1] else None, c if c.shape[1] else None)
        if teacher:
            loss = distill_loss(out, target, teacher[0], teacher_weight=args.teacher_weight,
                                grad_weight=args.grad_weight, magnitude_weight=args.magnitude_weight,
                                energy_weight=args.energy_weight, oriented_weight=args.oriented_weight,
                                gradient_target=args.gradient_target, grid_weight=args.grid_weight,
                                scale=args.scale * args.unshuffle)  # the final pixel shuffle's factor
        else:
            loss = sr_loss(args.loss, out, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        it += 1
        if it % args.report_every == 0:
            rec = {"iter": it, "minutes": round((time.time() - t0) / 60, 2),
                   "loss": float(np.mean(losses)), "lr": opt.param_groups[0]["lr"], **validate(net, val, args.device)}
            losses = []
            log_record(log, rec)
            save_atomic({"model": net.state_dict(), "opt": opt.state_dict(), "iter": it,
                         "elapsed": time.time() - t0}, ckpt_path)
            export_weights(net, args.out / "model.safetensors")
    final = {"iter": it, "minutes": round((time.time() - t0) / 60, 2), **validate(net, val, args.device), "done": True}
    log_record(log, final)
    log.close()
    save_atomic({"model": net.state_dict(), "opt": opt.state_dict(), "iter": it, "elapsed": time.time() - t0},
                ckpt_path)
    export_weights(net, args.out / "model.safetensors")


if __name__ == "__main__":
    main()
