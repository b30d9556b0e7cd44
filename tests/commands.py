"""Running the ``steadyscale`` command in tests, and reading what it wrote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).parent / "steadyscale")
FAST = ["--model", "lanczos", "--width", "320", "--height", "180", "-q"]


def run(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *map(str, args)], capture_output=True, **kw)


def decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray() for f in c.decode(video=0)]
