#!/usr/bin/env python3
"""Pictures for README and docs/, made from the bundled sample photo (no input files).

    python scripts/make_doc_images.py
Writes docs/images/demo_compare.png (Lanczos vs upscale(), via the demo), flow_view.png (the
flow node's colour wheel next to the frame) and face_debug.png (face_layer's debug view).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import vs_plugin  # noqa: E402
from vs_plugin.app.demo import run_demo, sample_clip  # noqa: E402
from vs_plugin.host.arrays import rgb_array  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"


def save(path: Path, rgb: np.ndarray) -> None:
    cv2.imwrite(str(path), cv2.cvtColor((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR))


def main() -> None:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    src = sample_clip(12)
    fl = vs_plugin.flow(src, radius=1)
    view = rgb_array(vs_plugin.flow_view(fl, offset=1), 6)
    save(OUT / "flow_view.png", np.concatenate([rgb_array(src, 6), view], axis=1))
    up = vs_plugin.upscale(src, 1920, 1080)
    dbg = vs_plugin.face_layer(src, up, output="debug")
    save(OUT / "face_debug.png", cv2.resize(rgb_array(dbg, 6), (960, 540), interpolation=cv2.INTER_AREA))
    res = run_demo(Path("out/doc_demo"), frames=12)
    (OUT / "demo_compare.png").write_bytes(Path(res["compare"]).read_bytes())


if __name__ == "__main__":
    main()
