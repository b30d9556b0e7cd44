"""The model manager: a user model store, a pinned catalogue, atomic checksum-verified downloads.

Files live in ``$STEADYSCALE_MODELS`` or the user cache folder (platformdirs). A download goes
to a hidden ``.part`` file beside its destination and is renamed only after its sha256 matched;
anything else (wrong checksum, broken transfer, Ctrl-C) leaves nothing behind. Nothing is ever
unpickled: model files are checked with safetensors or spandrel's safe loading.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import SteadyscaleException


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    file: str
    url: str
    sha256: str
    licence: str
    purpose: str


#: Only entries whose sha256 is pinned from an authoritative source are listed; more are added
#: as their checksums are verified (use `steadyscale models fetch URL --sha256 ...` meanwhile).
CATALOGUE = {
    e.name: e for e in (
        CatalogueEntry("yunet", "face_detection_yunet_2023mar.onnx",
                       "https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/"
                       "face_detection_yunet_2023mar.onnx",
                       "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4", "MIT",
                       "face detector for face_layer()"),
    )
}


class DownloadError(SteadyscaleException, RuntimeError):
    """A download failed or did not match its checksum; nothing was kept."""


def store_dir() -> Path:
    """Where user and downloaded models live (created on demand)."""
    env = os.environ.get("STEADYSCALE_MODELS")
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_cache_dir("steadyscale")) / "models"


def _index(store: Path) -> Path:
    return store / "index.json"


def read_index(store: Path | None = None) -> dict:
    p = _index(store or store_dir())
    return json.loads(p.read_text()) if p.exists() else {}


def _write_index(store: Path, index: dict) -> None:
    tmp = store / ".index.json.part"
    tmp.write_text(json.dumps(index, indent=1, sort_keys=True))
    tmp.replace(_index(store))


def sha256_of(path: Path) -> str:
    """The file's sha256 (the one implementation: :func:`..core.digest.sha256_file`)."""
    from ..core.digest import sha256_file
    return sha256_file(Path(path))


def download(url: str, sha256: str, dest: Path, progress: Callable[[int, int], None] | None = None,
             timeout: float = 60.0) -> Path:
    """Fetch ``url`` to ``dest`` atomically; the file appears only if its sha256 matches."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256.lower()):
        raise DownloadError(f"a 64-hex-digit sha256 is required, got {sha256!r}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.part")
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(part, "wb") as f:
            total = int(r.headers.get("Content-Length") or 0)
            done = 0
            while True:
                chunk = r.read(1 << 16)
                if not chunk:
                    break
                f.write(chunk)
                h.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
            if total and done != total:
                raise DownloadError(f"transfer of {url} broke off after {done} of {total} bytes; nothing kept")
        if h.hexdigest() != sha256.lower():
            raise DownloadError(f"checksum mismatch for {url}: expected {sha256.lower()}, got {h.hexdigest()}; "
                                "nothing kept")
        part.replace(dest)
        return dest
    except DownloadError:
        part.unlink(missing_ok=True)
        raise
    except BaseException as e:  # network errors, IncompleteRead, Ctrl-C
        part.unlink(missing_ok=True)
        if isinstance(e, KeyboardInterrupt):
            raise
        raise DownloadError(f"download of {url} failed ({type(e).__name__}: {e}); nothing kept") from None


def fetch(name_or_url: str, sha256: str | None = None, progress=None) -> Path:
    """Download a catalogue entry by name, or any URL with an explicit sha256, into the store."""
    store = store_dir()
    if name_or_url in CATALOGUE:
        e = CATALOGUE[name_or_url]
        url, digest, file, meta = e.url, e.sha256, e.file, {"licence": e.licence, "purpose": e.purpose}
    elif "://" in name_or_url:
        if not sha256:
            raise DownloadError("fetching a URL needs --sha256 (no unverified downloads)")
        url, digest, file, meta = name_or_url, sha256, Path(name_or_url.split("?")[0]).name, {}
    else:
        known = ", ".join(CATALOGUE)
        raise DownloadError(f"unknown model {name_or_url!r}; catalogue: {known}; or give a URL and --sha256")
    path = download(url, digest, store / file, progress)
    index = read_index(store)
    index[file] = {"sha256": digest, "source": url, **meta}
    _write_index(store, index)
    return path


def check_model_file(path: Path) -> str:
    """What ``path`` is (an SR/face model spandrel loads, a FlowVSR file, or a YuNet detector);
    raises ValueError otherwise. Never unpickles arbitrary code."""
    from ..core.face.detect import YUNET_SHA256
    from .backends import check_finite, flowvsr_file, load_model_file
    if path.suffix.lower() == ".onnx":
        if sha256_of(path) in YUNET_SHA256:
            return "YuNet face detector"
        raise ValueError(f"{path.name}: unknown ONNX file (only the YuNet detector releases are accepted)")
    net = flowvsr_file(path)
    if net is not None:
        check_finite(net, path.name)
        return "FlowVSR (steadyscale)"
    desc = load_model_file(path)
    check_finite(desc.model, path.name)
    return f"{desc.architecture.name} x{desc.scale}"


def add(path: str | Path, force: bool = False) -> Path:
    """Check a local model file and copy it into the store (atomically), recording its sha256.
    A different file already stored under the same name is replaced only with ``force``."""
    src = Path(path)
    kind = check_model_file(src)
    store = store_dir()
    store.mkdir(parents=True, exist_ok=True)
    dest = store / src.name
    if dest.exists() and not force and sha256_of(dest) != sha256_of(src):
        raise ValueError(f"models add: the store already holds a different {dest.name} "
                         f"(sha256 {sha256_of(dest)[:12]}...); pass --force to replace it, or rename the file")
    part = dest.with_name(f".{dest.name}.part")
    shutil.copyfile(src, part)
    part.replace(dest)
    index = read_index(store)
    index[dest.name] = {"sha256": sha256_of(dest), "source": str(src.resolve()), "kind": kind}
    _write_index(store, index)
    return dest


def find_in_store(name: str) -> Path | None:
    """The store's model file called ``name`` (file name or stem, as ``models list`` prints it),
    verified against the sha256 recorded when it was added or fetched; None if there is none.

    Raises ValueError when the file no longer matches its recorded sha256.
    """
    store = store_dir()
    index = read_index(store) if store.is_dir() else {}
    for file, meta in sorted(index.items()):
        if name in (file, Path(file).stem):
            path = store / file
            if not path.is_file():
                return None
            digest = sha256_of(path)
            if digest != meta.get("sha256"):
                raise ValueError(f"{path} does not match the sha256 recorded in the store ({meta.get('sha256')}); "
                                 f"add or fetch it again")
            return path
    return None
