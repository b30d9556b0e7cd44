"""Shared fixtures: a seeded RNG, the shared data folder (skip when absent), a small core cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs

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
