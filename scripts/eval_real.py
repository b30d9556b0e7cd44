#!/usr/bin/env python3
"""Real-footage benchmark: x4 restoration of video degraded the way it arrives.

    python scripts/eval_real.py --data ../shared/data --json docs/benchmarks/real_x4.json \
        --crop docs/images/real_crop.png

Ground truth: the first --frames frames of the Vid4 GT sequences and of the eval talking-head
videos (../shared/data/eval). Degradation, fixed and documented (vs_plugin.training.degrade.eval_chain):
x4 antialiased bicubic (MATLAB imresize), Gaussian blur sigma 0.5, H.264 (libx264, preset medium,
4:2:0) at CRF 28 through PyAV; also CRF 23 and 35 (--crfs). Methods: Lanczos, builtin-clean and the
default built-in model through upscale(), and the teacher (Real-ESRGAN x4plus) per frame and
through upscale()'s fusion. Metrics per method, averaged over clips: Y-PSNR, SSIM, GMSD (Xue et
al. 2014, on Y; lower is better), Sobel sharpness relative to the ground truth, warping error
E_warp x1000 (flow from the ground truth) and tOF, plus seconds per output frame.

Results are merged into --json, so a run with --methods adds to an earlier one.
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
from vs_plugin.core import flow as flowlib  # noqa: E402
from vs_plugin.core import metrics  # noqa: E402
from vs_plugin.host.arrays import clip_from_arrays, frame_to_array  # noqa: E402
from vs_plugin.training.degrade import eval_chain  # noqa: E402

VID4 = ("calendar", "city", "foliage", "walk")
VIDEOS = ("liveportrait_driving_d18.mp4", "liveportrait_driving_d19.mp4", "liveportrait_source_s18.mp4")
#: crop frames of each method, kept between runs of some --methods (git-ignored)
CROP_CACHE = Path(__file__).resolve().parents[1] / "runs" / "eval_real_crops"
METHODS = ("lanczos", "builtin-clean", "builtin", "teacher-frame", "teacher-upscale")


def read_clip(data: Path, name: str, frames: int) -> list[np.ndarray]:
    """Ground-truth frames as float32 RGB, cropped to a multiple of 8."""
    if name in VID4:
        files = sorted((data / "eval/vid4/GT" / name).glob("*.webp"))[:frames]
        out = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in files]
    else:
        import av
        out = []
        with av.open(str(data / "eval/videos" / name)) as f:
            for fr in f.decode(video=0):
                out.append(fr.to_ndarray(format="rgb24"))
                if len(out) == frames:
                    break
    h, w = out[0].shape[:2]
    return [np.ascontiguousarray(f[: h - h % 8, : w - w % 8]).astype(np.float32) / 255 for f in out]


def run(method: str, lr: list[np.ndarray], teacher: Path, scale: int = 4) -> list[np.ndarray]:
    h, w = lr[0].shape[:2]
    if method == "lanczos":
        return [np.clip(cv2.resize(f, (scale * w, scale * h), interpolation=cv2.INTER_LANCZOS4), 0, 1) for f in lr]
    named = {"builtin-clean": "builtin-clean", "builtin": "builtin"}
    model = named.get(method, method if method.endswith(".safetensors") or method.startswith("builtin")
                      else str(teacher))  # a candidate's weights file, or a shipped model by name
    kw = dict(radius=0, stability=0.0) if method == "teacher-frame" else {}
    up = vs_plugin.upscale(clip_from_arrays(lr), scale * w, scale * h, model=model, format=vs.RGBS, **kw)
    return [np.clip(frame_to_array(up.get_frame(n)), 0, 1) for n in range(up.num_frames)]


#: the fine-texture row: the most textured blocks of each clip (fur, foliage, fabric, text)
TEXTURE_BLOCK, TEXTURE_SHARE = 32, 0.1


def texture_blocks(gt: list[np.ndarray]) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of the ``TEXTURE_SHARE`` most textured ``TEXTURE_BLOCK``-pixel blocks of
    the ground truth's first frame (Laplacian energy of its luma): where invented texture shows."""
    y = metrics.y_bt601(gt[0])
    energy = np.abs(cv2.Laplacian(y.astype(np.float32), cv2.CV_32F, ksize=3))
    b = TEXTURE_BLOCK
    h, w = (d // b * b for d in y.shape)
    per = energy[:h, :w].reshape(h // b, b, w // b, b).mean((1, 3))
    n = max(1, int(round(per.size * TEXTURE_SHARE)))
    idx = np.argsort(per.ravel())[::-1][:n]
    return [(int(i % per.shape[1]) * b, int(i // per.shape[1]) * b, int(i % per.shape[1]) * b + b,
             int(i // per.shape[1]) * b + b) for i in idx]


def texture_score(out: list[np.ndarray], gt: list[np.ndarray], flows, blocks) -> dict:
    """GMSD, sharpness and E_warp on the fine-texture blocks only."""
    crops = lambda img: [img[y0:y1, x0:x1] for x0, y0, x1, y1 in blocks]  # noqa: E731
    pairs = [(o, g) for of, gf in zip(out, gt) for o, g in zip(crops(of), crops(gf))]
    return {"texture_gmsd": float(np.mean([metrics.gmsd(o, g) for o, g in pairs])),
            "texture_sharpness": float(np.mean([metrics.sharpness(o, g) for o, g in pairs])),
            "texture_ewarp": metrics.warping_error(out, flows, [blocks] * len(flows))}


def score(out: list[np.ndarray], gt: list[np.ndarray], flows, blocks=None) -> dict:
    r = {"psnr_y": float(np.mean([metrics.psnr_y(o, g) for o, g in zip(out, gt)])),
         "ssim_y": float(np.mean([metrics.ssim_y(o, g) for o, g in zip(out, gt)])),
         "gmsd": float(np.mean([metrics.gmsd(o, g) for o, g in zip(out, gt)])),
         "sharpness": float(np.mean([metrics.sharpness(o, g) for o, g in zip(out, gt)])),
         "ewarp": metrics.warping_error(out, flows),
         "tof": metrics.tof(out, gt)}
    if blocks:
        r.update(texture_score(out, gt, flows, blocks))
    return r


def crop_figure(outs: dict, gt: list[np.ndarray], t: int, box: tuple[int, int, int], path: Path) -> None:
    """Columns: ground truth and each method; rows: frame t, frame t+1, and
    |frame t - frame t+1 warped onto t by the ground truth's flow| x4 (flicker shows bright)."""
    y, x, s = box
    fw = flowlib.dis_flow(gt[t], gt[t + 1], "medium")
    cols = []
    for name, frames in [("ground truth", gt)] + list(outs.items()):
        a, b = frames[t], frames[t + 1]
        diff = np.clip(np.abs(a - flowlib.backward_warp(b, fw)) * 4, 0, 1)
        tiles = []
        for img, label in ((a, f"{name}  t"), (b, "t+1"), (diff, "|t - warp(t+1)| x4")):
            tile = np.ascontiguousarray((img[y:y + s, x:x + s] * 255 + 0.5).astype(np.uint8))
            for colour, thick in (((0, 0, 0), 3), ((255, 255, 255), 1)):
                cv2.putText(tile, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, thick, cv2.LINE_AA)
            tiles.append(tile)
        cols.append(np.concatenate(tiles, 0))
    sep = np.full((cols[0].shape[0], 4, 3), 255, np.uint8)
    img = np.concatenate([c for col in cols for c in (col, sep)][:-1], 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=8, help="frames per clip")
    ap.add_argument("--clips", default=",".join(VID4 + VIDEOS))
    ap.add_argument("--crfs", default="28,23,35")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--teacher-crfs", default="28", help="CRFs at which the (slow) teacher methods run")
    ap.add_argument("--teacher", type=Path, help="default: <data>/teachers/realesrgan_x4plus_fp16.safetensors")
    ap.add_argument("--scale", type=int, default=4, choices=[2, 4],
                    help="x2 runs the same chain with an x2 downscale (the teacher is x4 only)")
    ap.add_argument("--crop", type=Path, help="write the side-by-side crop figure here")
    ap.add_argument("--crop-clip", default="calendar")
    ap.add_argument("--crop-box", default="40,300,240", help="y,x,size of the crop in output pixels")
    args = ap.parse_args()
    vs.core.max_cache_size = 4096
    teacher = args.teacher or args.data / "teachers/realesrgan_x4plus_fp16.safetensors"
    res = json.loads(args.json.read_text()) if args.json.exists() else {}
    res["command"] = " ".join(sys.argv)
    res.setdefault("commands", [])
    if res["command"] not in res["commands"]:
        res["commands"].append(res["command"])  # runs of some --methods add up
    res["chain"] = (f"x{args.scale} antialiased bicubic, Gaussian blur 0.5, libx264 preset medium 4:2:0 at the "
                    "CRF, PyAV")
    res.setdefault("results", {})
    crop_gt = None
    for name in args.clips.split(","):
        gt = read_clip(args.data, name, args.frames)
        flows = metrics.reference_flows(gt)
        blocks = texture_blocks(gt)
        for crf in (int(c) for c in args.crfs.split(",")):
            lr = eval_chain(gt, crf, args.scale)
            key = f"crf{crf}"
            for method in args.methods.split(","):
                if method.startswith("teacher") and (str(crf) not in args.teacher_crfs.split(",") or args.scale != 4):
                    continue
                t0 = time.time()
                out = run(method, lr, teacher, args.scale)
                r = score(out, gt, flows, blocks)
                r["seconds_per_frame"] = round((time.time() - t0) / len(out), 2)
                res["results"].setdefault(key, {}).setdefault(method, {})[name] = r
                print(name, key, method, json.dumps(r), file=sys.stderr, flush=True)
                if args.crop and name == args.crop_clip and crf == 28:
                    t = args.frames // 2 - 1  # kept, so runs of some --methods still make one figure
                    keep = CROP_CACHE / args.json.stem
                    keep.mkdir(parents=True, exist_ok=True)
                    np.save(keep / f"{method}.npy", (np.stack(out[t:t + 2]) * 65535 + 0.5).astype(np.uint16))
            if args.crop and name == args.crop_clip and crf == 28:
                crop_gt = gt
            res["results"].setdefault(key, {}).setdefault("ground-truth", {})[name] = {
                "ewarp": metrics.warping_error(gt, flows),
                "texture_ewarp": metrics.warping_error(gt, flows, [blocks] * len(flows))}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1))
    res["mean"] = {key: {m: {k: float(np.mean([c[k] for c in per.values()])) for k in next(iter(per.values()))}
                         for m, per in methods.items()} for key, methods in res["results"].items()}
    args.json.write_text(json.dumps(res, indent=1))
    for key, methods in res["mean"].items():
        for m, r in methods.items():
            print(f"{key} {m:16s} " + "  ".join(f"{k}={v:.4f}" for k, v in r.items()), file=sys.stderr)
    if args.crop and crop_gt is not None:
        y, x, s = (int(v) for v in args.crop_box.split(","))
        keep = CROP_CACHE / args.json.stem
        t = args.frames // 2 - 1
        outs = {m: [None] * t + list(np.load(keep / f"{m}.npy").astype(np.float32) / 65535)
                for m in METHODS if (keep / f"{m}.npy").exists()}
        crop_figure(outs, crop_gt, t, (y, x, s), args.crop)


if __name__ == "__main__":
    main()
