"""Shared fixtures: a seeded RNG, the shared data folder (skip when absent), a small core cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs

from vs_plugin.encode import find_ffmpeg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

vs.core.max_cache_size = 2048


def shared_data() -> Path | None:
    env = os.environ.get("STEADYSCALE_DATA")
    p = Path(env) if env else ROOT.parent / "shared" / "data"
    return p if p.is_dir() else None


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def data_dir() -> Path:
    p = shared_data()
    if p is None:
        pytest.skip("../shared/data is not present (set STEADYSCALE_DATA)")
    return p


@pytest.fixture(scope="session")
def clip_with_audio(tmp_path_factory) -> Path:
    """1 s of a 160x90 test pattern at 24 fps with a sine audio track (H.264 + AAC)."""
    p = tmp_path_factory.mktemp("src") / "in.mp4"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=160x90:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(p)],
                   check=True)
    return p
