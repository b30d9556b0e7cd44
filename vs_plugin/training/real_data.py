"""Training windows for the real-footage models: clean high-resolution clips degraded the way
video arrives (:mod:`.degrade`), aligned with the product's flow code, with two targets for the
centre frame: the ground truth and the teacher's output for its clean downscale (:mod:`.teacher`).

Sample ``i`` is a pure function of ``(seed, i)``: the pool window, its dihedral flip, its
temporal direction and its degradation are drawn from ``default_rng([seed, i])``.
"""

from __future__ import annotations

import numpy as np
import torch

from .degrade import apply_real, draw_real, eval_chain
from .teacher import TeacherPool
from .vsr_data import Sources, VSRClips, align_window


def _dihedral(a: np.ndarray, k: int) -> np.ndarray:
    """One of the 8 flips/rotations of ``(..., H, W, C)`` (``k`` in 0..7)."""
    if k & 4:
        a = np.swapaxes(a, -3, -2)
    if k & 1:
        a = a[..., ::-1, :]
    if k & 2:
        a = a[..., ::-1, :, :]
    return np.ascontiguousarray(a)


class RealClips(torch.utils.data.Dataset):
    """``(centre, warped, conf, target, teacher)`` windows degraded by :func:`.degrade.draw_real`.

    With a :class:`.teacher.TeacherPool` the windows and teacher targets come from it; with
    :class:`.vsr_data.Sources` windows are drawn fresh and the teacher target is the ground truth
    (validation). ``strength`` scales the blur and noise of the draws; ``chain="eval"`` applies the
    benchmark's fixed chain instead (:func:`.degrade.eval_chain`, CRF 28), for validation.
    """

    def __init__(self, scale: int, frames: int, *, pool: TeacherPool | None = None,
                 sources: Sources | None = None, hr_size: int = 192, seed: int = 0,
                 length: int = 10**7, drop_neighbours: float = 0.1, strength: float = 1.0,
                 chain: str = "random"):
        if (pool is None) == (sources is None):
            raise ValueError("RealClips: give exactly one of pool= or sources=")
        self.scale, self.frames, self.pool, self.seed, self.length = scale, frames, pool, seed, length
        if chain not in ("random", "eval"):
            raise ValueError(f"RealClips: chain must be 'random' or 'eval', got {chain!r}")
        self.drop, self.strength, self.chain = drop_neighbours, strength, chain
        self._clips = None if sources is None else VSRClips(sources, 4, frames, hr_size // 4, video_fraction=0.5)

    def __len__(self) -> int:
        return self.length

    def window(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """HR frames ``(T, H, W, 3)`` and teacher target ``(H, W, 3)``, float32."""
        if self.pool is None:
            hr = np.stack(self._clips.hr_window(rng))
            return hr, hr[len(hr) // 2]
        j = int(rng.integers(len(self.pool)))
        hr = np.asarray(self.pool.hr[j], np.float32)
        tg = np.asarray(self.pool.teacher[j], np.float32)
        mid = hr.shape[0] // 2
        pick = slice(mid - self.frames // 2, mid + self.frames // 2 + 1)
        k = int(rng.integers(8))
        hr, tg = _dihedral(hr[pick], k), _dihedral(tg, k)
        if rng.random() < 0.5:
            hr = hr[::-1]
        return hr, tg

    def __getitem__(self, i: int):
        rng = np.random.default_rng([self.seed, i])
        hr, tg = self.window(rng)
        if self.chain == "eval":  # the benchmark's fixed chain (validation on train/'s held-out part)
            lr = eval_chain(list(hr), 28, self.scale)
        else:
            lr = apply_real(list(hr), self.scale, draw_real(rng, strength=self.strength), rng)
        h, w = lr[0].shape[:2]
        hs, ws = h * self.scale, w * self.scale
        mid = len(lr) // 2
        warped, conf = align_window(lr) if self.frames > 1 else ([], [])
        t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
        w_ = t(np.stack(warped).transpose(0, 3, 1, 2)) if warped else torch.zeros((0, 3, h, w))
        c_ = t(np.stack(conf)[:, None]) if conf else torch.zeros((0, 1, h, w))
        if rng.random() < self.drop:
            c_ = torch.zeros_like(c_)
        return (t(lr[mid].transpose(2, 0, 1)), w_, c_, t(hr[mid][:hs, :ws].transpose(2, 0, 1)),
                t(tg[:hs, :ws].transpose(2, 0, 1)))
