"""A wheel of the project carries its models, manifest and presets, and renders from outside
the checkout with nothing else (offline: nothing is fetched)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_wheel_installed_elsewhere_renders_with_the_built_in_model(tmp_path):
    wheels = tmp_path / "wheels"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(wheels), str(ROOT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (whl,) = wheels.glob("steadyscale-*.whl")
    names = zipfile.ZipFile(whl).namelist()
    shipped = [p.name for p in (ROOT / "models").rglob("*") if p.is_file()]  # the ONNX exports included
    shipped += [p.name for p in (ROOT / "presets").iterdir()]
    packaged = sorted(Path(n).name for n in names if n.startswith("vs_plugin/_data/"))
    assert packaged == sorted(shipped)
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target",
                        str(site), str(whl)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import vapoursynth as vs, numpy as np, vs_plugin\n"
        "from vs_plugin.models.registry import builtin_models\n"
        "from vs_plugin.app.presets import list_presets\n"
        f"assert vs_plugin.__file__.startswith({str(site)!r}), vs_plugin.__file__\n"
        "assert builtin_models() and [p.name for p in list_presets()]\n"
        "src = vs.core.std.BlankClip(width=64, height=48, format=vs.RGBS, length=3, color=[0.2, 0.5, 0.7])\n"
        "out = vs_plugin.upscale(src, 256, 192, model='builtin-clean')\n"
        "f = out.get_frame(1)\n"
        "print(out.width, out.height, round(float(np.asarray(f[1]).mean()), 2))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, capture_output=True, text=True,
                       env={**env, "PYTHONPATH": str(site)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["256", "192", "0.5"]
