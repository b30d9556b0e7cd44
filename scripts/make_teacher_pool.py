#!/usr/bin/env python3
"""Cache the teacher's distillation targets for the real-footage models (resumable).

    python scripts/make_teacher_pool.py --data ../shared/data --out runs/teacher_pool --windows 600

Writes a pool of high-resolution training windows from train/ and the teacher's x4 output for
the clean downscale of each centre frame (see vs_plugin/training/teacher.py). The teacher
(../shared/data/teachers/realesrgan_x4plus_fp16.safetensors) is a training-time input only.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vs_plugin.training.teacher import build_pool  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder (uses train/ and teachers/)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--teacher", type=Path, help="default: <data>/teachers/realesrgan_x4plus_fp16.safetensors")
    ap.add_argument("--windows", type=int, default=600)
    ap.add_argument("--hr-size", type=int, default=192)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    teacher = args.teacher or args.data / "teachers" / "realesrgan_x4plus_fp16.safetensors"
    build_pool(args.data, teacher, args.out, args.windows, args.hr_size, seed=args.seed)


if __name__ == "__main__":
    main()
