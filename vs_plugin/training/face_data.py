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
    centre, random flip) and its degraded x4 LR version (a ``realistic`` share degraded: by
    per-image blur/noise/JPEG, or with ``real`` by :func:`.face_gan.degrade_face`; the rest clean
    bicubic)."""

    def __init__(self, files: list[Path], lr_size: int = 32, seed: int = 0, length: int = 10**7,
                 scale: int = 4, realistic: float = 0.5, real: bool = False):
        self.files, self.lr_size, self.seed, self.length = files, lr_size, seed, length
        self.scale, self.realistic, self.real = scale, realistic, real
        self._img = ImageCache()

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int):
        rng = np.random.default_rng([self.seed, i])
        img = self._img(self.files[int(rng.integers(len(self.files)))])
        h, w = img.shape[:2]
        hr = self.lr_size * self.scale
        # faces sit near the centre of both sets; take a crop of 0.45-0.8 of the short side
        side = min(h, w) * rng.uniform(0.45, 0.8)
        cx = w / 2 + rng.normal(0, 0.05) * w
        cy = h / 2 + rng.normal(0, 0.05) * h + (0.03 * h if h > w else 0)
        m = np.float32([[side / hr, 0, cx - side / 2], [0, side / hr, cy - side / 2]])
        crop = cv2.warpAffine(img, m, (hr, hr), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REFLECT101)
        if side / hr > 1.2:  # avoid aliasing when the crop is shrunk a lot
            crop = cv2.resize(cv2.resize(img[int(max(0, cy - side / 2)):int(cy + side / 2),
                                             int(max(0, cx - side / 2)):int(cx + side / 2)], (hr, hr),
                                         interpolation=cv2.INTER_AREA), (hr, hr))
        if rng.random() < 0.5:
            crop = np.ascontiguousarray(crop[:, ::-1])
        crop = np.clip(crop, 0, 1).astype(np.float32)
        if self.real and rng.random() < self.realistic:  # video degradations at x2-x8 (face_gan)
            from .face_gan import degrade_face
            lr = degrade_face(crop, self.lr_size, rng)
        else:
            lr = downscale(crop, self.scale)
            if not self.real and rng.random() < self.realistic:
                lr = _realistic(lr, rng)
        centre = torch.from_numpy(lr.transpose(2, 0, 1).copy())
        target = torch.from_numpy(crop.transpose(2, 0, 1).copy())
        empty_w = torch.zeros((0, 3) + centre.shape[1:])
        empty_c = torch.zeros((0, 1) + centre.shape[1:])
        return centre, empty_w, empty_c, target
