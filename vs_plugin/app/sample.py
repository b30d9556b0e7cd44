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


def camera_matrices(photo_shape: tuple[int, ...], frames: int, width: int, height: int,
                    zoom: tuple[float, float] = (1.0, 1.25), pan: float = 0.08) -> list[np.ndarray]:
    """Per frame, the 2x3 affine map from a frame's 4x-oversampled pixel to photo coordinates."""
    ph, pw = photo_shape[:2]
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
        out.append(np.float32([[c, -si, cx - c * W / 2 + si * H / 2], [si, c, cy - si * W / 2 - c * H / 2]]))
    return out


def camera_motion(photo: np.ndarray, frames: int = 48, width: int = 480, height: int = 270,
                  zoom: tuple[float, float] = (1.0, 1.25), pan: float = 0.08) -> list[np.ndarray]:
    """``frames`` RGB frames of a slow zoom and pan over ``photo``, rendered without aliasing.

    Each frame is sampled at 4x its size with a cubic warp, then area-downscaled.
    """
    out = []
    for m in camera_matrices(photo.shape, frames, width, height, zoom, pan):
        big = cv2.warpAffine(photo, m, (width * 4, height * 4), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_REFLECT101)
        out.append(np.clip(cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA), 0, 1))
    return out


def camera_flow(m_a: np.ndarray, m_b: np.ndarray, width: int, height: int) -> np.ndarray:
    """The true flow ``(H, W, 2)`` from the frame of matrix ``m_a`` to that of ``m_b`` (see
    :func:`camera_matrices`), in frame pixels, as :mod:`vs_plugin.core.flow` defines flow."""
    gx, gy = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    X, Y = 4 * gx + 1.5, 4 * gy + 1.5  # a frame pixel's centre on the oversampled grid
    a = m_a.astype(np.float64)
    px = a[0, 0] * X + a[0, 1] * Y + a[0, 2]
    py = a[1, 0] * X + a[1, 1] * Y + a[1, 2]
    inv = cv2.invertAffineTransform(m_b.astype(np.float64))
    Xb = inv[0, 0] * px + inv[0, 1] * py + inv[0, 2]
    Yb = inv[1, 0] * px + inv[1, 1] * py + inv[1, 2]
    return np.stack([(Xb - 1.5) / 4 - gx, (Yb - 1.5) / 4 - gy], -1).astype(np.float32)
