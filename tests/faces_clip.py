"""A synthetic clip with two moving faces (cut from the bundled sample photo), one entering."""

from __future__ import annotations

import cv2
import numpy as np

from vs_plugin.app.sample import sample_photo


def face_patch(height: int) -> np.ndarray:
    photo = sample_photo()
    crop = photo[40:380, 120:420]  # head and shoulders of the sample portrait
    w = int(round(crop.shape[1] * height / crop.shape[0]))
    return cv2.resize(crop, (w, height), interpolation=cv2.INTER_AREA)


def two_faces(frames: int = 12, w: int = 320, h: int = 180) -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    bg = cv2.GaussianBlur(rng.random((h, w + 64, 3)).astype(np.float32), (0, 0), 6)
    bg = 0.3 + 0.4 * (bg - bg.min()) / (bg.max() - bg.min())
    a, b = face_patch(110), face_patch(90)
    out = []
    for t in range(frames):
        f = bg[:, t:t + w].copy()
        xa, ya = 170 + 1.5 * t, 40 + 0.5 * t
        xb = -60 + 6 * t  # enters from the left edge
        for patch, x, y in ((a, xa, ya), (b, xb, 70.0)):
            m = np.float32([[1, 0, x], [0, 1, y]])
            warped = cv2.warpAffine(patch, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(-1, -1, -1))
            mask = warped[..., :1] >= 0
            f = np.where(mask, warped, f)
        out.append(np.clip(f, 0, 1).astype(np.float32))
    return out
