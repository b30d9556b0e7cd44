"""Alignment to the FFHQ 512 template and back, with the right pixel-centre conventions."""

from __future__ import annotations

import functools

import cv2
import numpy as np

#: FFHQ 512x512 five-point template (REFERENCE.md): right eye, left eye, nose, mouth corners
TEMPLATE_512 = np.array([[192.98138, 239.94708], [318.90277, 240.19360], [256.63416, 314.01935],
                         [201.26117, 371.41043], [313.08905, 371.15118]], np.float64)
TEMPLATE_EYE_DISTANCE = 125.9
POINT_WEIGHTS = np.array([1.0, 1.0, 0.6, 0.8, 0.8])


def similarity(src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted least-squares similarity (rotation, uniform scale, translation) mapping ``src``
    points onto ``dst`` points; 2x3 matrix. Every point counts (no outlier rejection), so the
    crop moves smoothly with the landmarks."""
    w = POINT_WEIGHTS[: len(src)] if weights is None else np.asarray(weights, np.float64)
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    ws = w / w.sum()
    mu_s, mu_d = (ws[:, None] * src).sum(0), (ws[:, None] * dst).sum(0)
    s, d = src - mu_s, dst - mu_d
    a = np.sum(ws * (s[:, 0] * d[:, 0] + s[:, 1] * d[:, 1]))
    b = np.sum(ws * (s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0]))
    var = np.sum(ws * (s ** 2).sum(1))
    ca, sa = a / var, b / var  # scale*cos, scale*sin
    rot = np.array([[ca, -sa], [sa, ca]])
    t = mu_d - rot @ mu_s
    return np.hstack([rot, t[:, None]])


def template(size: int) -> np.ndarray:
    """The template for a ``size`` x ``size`` crop (pixel centres scale about 0.5)."""
    return (TEMPLATE_512 + 0.5) * (size / 512.0) - 0.5


def to_aligned(landmarks: np.ndarray, size: int) -> np.ndarray:
    """2x3 matrix from image coordinates to a ``size`` aligned crop."""
    return similarity(landmarks, template(size))


def scale_points(points: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """Low-resolution pixel coordinates to an upscaled frame: ``X = s (x + 0.5) - 0.5``, i.e. a
    ``(s-1)/2`` shift of pixel centres, not ``s/2``."""
    p = np.asarray(points, np.float64)
    return np.stack([(p[..., 0] + 0.5) * sx - 0.5, (p[..., 1] + 0.5) * sy - 0.5], -1)


#: the face mask's ellipse in the 512 template: centre and radii (x, y); its feather's blur
#: (sigma size/128, a kernel of 4 sigma) reaches 16 template pixels beyond them
MASK_CENTRE_512, MASK_RADII_512, MASK_BLUR_REACH_512 = (256.0, 300.0), (150.0, 185.0), 16.0


@functools.lru_cache(maxsize=16)  # bounded; one mask per crop size, read-only
def face_mask(size: int, feather: float = 0.08) -> np.ndarray:
    """Fixed feathered mask in template space: an ellipse over brows, eyes, cheeks, mouth and
    chin that stays inside the hair line; ``(size, size)`` float32 in [0, 1], read-only."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    c = np.array(MASK_CENTRE_512) * size / 512
    r = np.array(MASK_RADII_512) * size / 512
    d = np.sqrt(((xx - c[0]) / r[0]) ** 2 + ((yy - c[1]) / r[1]) ** 2)
    m = np.clip((1.0 - d) / feather, 0, 1)
    m = m * m * (3 - 2 * m)  # smoothstep
    m = cv2.GaussianBlur(m, (0, 0), size / 128).astype(np.float32)  # the float64 feather's precision, stored as float32
    m.setflags(write=False)
    return m
