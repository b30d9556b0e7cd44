#!/usr/bin/env python3
"""Export every built-in model to ONNX in vs-mlrt's layout (vs_plugin/models/onnx_export.py),
verify each against torch with ONNX Runtime (through vs-mlrt's ort plugin when it is
installed), and record the files in models/onnx/manifest.json beside the weights' sha256, so a
changed model cannot run with a stale export.

    python scripts/export_onnx.py            # needs: pip install onnx
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from vs_plugin.core.digest import sha256_file  # noqa: E402
from vs_plugin.models import registry  # noqa: E402
from vs_plugin.models.manifest import load_manifest  # noqa: E402
from vs_plugin.models.mlrt import MANIFEST, ONNX_DIR  # noqa: E402
from vs_plugin.models.onnx_export import OPSET, PlanarFlowVSR, export_flowvsr  # noqa: E402


def verify(path: Path, net) -> float | None:
    """Max |ONNX Runtime - torch| on a random 40x56 input, or None without the ort plugin."""
    import vapoursynth as vs

    from vs_plugin.host.arrays import clip_from_arrays, frame_to_array
    if not hasattr(vs.core, "ort"):
        return None
    model = PlanarFlowVSR(net)
    u = net.unshuffle
    h, w = 20 * u, 28 * u
    x = torch.rand(1, model.in_channels, h, w, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        ref = model(x)[0].numpy().transpose(1, 2, 0)
    planes = x[0].numpy()
    clips = [clip_from_arrays([np.ascontiguousarray(planes[:3].transpose(1, 2, 0))])]
    k = model.k
    clips += [clip_from_arrays([np.ascontiguousarray(planes[3 + 3 * i:6 + 3 * i].transpose(1, 2, 0))])
              for i in range(k)]
    clips += [vs.core.std.ShufflePlanes(clip_from_arrays([np.repeat(planes[3 + 3 * k + i][..., None], 3, -1)]),
                                        0, vs.GRAY) for i in range(k)]
    out = frame_to_array(vs.core.ort.Model(clips, network_path=str(path), provider="CPU").get_frame(0))
    return float(np.abs(out - ref).max())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.parse_args()
    ONNX_DIR.mkdir(exist_ok=True)
    entries = {}
    for name in sorted(load_manifest()):
        desc = registry.get_descriptor(name)
        net = registry.load_builtin(desc)
        path = ONNX_DIR / f"{Path(desc.file).stem}.onnx"
        export_flowvsr(net, path)
        diff = verify(path, net)
        if diff is not None and diff > 1e-4:
            raise SystemExit(f"{name}: ONNX Runtime differs from torch by {diff:.2e}")
        entries[name] = {"file": path.name, "sha256": sha256_file(path), "weights_sha256": desc.sha256,
                         "opset": OPSET, "inputs": 3 + 4 * (desc.frames - 1), "scale": desc.scale,
                         "max_abs_diff_vs_torch": diff}
        print(f"{name}: {path.name} ({path.stat().st_size // 1024} KB), |ort - torch| <= {diff}", file=sys.stderr)
    MANIFEST.write_text(json.dumps({"command": "python scripts/export_onnx.py", "torch": torch.__version__,
                                    "models": entries}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
