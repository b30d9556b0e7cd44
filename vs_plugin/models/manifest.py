"""``models/MODELS.toml`` parsed into frozen model descriptors; unknown keys are errors."""

from __future__ import annotations

import threading
import tomllib
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

from ..resources import data_dir

MODELS_DIR = data_dir("models")
MANIFEST = MODELS_DIR / "MODELS.toml"


@dataclass(frozen=True)
class ModelDescriptor:
    """Everything a consumer needs to know about a shipped model."""

    name: str
    file: str
    sha256: str
    architecture: str
    arguments: dict
    purpose: str
    scale: int
    frames: int
    parameters: int
    channels: int = 3
    value_range: str = "[0, 1] RGB"
    size_multiple: int = 1
    tiling: str = "any"
    supports_fp16: bool = True
    supports_bf16: bool = True
    degradation: str = "bicubic"
    training_data: str = ""
    teacher: str = ""  # the network whose outputs were distillation targets (training only, never shipped)
    licence: str = ""
    command: str = ""
    commit: str = ""
    evaluation: dict = field(default_factory=dict)
    notes: str = ""

    @property
    def path(self) -> Path:
        return MODELS_DIR / self.file


_FIELDS = {f.name for f in fields(ModelDescriptor)}
_REQUIRED = {f.name for f in fields(ModelDescriptor)
             if f.default is f.default_factory is MISSING}


def parse(text: str, source: str = "MODELS.toml") -> dict[str, ModelDescriptor]:
    """Descriptors by name from manifest text; names the entry and key on any problem."""
    data = tomllib.loads(text)
    out: dict[str, ModelDescriptor] = {}
    for name, entry in data.get("model", {}).items():
        unknown = sorted(set(entry) - _FIELDS)
        if unknown:
            raise ValueError(f"{source}: model {name!r} has unknown key {unknown[0]!r}; "
                             f"expected keys: {', '.join(sorted(_FIELDS - {'name'}))}")
        missing = sorted(_REQUIRED - set(entry) - {"name"})
        if missing:
            raise ValueError(f"{source}: model {name!r} lacks required key {missing[0]!r}")
        out[name] = ModelDescriptor(name=name, **entry)
    return out


_PARSED: dict[tuple, dict[str, ModelDescriptor]] = {}  # by (path, mtime, size): parsed once, not per call
_PARSED_LOCK = threading.Lock()


def load_manifest(path: Path = MANIFEST) -> dict[str, ModelDescriptor]:
    """The shipped manifest (empty when the file does not exist yet); parsed once per version
    of the file (the descriptors are frozen; the dict returned is the caller's own)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    key = (str(path), st.st_mtime_ns, st.st_size)
    with _PARSED_LOCK:
        models = _PARSED.get(key)
        if models is None:
            if len(_PARSED) >= 8:  # bounded: a few files (tests write their own), never growing
                _PARSED.clear()
            models = _PARSED[key] = parse(path.read_text(), str(path))
        return dict(models)
