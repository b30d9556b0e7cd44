"""The .vpy examples in docs/ run under vspipe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VSPIPE = str(Path(sys.executable).parent / "vspipe")


def _y4m_frames(data: bytes) -> tuple[bytes, int]:
    header, _, body = data.partition(b"\n")
    return header, body.count(b"FRAME\n")


def test_upscale_example_yields_expected_frames():
    args = ["-a", "frames=3", "-a", "model=lanczos"]
    r = subprocess.run([VSPIPE, *args, "-c", "y4m", str(ROOT / "docs/examples/upscale.vpy"), "-"],
                       capture_output=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr.decode()
    header, n = _y4m_frames(r.stdout)
    assert b" W3840 H2160 " in header and n == 3


@pytest.mark.parametrize("name", ["upscale_faces.vpy", "custom_model.vpy", "region.vpy"])
def test_examples_compile(name):
    compile((ROOT / "docs/examples" / name).read_text(), name, "exec")
