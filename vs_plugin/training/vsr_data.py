"""Training clips for the built-in video SR network.

Each sample is a short low-resolution window (centre + neighbours) with the high-resolution
centre frame. Neighbours are aligned with exactly the flow code the product runs
(:mod:`vs_plugin.core.flow`), so train and inference see the same warps and confidences.

Sources:
* real motion: Vimeo-90K septuplets (``train/video``);
* synthetic motion: still photos (``train/images``) moved by sub-pixel pans, zooms and small
  rotations, sometimes with a patch from another photo moving on its own (occlusions).

Degradations (:data:`DEGRADATIONS`): ``"bicubic"`` (antialiased bicubic, the benchmark
protocol), ``"realistic"`` (mild blur, noise, JPEG, drawn per frame, on top of bicubic),
``"mixed"`` (half each) and ``"compressed"`` (blur, noise and stronger JPEG drawn once per clip,
as footage from one camera and encoder).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..core import flow as flowlib


@dataclass(frozen=True)
class Sources:
    """Lists of files, split into training and held-out validation parts."""

    images: list[Path]
    clips: list[list[Path]]

    @staticmethod
    def scan(data_root: Path, part: str) -> "Sources":
        """``part`` is ``"train"`` or ``"val"``; validation holds out BSDS500 ``test`` images and
        the last two Vimeo clips (all inside ``train/``, never ``eval/``)."""
        root = Path(data_root) / "train"
        t91 = sorted((root / "images/t91").glob("*.png"))
        bsds_tr = sorted((root / "images/bsds500_train").glob("*.jpg"))
        bsds_te = sorted((root / "images/bsds500_test").glob("*.jpg"))
        clips = [sorted(d.glob("im*.png"))
                 for d in sorted((root / "video/vimeo90k_septuplets/sequences").glob("*/*"))]
        if part == "train":
            return Sources(t91 + bsds_tr, clips[:-2])
        if part == "val":
            return Sources(bsds_te[:40], clips[-2:])
        raise ValueError(f"part must be 'train' or 'val', got {part!r}")


def _read_rgb(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


class ImageCache:
    """Decoded training images kept in memory (the training sets are small: ~1.5 GB at most)."""

    def __init__(self):
        self._images: dict[Path, np.ndarray] = {}

    def __call__(self, p: Path) -> np.ndarray:
        if p not in self._images:
            self._images[p] = _read_rgb(p)
        return self._images[p]


def downscale(hr: np.ndarray, scale: int) -> np.ndarray:
    """Antialiased bicubic downscale (a=-0.5, like MATLAB ``imresize``) of ``(H, W, 3)``."""
    t = torch.from_numpy(np.ascontiguousarray(hr.transpose(2, 0, 1)))[None]
    h, w = hr.shape[0] // scale, hr.shape[1] // scale
    lr = F.interpolate(t, size=(h, w), mode="bicubic", antialias=True, align_corners=False)
    return lr[0].numpy().transpose(1, 2, 0).clip(0, 1)


def _realistic(lr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mild blur, Gaussian noise and JPEG compression, each with some probability."""
    if rng.random() < 0.5:
        lr = cv2.GaussianBlur(lr, (0, 0), rng.uniform(0.3, 1.0))
    if rng.random() < 0.6:
        lr = lr + rng.normal(0, rng.uniform(0.003, 0.02), lr.shape).astype(np.float32)
    lr = lr.clip(0, 1)
    if rng.random() < 0.7:
        lr = jpeg_roundtrip(lr, int(rng.integers(40, 90)))
    return lr


def jpeg_roundtrip(rgb: np.ndarray, quality: int) -> np.ndarray:
    """``(H, W, 3)`` RGB in [0, 1] through 8-bit JPEG at ``quality`` and back (float32)."""
    u8 = (rgb * 255 + 0.5).astype(np.uint8)
    ok, enc = cv2.imencode(".jpg", u8[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255.0


def draw_compression(rng: np.random.Generator) -> dict:
    """Degradation of one whole clip (``"compressed"`` mode): blur, noise level and JPEG quality
    are drawn once, as a camera and an encoder would apply them to every frame; the noise and
    the block artifacts still differ from frame to frame, which is what the aligned neighbours
    can average out."""
    return {"blur": rng.uniform(0.3, 1.2) if rng.random() < 0.5 else 0.0,
            "noise": rng.uniform(0.003, 0.02) if rng.random() < 0.6 else 0.0,
            "jpeg": int(rng.integers(20, 86)) if rng.random() < 0.9 else 0}


def apply_compression(lr: np.ndarray, d: dict, rng: np.random.Generator) -> np.ndarray:
    """One frame through the clip's degradation ``d`` (see :func:`draw_compression`)."""
    if d["blur"]:
        lr = cv2.GaussianBlur(lr, (0, 0), d["blur"])
    if d["noise"]:
        lr = lr + rng.normal(0, d["noise"], lr.shape).astype(np.float32)
    lr = lr.clip(0, 1)
    if d["jpeg"]:
        lr = jpeg_roundtrip(lr, d["jpeg"])
    return lr


def _affine_sequence(img: np.ndarray, frames: int, size: int, rng: np.random.Generator):
    """``frames`` HR crops of ``size`` px following a smooth random camera path over ``img``."""
    h, w = img.shape[:2]
    margin = size * 0.75
    cx = rng.uniform(margin, max(margin + 1, w - margin))
    cy = rng.uniform(margin, max(margin + 1, h - margin))
    speed = rng.uniform(0, 6.0)  # HR px per frame
    ang = rng.uniform(0, 2 * np.pi)
    vx, vy = speed * np.cos(ang), speed * np.sin(ang)
    dzoom = rng.uniform(-0.02, 0.02) if rng.random() < 0.3 else 0.0
    drot = rng.uniform(-1.0, 1.0) if rng.random() < 0.3 else 0.0
    mid = frames // 2
    out = []
    for t in range(frames):
        k = t - mid
        jx, jy = rng.normal(0, 0.3, 2)  # hand-held jitter
        m = cv2.getRotationMatrix2D((size / 2, size / 2), drot * k, 1.0 + dzoom * k)
        m[0, 2] += cx - size / 2 + vx * k + jx
        m[1, 2] += cy - size / 2 + vy * k + jy
        # m maps crop coords -> image coords; warpAffine with WARP_INVERSE_MAP samples there
        out.append(cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_REFLECT101))
    return out


def _paste_object(seq: list[np.ndarray], other: np.ndarray, rng: np.random.Generator):
    """Move a patch of another photo across the sequence on its own path (occlusions)."""
    size = seq[0].shape[0]
    ph, pw = int(rng.integers(size // 5, size // 2)), int(rng.integers(size // 5, size // 2))
    oy = int(rng.integers(0, max(1, other.shape[0] - ph)))
    ox = int(rng.integers(0, max(1, other.shape[1] - pw)))
    patch = other[oy:oy + ph, ox:ox + pw]
    ph, pw = patch.shape[:2]
    x0, y0 = rng.uniform(0, size - pw), rng.uniform(0, size - ph)
    vx, vy = rng.uniform(-10, 10, 2)
    mid = len(seq) // 2
    for t, frame in enumerate(seq):
        x = int(round(np.clip(x0 + vx * (t - mid), 0, size - pw)))
        y = int(round(np.clip(y0 + vy * (t - mid), 0, size - ph)))
        frame[y:y + ph, x:x + pw] = patch


def align_window(lr_frames: list[np.ndarray], preset: str = flowlib.DEFAULT_PRESET):
    """Warp every neighbour onto the centre with the product's flow code.

    Returns ``(warped, conf)``: lists over the neighbours in window order, centre excluded.
    """
    mid = len(lr_frames) // 2
    centre = lr_frames[mid]
    warped, conf = [], []
    for t, frame in enumerate(lr_frames):
        if t == mid:
            continue
        f_cn, c_cn, _, _ = flowlib.flow_pair(centre, frame, preset)
        warped.append(flowlib.backward_warp(frame, f_cn))
        conf.append(c_cn)
    return warped, conf


#: ``bicubic``: the benchmark's clean x4/x2; ``realistic``: blur/noise/JPEG drawn per frame;
#: ``mixed``: half and half; ``compressed``: blur/noise/JPEG (quality 20-85) drawn per clip
DEGRADATIONS = ("bicubic", "realistic", "mixed", "compressed")


class VSRClips(torch.utils.data.Dataset):
    """Random training windows; index ``i`` always gives the same sample for a given seed."""

    def __init__(self, sources: Sources, scale: int, frames: int, lr_size: int,
                 degradation: str = "bicubic", length: int = 10**7, seed: int = 0,
                 video_fraction: float = 0.3, drop_neighbours: float = 0.15,
                 flow_preset: str = flowlib.DEFAULT_PRESET):
        if degradation not in DEGRADATIONS:
            raise ValueError(f"degradation must be one of {'|'.join(DEGRADATIONS)}, got {degradation!r}")
        self.src, self.scale, self.frames, self.lr_size = sources, scale, frames, lr_size
        self.degradation, self.length, self.seed = degradation, length, seed
        self.video_fraction, self.drop = video_fraction, drop_neighbours
        self.flow_preset = flow_preset
        self._img = ImageCache()

    def __len__(self) -> int:
        return self.length

    def hr_window(self, rng: np.random.Generator) -> list[np.ndarray]:
        hr_size = self.lr_size * self.scale
        if self.src.clips and rng.random() < self.video_fraction:
            clip = self.src.clips[int(rng.integers(len(self.src.clips)))]
            start = int(rng.integers(0, len(clip) - self.frames + 1))
            frames = [self._img(p) for p in clip[start:start + self.frames]]
            if rng.random() < 0.5:
                frames = frames[::-1]
            h, w = frames[0].shape[:2]
            y, x = int(rng.integers(0, h - hr_size + 1)), int(rng.integers(0, w - hr_size + 1))
            seq = [f[y:y + hr_size, x:x + hr_size].copy() for f in frames]
        else:
            img = self._img(self.src.images[int(rng.integers(len(self.src.images)))])
            seq = _affine_sequence(img, self.frames, hr_size, rng)
            if rng.random() < 0.3:
                other = self._img(self.src.images[int(rng.integers(len(self.src.images)))])
                _paste_object(seq, other, rng)
        if rng.random() < 0.5:
            seq = [np.ascontiguousarray(f[:, ::-1]) for f in seq]
        return seq

    def __getitem__(self, i: int):
        rng = np.random.default_rng([self.seed, i])
        hr = self.hr_window(rng)
        lr = [downscale(f, self.scale) for f in hr]
        mode = self.degradation
        if mode == "mixed":
            mode = "realistic" if rng.random() < 0.5 else "bicubic"
        if mode == "realistic":
            lr = [_realistic(f, rng) for f in lr]
        elif mode == "compressed":
            d = draw_compression(rng)
            lr = [apply_compression(f, d, rng) for f in lr]
        mid = self.frames // 2
        warped, conf = align_window(lr, self.flow_preset)
        w = torch.from_numpy(np.stack(warped).transpose(0, 3, 1, 2).copy())
        c = torch.from_numpy(np.stack(conf)[:, None].copy())
        if rng.random() < self.drop:
            c = torch.zeros_like(c)
        centre = torch.from_numpy(lr[mid].transpose(2, 0, 1).copy())
        target = torch.from_numpy(hr[mid].transpose(2, 0, 1).copy())
        return centre, w, c, target
