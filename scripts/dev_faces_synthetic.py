#!/usr/bin/env python3
"""Development proxy for the face layer's temporal metrics, built only from training data.

    python scripts/dev_faces_synthetic.py --data ../shared/data --json runs/faces_synthetic.json

``eval/videos`` is the benchmark and must not steer design choices, so face-layer changes are
first measured here: synthetic "talking" clips made from held-out identities of
``train/faces`` (never trained on by the face model). Each clip pastes a face photo over a
BSDS500 training photo, moves it along a smooth similarity path (pan, nod, small roll, zoom),
opens and closes the mouth with a smooth local warp (an expression change the layer must follow
without ghosting), renders at 960x540, downsizes to 480x270 and passes it through H.264
(libx264, CRF 30) so compression noise flickers as in real footage. The metrics are
``eval_faces.temporal_face_metrics``: face-region E_warp of the restorer per frame, of
face_layer() and of the neutral paste.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from eval_faces import temporal_face_metrics  # noqa: E402

from vs_plugin.core import metrics  # noqa: E402
from vs_plugin.training.degrade import codec_roundtrip  # noqa: E402
from vs_plugin.training.face_data import split_faces  # noqa: E402

W, H = 960, 540


def _read(p: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB).astype(np.float32) / 255


def _mouth_warp(face: np.ndarray, opening: float) -> np.ndarray:
    """Stretch the lower face vertically around the mouth (CelebA-aligned geometry)."""
    h, w = face.shape[:2]
    my, mx = 0.735 * h, 0.5 * w
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    g = np.exp(-(((xx - mx) / (0.16 * w)) ** 2 + ((yy - my) / (0.09 * h)) ** 2))
    map_y = (yy - opening * (yy - my) * g).astype(np.float32)
    return cv2.remap(face, xx, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)


def make_clip(face_path: Path, bg_path: Path, frames: int, seed: int, crf: int = 30, scale: float = 2.0,
              motion: float = 1.0):
    """One synthetic talking clip: 480x270 RGB float32 frames after an H.264 round trip, and
    the clean 960x540 renders with the face's alpha (the ground truth of a x2 upscale)."""
    rng = np.random.default_rng(seed)
    face = _read(face_path)
    bg = cv2.resize(_read(bg_path), (W, H), interpolation=cv2.INTER_CUBIC)
    fh, fw = face.shape[:2]
    feather = np.ones((fh, fw), np.float32)
    feather[:8], feather[-8:], feather[:, :8], feather[:, -8:] = 0, 0, 0, 0
    feather = cv2.GaussianBlur(feather, (0, 0), 6)[..., None]
    ph = rng.uniform(0, 2 * np.pi, 5)
    size = scale * H / 540 * rng.uniform(0.9, 1.1)
    raw, clean, alphas = [], [], []
    for t in range(frames):
        u = motion * t / 25.0
        opening = 0.35 * max(0.0, np.sin(2 * np.pi * 1.3 * u + ph[0]))
        f = _mouth_warp(face, opening)
        ang = 6 * np.sin(2 * np.pi * 0.4 * u + ph[1])
        s = size * (1 + 0.05 * np.sin(2 * np.pi * 0.3 * u + ph[2]))
        cx = W / 2 + 60 * np.sin(2 * np.pi * 0.25 * u + ph[3])
        cy = H / 2 + 20 * np.sin(2 * np.pi * 0.7 * u + ph[4])
        m = cv2.getRotationMatrix2D((fw / 2, fh / 2), ang, s)
        m[:, 2] += (cx - fw / 2, cy - fh / 2)
        fg = cv2.warpAffine(f, m, (W, H), flags=cv2.INTER_CUBIC)
        a = cv2.warpAffine(feather, m, (W, H), flags=cv2.INTER_LINEAR)[..., None]
        img = bg * (1 - a) + fg * a
        raw.append(cv2.resize(img, (W // 2, H // 2), interpolation=cv2.INTER_AREA))
        clean.append(img)
        alphas.append(a[..., 0])
    return codec_roundtrip(raw, "libx264", crf, "medium"), clean, alphas


def face_psnr(outs: list[np.ndarray], clean: list[np.ndarray], alphas: list[np.ndarray]) -> float:
    """PSNR against the clean render inside the pasted face (alpha > 0.9): drops if temporal
    fusion blends a neighbour's expression into frame n (ghosting)."""
    vals = []
    for o, c, a in zip(outs, clean, alphas):
        m = a > 0.9
        vals.append(metrics.psnr(o[m], c[m]))
    return float(np.mean(vals))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--clips", type=int, default=3)
    ap.add_argument("--frames", type=int, default=32)
    ap.add_argument("--save", type=Path, help="write the clips here as PNG folders (to look at)")
    ap.add_argument("--degraded", action="store_true",
                    help="eval_faces.py --degraded on these clips: the clean 960x540 renders (faces at their "
                    "photo's own resolution) as ground truth, degraded x4 by the fixed chain")
    ap.add_argument("--layer", default="{}", help="with --degraded: face_layer() arguments as JSON")
    ap.add_argument("--face-scale", type=float, default=2.0,
                    help="with --degraded: the face photo's scale in the clip (2: faces about 45 source pixels wide "
                    "as in eval/videos, over a photo upsampled 2x, so the truth is soft; 1: 22 px faces at the photo's "
                    "own resolution)")
    ap.add_argument("--motion", type=float, default=1.0, help="with --degraded: speed of the head's motion "
                    "(0.25: a nearly still speaker)")
    args = ap.parse_args()
    if args.degraded:
        degraded(args)
        return
    from vs_plugin.models import backends, registry
    face_desc = next(d for d in registry.builtin_models().values() if d.purpose == "face-sr")
    face_model = backends.builtin_backend(face_desc, "cpu")
    faces = [p for p in split_faces(args.data, "val") if "celeba" in str(p)]
    bgs = sorted((args.data / "train/images/bsds500_train").glob("*"))
    rng = np.random.default_rng(2026)
    res = {"command": " ".join(sys.argv), "clips": {}}
    for c in range(args.clips):
        fp, bp = faces[rng.integers(len(faces))], bgs[rng.integers(len(bgs))]
        frames, clean, alphas = make_clip(fp, bp, args.frames, seed=c)
        if args.save:
            d = args.save / f"clip{c}"
            d.mkdir(parents=True, exist_ok=True)
            for i, f in enumerate(frames):
                cv2.imwrite(str(d / f"{i:03d}.png"), cv2.cvtColor((f * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR))
        r = {"face": fp.name, "background": bp.name}
        for key, model, stab in (("per_frame", face_model, 0.0), ("face_layer", face_model, 0.7),
                                 ("neutral_floor", backends.LanczosSR(int(face_model.scale)), 0.0)):
            r[key], outs = temporal_face_metrics(frames, model, stab)
            r[key]["psnr_vs_clean"] = face_psnr(outs, clean, alphas)
        r["ratio"] = r["face_layer"]["face_ewarp"] / r["per_frame"]["face_ewarp"]
        res["clips"][f"clip{c}"] = r
        print(f"clip{c}", json.dumps(r), file=sys.stderr, flush=True)
    res["mean_ratio"] = float(np.mean([r["ratio"] for r in res["clips"].values()]))
    print("mean ratio", res["mean_ratio"], file=sys.stderr)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=1))


def degraded(args) -> None:
    """Face-box Y-PSNR, GMSD, sharpness and E_warp of upscale(), the restorer per frame and
    face_layer() on synthetic clips of held-out identities: the development twin of
    ``eval_faces.py --degraded``."""
    from eval_faces import degraded_face_metrics, degraded_summary
    faces = [p for p in split_faces(args.data, "val") if "celeba" in str(p)]
    bgs = sorted((args.data / "train/images/bsds500_train").glob("*"))
    rng = np.random.default_rng(2027)
    layer = json.loads(args.layer)
    res = {"command": " ".join(sys.argv), "clips": {}}
    for c in range(args.clips):
        fp, bp = faces[rng.integers(len(faces))], bgs[rng.integers(len(bgs))]
        _, clean, _ = make_clip(fp, bp, args.frames, seed=100 + c, scale=args.face_scale, motion=args.motion)
        r, _ = degraded_face_metrics(clean, 28, **layer)
        res["clips"][f"clip{c}"] = {"face": fp.name, **r}
    res["mean"] = degraded_summary(res["clips"])
    print(json.dumps(res["mean"], indent=1), file=sys.stderr)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
