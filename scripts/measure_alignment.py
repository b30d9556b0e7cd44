#!/usr/bin/env python3
"""How well each DIS preset aligns neighbouring frames at x4-reduced size (the flow node's job).

    python scripts/measure_alignment.py --data ../shared/data
Uses Vimeo-90K clips from train/ (never eval/): for frames 2..4 of each clip, downscaled x4,
warps frames 2 and 4 onto frame 3 and reports the PSNR of the warped frames where the
confidence exceeds 0.5, the unwarped PSNR and the time per flow pair.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vs_plugin.core import flow as flowlib  # noqa: E402
from vs_plugin.training.vsr_data import Sources, _read_rgb, downscale  # noqa: E402


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1 / np.mean((a - b) ** 2)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--clips", type=int, default=8)
    args = ap.parse_args()
    clips = Sources.scan(args.data, "train").clips[: args.clips]
    for preset in flowlib.DIS_PRESETS:
        warped, plain, seconds = [], [], 0.0
        for clip in clips:
            prev, centre, nxt = (downscale(_read_rgb(p), 4) for p in clip[2:5])
            for other in (prev, nxt):
                t0 = time.perf_counter()
                f, c, _, _ = flowlib.flow_pair(centre, other, preset)
                seconds += time.perf_counter() - t0
                w = flowlib.backward_warp(other, f)
                m = c > 0.5
                warped.append(psnr(centre[m], w[m]))
                plain.append(psnr(centre, other))
        print(f"{preset:10s} warped {np.mean(warped):6.2f} dB  unwarped {np.mean(plain):6.2f} dB  "
              f"{1000 * seconds / len(warped):6.2f} ms per pair")


if __name__ == "__main__":
    main()
