"""Where the shipped data lives: the built-in models with their manifest, and the presets.

An installed wheel carries them inside the package (``vs_plugin/_data/models``,
``vs_plugin/_data/presets``, copied there at build time by ``setup.py``), read through
:mod:`importlib.resources`; a checkout (or an editable install) reads the top-level
``models/`` and ``presets/`` folders, which are the source of truth.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]


def data_dir(name: str) -> Path:
    """The folder of shipped ``name`` ("models" or "presets")."""
    if name not in ("models", "presets"):
        raise ValueError(f"data_dir: name must be 'models' or 'presets', got {name!r}")
    packaged = Path(str(resources.files("vs_plugin").joinpath("_data", name)))
    return packaged if packaged.is_dir() else _CHECKOUT / name
