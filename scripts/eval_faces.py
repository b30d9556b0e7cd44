#!/usr/bin/env python3
"""Face-layer evaluation on ../shared/data/eval/videos and held-out training identities.

    python scripts/eval_faces.py --data ../shared/data --json docs/benchmarks/faces.json \
        --crops docs/images/faces_strip.png

1. Landmark jitter J = RMS_t |p[t+1] - 2 p[t] + p[t-1]| / inter-ocular distance of the main
   face: raw YuNet detections vs the smoothed tracks face_layer() uses.
2. Face-region warping error (E_warp x1000 inside the face boxes, flow from the *input* video)
   and colour flicker (mean |frame-to-frame change of the face's mean colour| after motion
   compensation, x1000) of the restorer applied per frame (face_layer stability 0) vs
   face_layer() at its default stability, over a x2 Lanczos background; and the floor: a
   neutral "restorer" (Lanczos) pasted the same way.
3. Face-region PSNR at x4 on held-out identities (train/faces, never trained on): the built-in
   face model vs the generic built-in upscaler run single-frame, clean bicubic and realistic
   degradations.
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
from vs_plugin.core import metrics  # noqa: E402
from vs_plugin.core.face.track import build_tracks, smooth  # noqa: E402
from vs_plugin.effects.face import faces_from_props  # noqa: E402
from vs_plugin.host.arrays import clip_from_arrays, frame_to_array, rgb_array  # noqa: E402

core = vs.core


def load_video(path: Path, frames: int, max_side: int) -> list[np.ndarray]:
    clip = core.bs.VideoSource(str(path), cachemode=0)
    n = min(frames, clip.num_frames)
    f = min(1.0, max_side / max(clip.width, clip.height)) if max_side else 1.0
    w, h = int(round(clip.width * f / 2) * 2), int(round(clip.height * f / 2) * 2)
    rgb = core.resize.Bicubic(clip, w, h, format=vs.RGBS, matrix_in_s="709")
    return [np.clip(frame_to_array(rgb.get_frame(i)), 0, 1) for i in range(n)]


def jitter(points: list[np.ndarray | None]) -> float:
    vals = []
    for t in range(1, len(points) - 1):
        a, b, c = points[t - 1], points[t], points[t + 1]
        if a is None or b is None or c is None:
            continue
        iod = np.linalg.norm(b[0] - b[1])
        vals.append(np.mean(np.linalg.norm(c - 2 * b + a, axis=1) ** 2) / iod ** 2)
    return float(np.sqrt(np.mean(vals))) if vals else float("nan")


def main_face(dets):
    return max(dets, key=lambda d: d.box[2] * d.box[3]) if dets else None


def landmark_jitter(frames: list[np.ndarray], radius: int = 3, stability: float = 0.7) -> dict:
    det = vs_plugin.detect_faces(clip_from_arrays(frames))
    raw = [faces_from_props(det.get_frame(i).props) for i in range(len(frames))]
    raw_pts = [main_face(d).landmarks if d else None for d in raw]
    smoothed = []
    sigma = 0.5 + 2.5 * stability
    for n in range(len(frames)):
        lo, hi = max(0, n - radius), min(len(frames), n + radius + 1)
        window = [raw[i] for i in range(lo, hi)]
        tracks = build_tracks(window, n - lo)
        mf = main_face(raw[n])
        if mf is None or not tracks:
            smoothed.append(None)
            continue
        best = min(tracks, key=lambda t: np.abs(smooth(t, n - lo, sigma) - mf.landmarks).mean())
        smoothed.append(smooth(best, n - lo, sigma))
    return {"raw": jitter(raw_pts), "smoothed": jitter(smoothed), "frames": len(frames),
            "detected": sum(p is not None for p in raw_pts)}


def face_mask_boxes(frames, scale: float, shape) -> list[np.ndarray]:
    det = vs_plugin.detect_faces(clip_from_arrays(frames))
    out = []
    for i in range(len(frames)):
        m = np.zeros(shape, np.float64)
        for d in faces_from_props(det.get_frame(i).props):
            x, y, w, h = (v * scale for v in d.box)
            m[int(max(0, y)):int(y + h), int(max(0, x)):int(x + w)] = 1
        out.append(m)
    return out


def temporal_face_metrics(frames, restorer, stability: float) -> dict:
    src = clip_from_arrays(frames)
    up = vs_plugin.upscale(src, frames[0].shape[1] * 2, frames[0].shape[0] * 2, model="lanczos", fit="stretch")
    out = vs_plugin.face_layer(src, up, model=restorer, stability=stability, strength=1.0)
    outs = [np.clip(rgb_array(out, i), 0, 1) for i in range(len(frames))]
    H, W = outs[0].shape[:2]
    masks = face_mask_boxes(frames, 2.0, (H, W))
    errs, cols = [], []
    for t in range(len(frames) - 1):
        fw = flowlib.upscale_flow(flowlib.dis_flow(frames[t], frames[t + 1]), 2.0, (H, W))
        bw = flowlib.upscale_flow(flowlib.dis_flow(frames[t + 1], frames[t]), 2.0, (H, W))
        from vs_plugin.core.metrics import occlusion_mask
        m = occlusion_mask(fw, bw) * masks[t]
        if m.sum() < 100:
            continue
        warped = flowlib.backward_warp(outs[t + 1], fw)
        errs.append(float((m * np.mean((outs[t] - warped) ** 2, -1)).sum() / m.sum()))
        mc = (m[..., None] * outs[t]).sum((0, 1)) / m.sum()
        mw = (m[..., None] * warped).sum((0, 1)) / m.sum()
        cols.append(float(np.abs(mc - mw).mean()))
    return {"face_ewarp": 1000 * float(np.mean(errs)), "colour_flicker": 1000 * float(np.mean(cols)),
            "pairs": len(errs)}, outs


def fastest_motion(frames: list[np.ndarray]):
    """The frame where the main face moves most (largest landmark change between its
    neighbours, relative to the eye distance: a head turn or a fast nod) and its box there; the
    frame where ghosting would show if fusion blended across motion."""
    det = vs_plugin.detect_faces(clip_from_arrays(frames))
    faces = [main_face(faces_from_props(det.get_frame(i).props)) for i in range(len(frames))]
    best, best_t = -1.0, 0
    for t in range(1, len(frames) - 1):
        a, b, c = faces[t - 1], faces[t], faces[t + 1]
        if a is None or b is None or c is None:
            continue
        iod = np.linalg.norm(b.landmarks[0] - b.landmarks[1])
        motion = float(np.abs(c.landmarks - a.landmarks).mean() / iod)
        if motion > best:
            best, best_t = motion, t
    return best_t, (faces[best_t].box if faces[best_t] is not None else None)


def held_out_psnr(data: Path, face_model, generic, n: int = 120) -> dict:
    from vs_plugin.training.face_data import FaceCrops, split_faces
    res = {}
    for mode, realistic in (("bicubic", 0.0), ("realistic", 1.0)):
        ds = FaceCrops(split_faces(data, "val"), lr_size=32, seed=777, realistic=realistic)
        pf, pg = [], []
        for i in range(n):
            lr, _, _, hr = ds[i]
            lr = lr.numpy().transpose(1, 2, 0)
            hr = hr.numpy().transpose(1, 2, 0)
            c = slice(16, -16)  # the face region: centre of the crop
            for model, acc in ((face_model, pf), (generic, pg)):
                o = model(lr)
                acc.append(metrics.psnr(o[c, c], hr[c, c]))
        res[mode] = {"face_model": float(np.mean(pf)), "generic": float(np.mean(pg)),
                     "gain_db": float(np.mean(pf) - np.mean(pg)), "crops": n}
    return res


def box_metrics(outs, gt, boxes, flows) -> dict:
    """Face-box Y-PSNR, GMSD, Sobel sharpness relative to the ground truth, and face E_warp x1000
    (flow from the ground truth, occlusion-masked) of output frames ``outs``."""
    ps, gm, sh = [], [], []
    for t, (o, g) in enumerate(zip(outs, gt)):
        for x0, y0, x1, y1 in boxes[t]:
            ps.append(metrics.psnr_y(o[y0:y1, x0:x1], g[y0:y1, x0:x1]))
            gm.append(metrics.gmsd(o[y0:y1, x0:x1], g[y0:y1, x0:x1]))
            sh.append(metrics.sharpness(o[y0:y1, x0:x1], g[y0:y1, x0:x1]))
    return {"psnr_y": float(np.mean(ps)), "gmsd": float(np.mean(gm)), "sharpness": float(np.mean(sh)),
            "face_ewarp": metrics.warping_error(outs, flows, regions=boxes), "boxes": len(ps)}


def degraded_faces(clip_path: Path, frames: int, crf: int = 28, **layer) -> tuple[dict, dict]:
    """The talking-head clip as ground truth, degraded x4 by the fixed chain (bicubic, blur 0.5,
    H.264 at ``crf``); face boxes found on the ground truth. Compares upscale() alone, the face
    layer's restorer per frame (stability 0) and face_layer() at its defaults."""
    return degraded_face_metrics(load_video(clip_path, frames, 0), crf, **layer)


def degraded_face_metrics(gt: list[np.ndarray], crf: int = 28, **layer) -> tuple[dict, dict]:
    """:func:`degraded_faces` on ground-truth frames ``gt``; ``layer`` overrides face_layer()'s
    defaults (development runs on training data only)."""
    from vs_plugin.training.degrade import eval_chain, lr_size
    h, w = lr_size(gt[0].shape, 4)
    gt = [np.ascontiguousarray(g[:4 * h, :4 * w]) for g in gt]
    lr = eval_chain(gt, crf)
    src = clip_from_arrays(lr)
    up = vs_plugin.upscale(src, 4 * w, 4 * h, format=vs.RGBS)
    runs = {"upscale": up,
            "restorer_per_frame": vs_plugin.face_layer(src, up, **{**layer, "stability": 0.0}),
            "face_layer": vs_plugin.face_layer(src, up, **layer)}
    det = vs_plugin.detect_faces(clip_from_arrays(gt))
    boxes = []
    for i in range(len(gt)):
        bs = []
        for d in faces_from_props(det.get_frame(i).props):
            x, y, bw, bh = d.box
            if bw >= 48:
                bs.append((int(max(0, x)), int(max(0, y)), int(min(4 * w, x + bw)), int(min(4 * h, y + bh))))
        boxes.append(bs)
    flows = metrics.reference_flows(gt)
    res, outs = {}, {}
    for name, clip in runs.items():
        outs[name] = [np.clip(frame_to_array(clip.get_frame(i)), 0, 1) for i in range(len(gt))]
        res[name] = box_metrics(outs[name], gt, boxes, flows)
        print(name, json.dumps(res[name]), file=sys.stderr, flush=True)
    # the floor an exact restoration reaches: the flow and the bilinear warp are not exact either
    res["ground_truth"] = {"face_ewarp": metrics.warping_error(gt, flows, regions=boxes)}
    res["ratios"] = {
        "sharpness_face_layer_over_upscale": res["face_layer"]["sharpness"] / res["upscale"]["sharpness"],
        "psnr_face_layer_minus_upscale": res["face_layer"]["psnr_y"] - res["upscale"]["psnr_y"],
        "ewarp_face_layer_over_upscale": res["face_layer"]["face_ewarp"] / res["upscale"]["face_ewarp"],
        "ewarp_face_layer_over_per_frame": res["face_layer"]["face_ewarp"] / res["restorer_per_frame"]["face_ewarp"]}
    return res, {"gt": gt, "boxes": boxes, **outs}


def degraded_summary(clips: dict) -> dict:
    """Means over ``clips`` (results of :func:`degraded_face_metrics`) per run, and the
    acceptance ratios of face_layer() against upscale() alone and the restorer per frame."""
    keys = ("psnr_y", "gmsd", "sharpness", "face_ewarp")
    m = {n: {k: float(np.mean([c[n][k] for c in clips.values()])) for k in keys}
         for n in ("upscale", "restorer_per_frame", "face_layer")}
    m["ground_truth"] = {"face_ewarp": float(np.mean([c["ground_truth"]["face_ewarp"] for c in clips.values()]))}
    m["ratios"] = {
        "sharpness": m["face_layer"]["sharpness"] / m["upscale"]["sharpness"],
        "psnr_db": m["face_layer"]["psnr_y"] - m["upscale"]["psnr_y"],
        "gmsd_lower": m["face_layer"]["gmsd"] < m["upscale"]["gmsd"],
        "ewarp_vs_upscale": m["face_layer"]["face_ewarp"] / m["upscale"]["face_ewarp"],
        "ewarp_vs_per_frame": m["face_layer"]["face_ewarp"] / m["restorer_per_frame"]["face_ewarp"]}
    return m


def crop_sheet(data: dict, path: Path, t: int) -> None:
    """Rows: eyes, mouth, hair/forehead of the main face; columns: ground truth, upscale(),
    restorer per frame, face_layer(), each at frames t and t+1."""
    x0, y0, x1, y1 = max(data["boxes"][t], key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    bw, bh = x1 - x0, y1 - y0
    s = max(32, bw // 3)
    regions = {"eyes": (y0 + int(0.25 * bh), x0 + int(0.2 * bw)), "mouth": (y0 + int(0.62 * bh), x0 + bw // 2 - s // 2),
               "hair": (max(0, y0 - s // 3), x0 + bw // 2 - s // 2)}
    names = ["gt", "upscale", "restorer_per_frame", "face_layer"]
    rows = []
    for label, (yy, xx) in regions.items():
        tiles = []
        for n in names:
            for k in (t, t + 1):
                tile = cv2.resize(np.clip(data[n][k][yy:yy + s, xx:xx + s], 0, 1), (160, 160),
                                  interpolation=cv2.INTER_NEAREST)
                tile = np.ascontiguousarray((tile * 255 + 0.5).astype(np.uint8))
                text = f"{n} t{'+1' if k > t else ''}" if label == "eyes" else ""
                for colour, th in (((0, 0, 0), 3), ((255, 255, 255), 1)):
                    cv2.putText(tile, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.38, colour, th, cv2.LINE_AA)
                tiles.append(tile)
        rows.append(np.concatenate(tiles, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--crops", type=Path)
    ap.add_argument("--frames", type=int, default=48, help="frames per clip for the temporal metrics")
    ap.add_argument("--jitter-frames", type=int, default=250)
    ap.add_argument("--max-side", type=int, default=480,
                    help="downscale clips larger than this for the temporal metrics (0 = native size)")
    ap.add_argument("--clips", default="", help="only clips whose name contains one of these (comma-separated)")
    ap.add_argument("--no-held-out", action="store_true", help="skip the held-out PSNR part")
    ap.add_argument("--degraded", action="store_true",
                    help="only the ground-truth comparison: clips degraded x4 (blur 0.5, H.264 CRF 28), face-box "
                    "Y-PSNR/GMSD/sharpness/E_warp of upscale(), the restorer per frame and face_layer()")
    ap.add_argument("--degraded-crops", type=Path, help="with --degraded: eyes/mouth/hair crop sheet (PNG)")
    ap.add_argument("--layer", default="{}", help="with --degraded: face_layer() arguments as JSON, e.g. a "
                    "candidate restorer '{\"model\": \"runs/x/model.safetensors\"}' (measured once, after it was "
                    "chosen on training data)")
    args = ap.parse_args()
    if args.degraded:
        results = {"command": " ".join(sys.argv), "chain": "x4 bicubic, blur 0.5, H.264 CRF 28", "clips": {}}
        for clip_path in sorted((args.data / "eval/videos").glob("*.mp4")):
            if args.clips and not any(c in clip_path.stem for c in args.clips.split(",")):
                continue
            res, data = degraded_faces(clip_path, args.frames, **json.loads(args.layer))
            results["clips"][clip_path.stem] = res
            if args.degraded_crops and "d19" in clip_path.stem:
                crop_sheet(data, args.degraded_crops, args.frames // 2)
        results["mean"] = degraded_summary(results["clips"])
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
        print(json.dumps(results["mean"], indent=1), file=sys.stderr)
        return
    from vs_plugin.models import backends, registry
    models = registry.builtin_models()
    face_desc = next(d for d in models.values() if d.purpose == "face-sr")
    face_model = backends.builtin_backend(face_desc, "cpu")
    generic_desc = registry.pick_builtin(4)
    generic = backends.SingleFrame(backends.builtin_backend(generic_desc, "cpu"))

    results = {"command": " ".join(sys.argv), "face_model": face_desc.name, "generic": generic_desc.name,
               "clips": {}}
    strip = []
    for clip_path in sorted((args.data / "eval/videos").glob("*.mp4")):
        if args.clips and not any(c in clip_path.stem for c in args.clips.split(",")):
            continue
        frames_j = load_video(clip_path, args.jitter_frames, 640)
        r = {"jitter": landmark_jitter(frames_j)}
        frames = load_video(clip_path, args.frames, args.max_side)
        per_frame, outs0 = temporal_face_metrics(frames, face_model, 0.0)
        layered, outs1 = temporal_face_metrics(frames, face_model, 0.7)
        r["per_frame"], r["face_layer"] = per_frame, layered
        # the floor: a "restorer" that adds nothing (Lanczos of the crop) pasted the same way
        neutral = backends.LanczosSR(int(face_model.scale))
        r["neutral_floor"], _ = temporal_face_metrics(frames, neutral, 0.0)
        results["clips"][clip_path.stem] = r
        print(clip_path.stem, json.dumps(r), file=sys.stderr, flush=True)
        if args.crops:
            t, box = fastest_motion(frames)
            if box is not None:
                r["crop_frame"] = t
                x, y, w, h = (int(v * 2) for v in box)
                pad = w // 3
                sl = (slice(max(0, y - pad), y + h + pad), slice(max(0, x - pad), x + w + pad))
                lz = cv2.resize(frames[t], (frames[t].shape[1] * 2, frames[t].shape[0] * 2),
                                interpolation=cv2.INTER_LANCZOS4)
                row = [cv2.resize(np.clip(im[sl], 0, 1), (256, 256)) for im in (lz, outs0[t], outs1[t])]
                strip.append(np.concatenate(row, 1))
    if not args.no_held_out:
        results["held_out_x4_psnr"] = held_out_psnr(args.data, face_model, generic)
        print(json.dumps(results["held_out_x4_psnr"]), file=sys.stderr)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1))
    if args.crops and strip:
        img = (np.concatenate(strip, 0) * 255 + 0.5).astype(np.uint8)
        args.crops.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(args.crops), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
