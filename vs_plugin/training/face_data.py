"""Training crops for the built-in face restorer: x4 face super-resolution with realistic
degradations, split by identity (held-out people are never trained on).

Sources (``../shared/data/train/faces``): CelebA aligned faces (identity from
``identities.tsv``; the last 20 identities are held out) and LFW (one image per person; names
whose sha1 ends in 0 are held out).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import torch

from .face_gan import degrade_face_clip
from .sharpen import unsharp_target
from .vsr_data import ImageCache, _realistic, downscale


def split_faces(data_root: Path, part: str) -> list[Path]:
    """Face image files of ``part`` ("train" or "val"), split by identity."""
    root = Path(data_root) / "train" / "faces"
    ids: dict[str, str] = {}
    tsv = root / "celeba_align" / "identities.tsv"
    for line in tsv.read_text().splitlines()[1:]:
        f, ident = line.split("\t")
        ids[f] = ident
    people = sorted(set(ids.values()), key=int)
    held = set(people[-20:])
    celeba = sorted((root / "celeba_align").glob("*.jpg"))
    lfw = sorted((root / "lfw").glob("*.jpg"))
    lfw_held = lambda p: hashlib.sha1(p.stem.rsplit("_", 1)[0].encode()).hexdigest()[-1] == "0"  # noqa: E731
    if part == "train":
        return [p for p in celeba if ids.get(p.name) not in held] + [p for p in lfw if not lfw_held(p)]
    if part == "val":
        return [p for p in celeba if ids.get(p.name) in held] + [p for p in lfw if lfw_held(p)]
    raise ValueError(f"part must be 'train' or 'val', got {part!r}")


class FaceCrops(torch.utils.data.Dataset):
    """Sample i: an HR face crop (``4 * lr_size`` px, random scale and shift around the face
    centre, random flip; the target is unsharp-masked with ``sharpen``) and its degraded x4 LR
    version (a ``realistic`` share degraded: by
    per-image blur/noise/JPEG, or with ``real`` by :func:`.face_gan.degrade_face_clip`; the rest clean
    bicubic)."""

    def __init__(self, files: list[Path], lr_size: int = 32, seed: int = 0, length: int = 10**7,
                 scale: int = 4, realistic: float = 0.5, real: bool = False, min_downscale: float = 0.0,
                 sharpen: tuple[float, float] | None = None):
        self.files, self.lr_size, self.seed, self.length = files, lr_size, seed, length
        self.scale, self.realistic, self.real = scale, realistic, real
        self.min_downscale, self.sharpen = min_downscale, sharpen
        self._img = ImageCache()

    def _target(self, crop: np.ndarray) -> np.ndarray:
        """The training target for ``crop``: the crop itself, or with ``sharpen=(sigma, amount)``
        its unsharp-masked version (:func:`.sharpen.unsharp_target`); the input is always
        degraded from the crop itself."""
        return crop if self.sharpen is None else unsharp_target(crop, *self.sharpen)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int):
        rng = np.random.default_rng([self.seed, i])
        crop = self._hr_crop(rng, self.lr_size * self.scale)
        lr = self._degrade(crop, rng)
        centre = torch.from_numpy(lr.transpose(2, 0, 1).copy())
        target = torch.from_numpy(self._target(crop).transpose(2, 0, 1).copy())
        empty_w = torch.zeros((0, 3) + centre.shape[1:])
        empty_c = torch.zeros((0, 1) + centre.shape[1:])
        return centre, empty_w, empty_c, target

    def pair(self, i: int, max_shift: int = 4, video: bool = False):
        """The same face twice, as two frames of a video show it: the second crop is the first
        moved by ``(dx, dy)`` target pixels (0..max_shift-1 each, so a sub-pixel shift of the
        input), degraded with the same draw (blur, resolution, noise, codec), whose noise and
        blocks therefore land differently on the face. With ``video`` (and ``real``) the two
        are degraded as one two-frame clip (:func:`.face_gan.degrade_face_clip`): fresh noise
        on each frame, and the second frame's codec artefacts those of a predicted frame, which
        carries the first one's and updates some blocks, as consecutive frames of a video do.
        Returns ``(lr_a, hr_a, lr_b, hr_b, dx, dy)``; ``hr_b[y, x] == hr_a[y + dy, x + dx]``."""
        rng = np.random.default_rng([self.seed, i, 1])
        hr = self.lr_size * self.scale
        big = self._hr_crop(rng, hr + max_shift)
        dx, dy = (int(v) for v in rng.integers(0, max_shift, 2))
        a, b = big[:hr, :hr], np.ascontiguousarray(big[dy:dy + hr, dx:dx + hr])
        state = int(rng.integers(2**63))
        if video and self.real and rng.random() < self.realistic:
            lr_a, lr_b = degrade_face_clip([a, b], self.lr_size, np.random.default_rng(state))
        else:
            lr_a = self._degrade(a, np.random.default_rng(state))
            lr_b = self._degrade(b, np.random.default_rng(state))
        t = lambda x: torch.from_numpy(x.transpose(2, 0, 1).copy())  # noqa: E731
        sharp = self._target(big)  # sharpened before the cut, so the two targets still agree
        return t(lr_a), t(sharp[:hr, :hr]), t(lr_b), t(sharp[dy:dy + hr, dx:dx + hr]), dx, dy

    def _hr_crop(self, rng: np.random.Generator, hr: int) -> np.ndarray:
        img = self._img(self.files[int(rng.integers(len(self.files)))])
        h, w = img.shape[:2]
        # faces sit near the centre of both sets; take a crop of 0.45-0.8 of the short side, or
        # with min_downscale one at least that much larger than the target, area-downscaled: a
        # photo upsampled to the target size is a soft target, and teaches a soft restorer
        if self.min_downscale:
            lo = max(0.45 * min(h, w), self.min_downscale * hr)
            side = rng.uniform(lo, max(lo, 0.85 * min(h, w)))
        else:
            side = min(h, w) * rng.uniform(0.45, 0.8)
        cx = w / 2 + rng.normal(0, 0.05) * w
        cy = h / 2 + rng.normal(0, 0.05) * h + (0.03 * h if h > w else 0)
        m = np.float32([[side / hr, 0, cx - side / 2], [0, side / hr, cy - side / 2]])
        crop = cv2.warpAffine(img, m, (hr, hr), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REFLECT101)
        if side / hr > (1.0 if self.min_downscale else 1.2):  # avoid aliasing when the crop is shrunk
            crop = cv2.resize(cv2.resize(img[int(max(0, cy - side / 2)):int(cy + side / 2),
                                             int(max(0, cx - side / 2)):int(cx + side / 2)], (hr, hr),
                                         interpolation=cv2.INTER_AREA), (hr, hr))
        if rng.random() < 0.5:
            crop = np.ascontiguousarray(crop[:, ::-1])
        return np.clip(crop, 0, 1).astype(np.float32)

    def _degrade(self, crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.real and rng.random() < self.realistic:  # video degradations at x2-x8 (face_gan)
            return degrade_face_clip([crop], crop.shape[0] // self.scale, rng)[0]
        lr = downscale(crop, self.scale)
        if not self.real and rng.random() < self.realistic:
            lr = _realistic(lr, rng)
        return lr
