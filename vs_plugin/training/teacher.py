"""Distillation targets from a teacher network, computed once and cached.

The teacher (Real-ESRGAN x4plus in ``../shared/data/teachers/``, loaded through spandrel) sees
the *clean* x4 bicubic downscale of each training window's centre frame, never the degraded
input the student gets: its output is a sharp, artefact-free target for frame t that depends on
frame t alone, so its per-frame flicker (texture invented anew for every degradation) cannot
enter the student. The pool of high-resolution windows and their targets is a pure function of
the seed, stored as float16 ``.npy`` files with a JSON record of how they were made.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import torch

from .vsr_data import Sources, VSRClips, downscale

log = logging.getLogger("steadyscale.training")


def load_teacher(path: Path) -> torch.nn.Module:
    """The teacher as a float32 eval-mode module (spandrel; safe loading only)."""
    import spandrel

    desc = spandrel.ModelLoader().load_from_file(str(path))
    if int(desc.scale) != 4:
        raise ValueError(f"load_teacher: need an x4 teacher, {path.name} is x{desc.scale}")
    return desc.model.float().eval()


def build_pool(data_root: Path, teacher_path: Path, out: Path, windows: int, hr_size: int = 192,
               frames: int = 5, seed: int = 77, batch: int = 4) -> None:
    """Write ``out/hr.npy`` ``(N, frames, hr, hr, 3)`` and ``out/teacher.npy`` ``(N, hr, hr, 3)``
    (both float16 RGB in [0, 1]); resumable: finished windows are kept in ``out/parts``."""
    out.mkdir(parents=True, exist_ok=True)
    parts = out / "parts"
    parts.mkdir(exist_ok=True)
    src = VSRClips(Sources.scan(data_root, "train"), 4, frames, hr_size // 4, seed=seed, video_fraction=0.5)
    net = load_teacher(teacher_path)
    t0, made = time.time(), 0
    for start in range(0, windows, batch):
        part = parts / f"{start:06d}.npz"
        if part.exists():
            continue
        stop = min(windows, start + batch)
        hrs = [np.stack(src.hr_window(np.random.default_rng([seed, i]))) for i in range(start, stop)]
        lr = np.stack([downscale(h[frames // 2], 4) for h in hrs]).transpose(0, 3, 1, 2)
        with torch.inference_mode():
            tgt = net(torch.from_numpy(np.ascontiguousarray(lr))).clamp(0, 1).numpy().transpose(0, 2, 3, 1)
        np.savez(part, hr=np.stack(hrs).astype(np.float16), teacher=tgt.astype(np.float16))
        made += len(hrs)
        log.info("teacher pool: %d/%d windows (%.2f s/window)", stop, windows, (time.time() - t0) / made)
    files = sorted(parts.glob("*.npz"))
    hr = np.concatenate([np.load(f)["hr"] for f in files])[:windows]
    tg = np.concatenate([np.load(f)["teacher"] for f in files])[:windows]
    np.save(out / "hr.npy", hr)
    np.save(out / "teacher.npy", tg)
    (out / "pool.json").write_text(json.dumps({
        "windows": int(len(hr)), "hr_size": hr_size, "frames": frames, "seed": seed,
        "teacher": str(teacher_path.name), "teacher_input": "clean x4 antialiased bicubic of the centre frame",
        "sources": "train/images (T91, BSDS500 train) and train/video (Vimeo-90K septuplets but the last "
                   "two) via VSRClips; the validation part of train/ and eval/ never seen"},
        indent=1))


class TeacherPool:
    """The cached pool, memory-mapped: ``hr[i]`` frames and ``teacher[i]`` target."""

    def __init__(self, folder: Path):
        self.hr = np.load(Path(folder) / "hr.npy", mmap_mode="r")
        self.teacher = np.load(Path(folder) / "teacher.npy", mmap_mode="r")
        self.info = json.loads((Path(folder) / "pool.json").read_text())

    def __len__(self) -> int:
        return len(self.hr)
