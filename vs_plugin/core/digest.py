"""The one file digest of the project: sha256, as model manifests, the model store, resume
fingerprints and the face detector's known releases record it."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

_lock = threading.Lock()
_cache: dict[tuple[str, int, int], str] = {}


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file (cached by path, mtime and size: a model is hashed once per process)."""
    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    with _lock:
        if key in _cache:
            return _cache[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    with _lock:
        _cache[key] = h.hexdigest()
    return _cache[key]
