#!/usr/bin/env python3
"""How well each DIS preset aligns neighbouring frames at x4-reduced size (the flow node's job).

    python scripts/measure_alignment.py --data ../shared/data
Uses Vimeo-90K clips from train/ (never eval/): for frames 2..4 of each clip, downscaled x4,
warps frames 2 and 4 onto frame 3 and reports the PSNR of the warped frames where the
confidence exceeds 0.5, the unwarped PSNR and the time per flow pair.

    python scripts/measure_alignment.py --camera 1920x1080 --json docs/benchmarks/flow_levels.json
Instead measures the flow against the true one on the bundled sample clip (a known camera
zoom, pan and roll over a photo, as the speed benchmark renders it): end-point error at frame
distances 1 and 2 for each number of fine DIS levels skipped, and the time per flow.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vs_plugin.core import flow as flowlib  # noqa: E402
from vs_plugin.core import metrics  # noqa: E402
from vs_plugin.training.vsr_data import Sources, _read_rgb, downscale  # noqa: E402


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return metrics.psnr_from_mse(np.mean((a - b) ** 2))


def camera_epe(size: str, frames: int, out: Path | None) -> None:
    """End-point error of DIS "medium" against the sample clip's true flow, per skipped level."""
    import json

    from vs_plugin.app.sample import camera_flow, camera_matrices, camera_motion, sample_photo
    w, h = map(int, size.split("x"))
    photo = sample_photo()
    clip = camera_motion(photo, frames, w, h)
    mats = camera_matrices(photo.shape, frames, w, h)
    border = max(16, h // 20)  # the true flow leaves the frame at the edges
    rows = []
    for extra in range(3):
        for d in (1, 2):
            epe, seconds, pairs = [], 0.0, range(0, frames - d, max(1, frames // 8))
            for t in pairs:
                t0 = time.perf_counter()
                f = flowlib.dis_flow(clip[t], clip[t + d], "medium", extra=extra)
                seconds += time.perf_counter() - t0
                err = np.linalg.norm(f - camera_flow(mats[t], mats[t + d], w, h), axis=-1)
                epe.append(float(err[border:-border, border:-border].mean()))
            rows.append({"extra_levels": extra, "distance": d, "epe_px": float(np.mean(epe)),
                         "ms_per_flow": 1000 * seconds / len(epe), "default": extra == flowlib.extra_levels(h)})
            print(f"{size} skip {extra} level(s), distance {d}: EPE {np.mean(epe):.3f} px, "
                  f"{rows[-1]['ms_per_flow']:.0f} ms per flow{' (default)' if rows[-1]['default'] else ''}")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"command": " ".join(sys.argv), "size": size, "frames": frames,
                                   "rows": rows}, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path)
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--camera", help="WxH: error against the sample clip's true flow instead")
    ap.add_argument("--frames", type=int, default=48, help="--camera: clip length (the speed benchmark's motion)")
    ap.add_argument("--json", type=Path, help="--camera: write the rows here")
    args = ap.parse_args()
    if args.camera:
        for size in args.camera.split(","):
            camera_epe(size, args.frames, args.json if "," not in args.camera else None)
        return
    if args.data is None:
        ap.error("--data is required without --camera")
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
