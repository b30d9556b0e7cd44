"""Golden images: each shipped model's output on a fixed small input, stored in tests/models/golden/.

A change in weights, in the network code or in the backend's padding/clamping shows up here as
a pixel difference. After a deliberate change (new weights), regenerate with
``STEADYSCALE_REGEN_GOLDEN=1 make test`` and commit the new files with the weights.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from vs_plugin.app.sample import sample_photo
from vs_plugin.models import backends, registry
from vs_plugin.models.manifest import load_manifest

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("STEADYSCALE_REGEN_GOLDEN") == "1"


def _input(frames: int) -> tuple[np.ndarray, list, list]:
    photo = sample_photo()
    centre = np.ascontiguousarray(photo[200:224, 200:232], dtype=np.float32)  # 32x24
    k = frames - 1
    rng = np.random.default_rng(11)
    warped = [np.clip(centre + rng.normal(0, 0.01, centre.shape).astype(np.float32), 0, 1) for _ in range(k)]
    conf = [np.full(centre.shape[:2], 0.8, np.float32)] * k
    return centre, warped, conf


#: the golden images are fp32 outputs; what each precision may differ from them by (bf16 keeps
#: 8 mantissa bits: its drift on real footage is in docs/benchmarks.md)
TOLERANCE = {"fp32": 2e-3, "bf16": 1.2e-2}


@pytest.mark.parametrize("precision", sorted(TOLERANCE))
@pytest.mark.parametrize("name", sorted(load_manifest()))
def test_model_output_matches_its_golden_image(name, precision):
    desc = registry.get_descriptor(name)
    if REGEN and precision != "fp32":
        pytest.skip("the golden images are fp32")
    be = backends.builtin_backend(desc, device="cpu", precision=precision)
    centre, warped, conf = _input(desc.frames)
    out = be(centre, warped, conf)
    path = GOLDEN / f"{name}.npz"
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        np.savez_compressed(path, out=out.astype(np.float16), sha256=desc.sha256)
        pytest.skip(f"regenerated {path.name}")
    assert path.exists(), f"no golden image for {name}: run STEADYSCALE_REGEN_GOLDEN=1 make test"
    ref = np.load(path)
    assert str(ref["sha256"]) == desc.sha256, f"{name}: new weights; regenerate the golden images"
    np.testing.assert_allclose(out, ref["out"].astype(np.float32), rtol=0, atol=TOLERANCE[precision])
