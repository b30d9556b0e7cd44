"""The public surface: removing or renaming a function or parameter must be deliberate."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import vs_plugin

ROOT = Path(__file__).resolve().parents[1]

EXPECTED = {
    "upscale": ["clip", "width", "height", "fit", "model", "radius", "stability", "device", "precision", "tile"],
    "flow": ["clip", "radius", "preset"],
    "face_layer": ["src", "up", "model", "strength", "stability", "detector", "output"],
    "detect_faces": ["clip", "detector", "min_score"],
    "resize_to": ["clip", "width", "height", "fit", "kernel", "size", "format"],
    "scene_changes": ["clip", "threshold", "ratio", "min_diff", "force"],
}


def test_public_functions_and_parameters():
    for name, params in EXPECTED.items():
        assert name in vs_plugin.__all__
        got = list(inspect.signature(getattr(vs_plugin, name)).parameters)
        assert got[:len(params)] == params, name


def test_no_print_in_library_code():
    offenders = []
    for path in (ROOT / "vs_plugin").rglob("*.py"):
        if "cli" in path.relative_to(ROOT / "vs_plugin").parts:
            continue
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"(^|[^\w.])print\(", line):
                offenders.append(f"{path.relative_to(ROOT)}:{i}")
    assert not offenders, f"print() in library code (corrupts vspipe's stdout): {offenders}"


def test_lint_is_clean():
    """ruff (with T201: no print outside the CLI) passes on the package, tests and scripts."""
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "vs_plugin", "tests", "scripts"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
