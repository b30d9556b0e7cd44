"""Job fingerprints: what a segmented render was made from, so ``--resume`` never splices
segments made from another input, other parameters, other weights or another encoder.

The fingerprint is a JSON-able dict written as ``job.json`` into the segment folder when a
segmented render starts (locally or on a Ray cluster) and compared on every resume. The input
is identified by content (size and sha256 of its first and last MiB), not by path or mtime, so
the same file seen from another node of a cluster matches.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path

from ..errors import SteadyscaleError

FILE = "job.json"


def input_identity(path: str) -> dict:
    """Content identity of an input file (or of every file of an image sequence)."""
    from .source import image_files

    files = image_files(path) or [Path(path)]
    h = hashlib.sha256()
    total = 0
    for f in files:
        size = f.stat().st_size
        total += size
        h.update(f.name.encode() + size.to_bytes(8, "little"))
        with open(f, "rb") as fh:
            h.update(fh.read(1 << 20))
            if size > 2 << 20:
                fh.seek(-(1 << 20), os.SEEK_END)
                h.update(fh.read(1 << 20))
    return {"files": len(files), "bytes": total, "sha256_head_tail": h.hexdigest()}


def _model_identity(model) -> str:
    """sha256 of a model file, or of the built-in manifest for the built-in families."""
    from ..core.digest import sha256_file
    from ..models.manifest import MANIFEST

    if isinstance(model, str) and Path(model).is_file():
        return sha256_file(Path(model))
    return sha256_file(MANIFEST) if MANIFEST.exists() else "no-manifest"


def versions() -> dict:
    import numpy
    import torch
    import vapoursynth as vs

    from .. import __version__
    return {"steadyscale": __version__, "vapoursynth": str(vs.core.core_version.release_major),
            "torch": torch.__version__, "numpy": numpy.__version__, "python": platform.python_version()}


def job_fingerprint(job) -> dict:
    """Everything that decides a segment's bytes: input, range, every parameter, weights, encoder,
    software versions. ``job`` is an :class:`~vs_plugin.app.render.RenderJob`."""
    up = dict(job.upscale)
    faces = None if job.faces is None else dict(job.faces)
    return {
        "input": input_identity(job.input),
        "range": [job.start, job.end],
        "fps": job.fps,
        "deinterlace": job.deinterlace,
        "upscale": {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(up.items())},
        "faces": faces,
        "encode": dict(sorted(job.encode.items())),
        "model_sha256": _model_identity(up.get("model", "builtin")),
        "face_model_sha256": None if faces is None else _model_identity(faces.get("model", "builtin")),
        "versions": versions(),
    }


def _diff(a: dict, b: dict, prefix: str = "") -> list[str]:
    keys = []
    for k in sorted(set(a) | set(b)):
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            keys += _diff(va, vb, f"{prefix}{k}.")
        elif va != vb:
            keys.append(f"{prefix}{k}")
    return keys


def check_or_write(folder: Path, fp: dict) -> None:
    """Write ``fp`` into ``folder`` or, when one is there already, require it to be equal.

    Raises :class:`SteadyscaleError` naming what differs, so a resume never joins segments made
    with other settings; segments without a fingerprint (an older version) are refused too.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE
    fp = json.loads(json.dumps(fp))  # the JSON view: tuples as lists, as read back
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except ValueError:
            old = {}
        diff = _diff(old, fp)
        if diff:
            raise SteadyscaleError("upscale", f"--resume: the finished segments in {folder} were made with other "
                                              f"settings ({', '.join(diff[:6])} differ); run without --resume, "
                                              f"or delete that folder to start again")
        return
    if any(folder.glob("seg_*")):
        raise SteadyscaleError("upscale", f"--resume: {folder} holds segments of unknown origin (no {FILE}); "
                                          "delete that folder to start again")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(fp, indent=1, sort_keys=True))
    tmp.replace(path)
