#!/usr/bin/env python3
"""Copy a finished training run into models/ and write its MODELS.toml entry.

    python scripts/ship_model.py --run runs/x4 --name builtin-x4 --file builtin_x4.safetensors

The entry records the architecture and its arguments, parameter count, sha256, the training
command and commit (from <run>/run.json), the data and its licence terms.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from safetensors import safe_open

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from vs_plugin.core.digest import sha256_file  # noqa: E402

DATA_TERMS = ("T91 and BSDS500 train/test images (research use), Vimeo-90K septuplets 00001-00014 "
              "(research use), all from ../shared/data/train; eval/ never seen")


FACE_TERMS = ("CelebA aligned faces (2,000 images of 200 identities; the last 20 identities held out) and LFW "
              "deep-funneled faces (2,500, one per person; names whose sha1 ends in 0 held out), research use, "
              "from ../shared/data/train/faces; eval/ never seen")


#: validation figures of a run's last log line -> manifest names (train/'s held-out part)
EVAL_KEYS = {"val_psnr": "train_val_psnr_rgb", "val_psnr_single": "train_val_psnr_rgb_single_frame",
             "val_psnr_y": "train_val_psnr_y", "val_sharpness": "train_val_sharpness"}


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    return json.dumps(str(v))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--purpose", default="video-sr")
    ap.add_argument("--degradation", default="bicubic")
    ap.add_argument("--notes", default="")
    ap.add_argument("--training-data", default=DATA_TERMS)
    ap.add_argument("--teacher", default="", help="the teacher whose outputs trained it (distillation), recorded")
    args = ap.parse_args()
    if args.purpose == "face-sr" and args.training_data == DATA_TERMS:
        args.training_data = FACE_TERMS
    src = args.run / "model.safetensors"
    dst = ROOT / "models" / args.file
    dst.parent.mkdir(exist_ok=True)
    shutil.copyfile(src, dst)
    with safe_open(str(dst), "pt") as f:
        meta = f.metadata()
        params = sum(f.get_tensor(k).numel() for k in f.keys())
    run = json.loads((args.run / "run.json").read_text())
    log = [json.loads(line) for line in (args.run / "log.jsonl").read_text().splitlines() if line.strip()]
    last = log[-1]
    argv = run["argv"]
    cmd = "python " + " ".join(a if not a.startswith("/") else Path(a).name for a in argv)
    entry = {
        "file": args.file,
        "sha256": sha256_file(dst),
        "architecture": "FlowVSR",
        "arguments": {k: int(meta[k]) for k in ("scale", "frames", "channels", "blocks", "unshuffle") if k in meta},
        "purpose": args.purpose,
        "scale": int(meta["scale"]),
        "frames": int(meta["frames"]),
        "parameters": params,
        **({"size_multiple": int(meta["unshuffle"])} if "unshuffle" in meta else {}),
        "degradation": args.degradation,
        "training_data": args.training_data,
        "licence": "weights: MIT (this project); training data: research use only",
        "command": cmd,
        "commit": run.get("commit", ""),
        **({"teacher": args.teacher} if args.teacher else {}),
        "evaluation": {**{name: round(last[key], 3) for key, name in EVAL_KEYS.items() if key in last},
                       "iterations": int(last["iter"]), "minutes": float(last["minutes"])},
        "notes": args.notes,
    }
    manifest = ROOT / "models" / "MODELS.toml"
    text = manifest.read_text() if manifest.exists() else (
        "# Built-in models: trained by this project's scripts; loaded by name and sha256-verified.\n"
        "# Written by scripts/ship_model.py. Unknown keys are errors.\n")
    header = f"[model.{args.name}]"
    blocks = [b for b in text.split("\n\n") if header not in b]
    body = "\n".join([header] + [f"{k} = {toml_value(v)}" for k, v in entry.items()])
    manifest.write_text("\n\n".join(b.rstrip("\n") for b in blocks if b.strip()) + "\n\n" + body + "\n")
    print(f"shipped {args.name}: {dst} sha256 {entry['sha256']}", file=sys.stderr)


if __name__ == "__main__":
    main()
