"""Docs generated from the descriptors are up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_parameters_md_is_generated_from_descriptors():
    r = subprocess.run([sys.executable, str(ROOT / "scripts/gen_docs.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
