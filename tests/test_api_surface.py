"""The public surface: removing or renaming a function or parameter must be deliberate."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import vs_plugin

ROOT = Path(__file__).resolve().parents[1]

#: full signatures, defaults included: a changed default changes what users get, so it is deliberate too
EXPECTED = {
    "upscale":
        "(clip: 'vs.VideoNode', width: 'int' = 3840, height: 'int' = 2160, fit: 'str' = 'contain', "
        "model='builtin', radius: 'int' = 2, stability: 'float' = 0.5, device: 'str' = 'auto', "
        "precision: 'str' = 'auto', tile=None, size: 'str | None' = None, kernel: 'str' = 'lanczos', "
        "flow_preset: 'str' = 'medium', format: 'int | None' = None, "
        "ensemble: 'bool' = False, strength: 'float' = 1.0, backend: 'str' = 'torch') -> 'vs.VideoNode'",
    "face_layer":
        "(src: 'vs.VideoNode', up: 'vs.VideoNode', model='builtin', strength: 'float' = 1.0, "
        "stability: 'float' = 0.7, detector: 'str' = 'auto', output: 'str' = 'composite', radius: 'int' = 3, "
        "min_eye: 'float' = 6.0, device: 'str' = 'auto', fidelity: 'float' = 0.5) -> 'vs.VideoNode'",
    "detect_faces":
        "(clip: 'vs.VideoNode', detector: 'str' = 'auto', min_score: 'float' = 0.7) -> 'vs.VideoNode'",
    "flow":
        "(clip: 'vs.VideoNode', radius: 'int' = 2, preset: 'str' = 'medium') -> 'vs.VideoNode'",
    "flow_view":
        "(flow_clip: 'vs.VideoNode', offset: 'int' = 1, max_motion: 'float' = 0.0) -> 'vs.VideoNode'",
    "resize_to":
        "(clip: 'vs.VideoNode', width: 'int' = 3840, height: 'int' = 2160, fit: 'str' = 'contain', "
        "kernel: 'str' = 'lanczos', size: 'str | None' = None, "
        "format: 'int | None' = None) -> 'vs.VideoNode'",
    "deinterlace":
        "(clip: 'vs.VideoNode', mode: 'str' = 'auto', tff: 'bool | None' = None) -> 'vs.VideoNode'",
    "scene_changes":
        "(clip: 'vs.VideoNode', threshold: 'float' = 0.3, ratio: 'float' = 1.5, min_diff: 'float' = 0.04, "
        "force: 'bool' = False) -> 'vs.VideoNode'",
}


def test_public_functions_signatures_and_defaults():
    assert sorted(n for n in vs_plugin.__all__ if not n.startswith("__")) == sorted(EXPECTED)
    for name, sig in EXPECTED.items():
        assert str(inspect.signature(getattr(vs_plugin, name))) == sig, name


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
