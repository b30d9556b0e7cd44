"""Presets: TOML files in ``presets/`` validated against the effects' descriptors.

A preset has an optional ``description`` and tables named after effects (``upscale``,
``encode``, ``faces``); every key is checked by that effect's descriptor, so an unknown key or a
bad value names the file, the key and what is allowed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..effects import get_effect
from ..errors import SteadyscaleError
from ..resources import data_dir

PRESETS_DIR = data_dir("presets")
SECTIONS = {"upscale": "upscale", "encode": "encode", "faces": "face_layer"}


@dataclass(frozen=True)
class Preset:
    name: str
    path: Path
    description: str
    tables: dict = field(default_factory=dict)  # section -> validated values (only those given)


def preset_path(name: str) -> Path:
    p = Path(name)
    if p.suffix == ".toml" and p.exists():
        return p
    cand = PRESETS_DIR / f"{name}.toml"
    if not cand.exists():
        known = ", ".join(sorted(q.stem for q in PRESETS_DIR.glob("*.toml")))
        raise SteadyscaleError("presets", f"unknown preset {name!r}; known: {known}")
    return cand


def load_preset(name: str) -> Preset:
    """Parse and validate a preset by name (or path to a .toml file)."""
    path = preset_path(name)
    where = f"preset {path.name}: "
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise SteadyscaleError("presets", f"{where}not valid TOML: {e}") from None
    tables = {}
    for key, value in data.items():
        if key == "description":
            continue
        if key not in SECTIONS:
            raise SteadyscaleError("presets", f"{where}unknown table {key!r}; allowed: description, "
                                              + ", ".join(SECTIONS))
        if not isinstance(value, dict):
            raise SteadyscaleError("presets", f"{where}{key} must be a table")
        try:
            eff = get_effect(SECTIONS[key])
        except KeyError:
            raise SteadyscaleError("presets", f"{where}table {key!r} needs an effect that is not available") from None
        full = eff.validate(value, where=f"{where}[{key}] ")
        tables[key] = {k: full[k] for k in value}
    return Preset(path.stem, path, str(data.get("description", "")), tables)


def list_presets() -> list[Preset]:
    return [load_preset(str(p)) for p in sorted(PRESETS_DIR.glob("*.toml"))]
