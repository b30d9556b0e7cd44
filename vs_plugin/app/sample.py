"""A sample clip made on the spot: camera motion over a photo of a face (no input file needed).

The photo is ``grace_hopper.jpg`` from matplotlib's bundled sample data (public domain).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def sample_photo() -> np.ndarray:
    """The bundled photo as RGB float32 in [0, 1]."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"sample photo missing: {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


def camera_motion(photo: np.ndarray, frames: int = 48, width: int = 480, height: int = 270,
                  zoom: tuple[float, float] = (1.0, 1.25), pan: float = 0.08) -> list[np.ndarray]:
    """``frames`` RGB frames of a slow zoom and pan over ``photo``, rendered without aliasing.

    Each frame is sampled at 4x its size with a cubic warp, then area-downscaled.
    """
    ph, pw = photo.shape[:2]
    base = min(pw / width, ph / height)
    out = []
    for t in range(frames):
        a = t / max(1, frames - 1)
        z = zoom[0] + (zoom[1] - zoom[0]) * a
        s = base / z / 4  # photo px per oversampled output px
        cx = pw / 2 + pan * pw * (a - 0.5)
        cy = ph * 0.42 + 0.03 * ph * np.sin(2 * np.pi * a)
        rot = np.deg2rad(1.5 * np.sin(np.pi * a))
        c, si = np.cos(rot) * s, np.sin(rot) * s
        W, H = width * 4, height * 4
        m = np.float32([[c, -si, cx - c * W / 2 + si * H / 2], [si, c, cy - si * W / 2 - c * H / 2]])
        big = cv2.warpAffine(photo, m, (W, H), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_REFLECT101)
        out.append(np.clip(cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA), 0, 1))
    return out
