"""Temporal fusion of per-frame upscales: detail stays where the motion puts it.

For output frame n the upscaled neighbours are warped onto n with the low-resolution flow
scaled up; each warped pixel is weighted by flow confidence, by photometric agreement with
frame n (checked at low resolution) and by ``stability``. Only the fine-detail band is fused
across the window; the coarse band always comes from frame n, so moving edges cannot ghost and
colour cannot drift. Where nothing is trusted the result falls back to frame n.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from . import flow as flowlib


def lowpass(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian low-pass (reflecting borders); the coarse band."""
    return cv2.GaussianBlur(img, (0, 0), sigma, borderType=cv2.BORDER_REFLECT101)


def neighbour_weight(stability: float) -> float:
    """Weight of a fully trusted neighbour relative to frame n (which has weight 1).

    0 at ``stability=0`` (per-frame output), about 0.83 at 0.5, 10 at 1 (neighbours dominate).
    """
    return stability / (1.1 - stability)


def agreement(lr_centre: np.ndarray, lr_warped: np.ndarray, sigma: float,
              centre_blurred: np.ndarray | None = None) -> np.ndarray:
    """Photometric agreement in [0, 1]: ``exp(-(d / sigma)^2)`` of the mean absolute RGB
    difference of the (lightly blurred) warped neighbour and frame n, at low resolution.
    ``centre_blurred``: ``lowpass(lr_centre, 0.7)`` when the caller already has it."""
    if centre_blurred is None:
        centre_blurred = lowpass(lr_centre, 0.7)
    d = np.mean(np.abs(lowpass(lr_warped, 0.7) - centre_blurred), axis=-1)
    return np.exp(-((d / sigma) ** 2)).astype(np.float32)


def detail_band(img: np.ndarray, sigma: float) -> np.ndarray:
    """The fine-detail band ``img - lowpass(img)`` (signed), computed once per frame."""
    return img - lowpass(img, sigma)


def default_sigma(scale: float) -> float:
    """Coarse/fine split in output pixels: about the input's Nyquist limit."""
    return 0.5 * scale


def fuse(sr_centre: np.ndarray, details: Sequence[np.ndarray], lr: Sequence[np.ndarray],
         flows: Sequence[np.ndarray | None], confs: Sequence[np.ndarray | None], centre: int,
         scale: float, stability: float, photo_sigma: float = 0.04) -> np.ndarray:
    """Fuse the fine-detail bands of a window of upscaled frames onto frame ``centre``.

    Args:
        sr_centre: the upscaled frame n ``(sH, sW, 3)``.
        details: :func:`detail_band` of every upscaled frame of the window, in window order.
        lr: the low-resolution input frames ``(H, W, 3)`` in window order.
        flows: low-resolution flow from the centre to each frame (None for the centre itself
            and for frames to skip, e.g. across a scene cut).
        confs: their confidences ``(H, W)`` in [0, 1].
        centre: index of frame n in the window.
        scale: ``sH / H``.
        stability: 0 returns ``sr_centre`` unchanged (bit-exact); 1 is the strongest fusion.
        photo_sigma: tolerance of the photometric check (RGB mean absolute difference).

    Returns:
        ``(sH, sW, 3)`` float32 in [0, 1].
    """
    if stability <= 0.0:
        return sr_centre
    hw = sr_centre.shape[:2]
    w_n = neighbour_weight(stability)
    base = sr_centre - details[centre]
    num = details[centre].copy()
    den_lr = np.ones(lr[centre].shape[:2], np.float32)
    centre_blurred = lowpass(lr[centre], 0.7)  # once, not once per neighbour
    for k in range(len(details)):
        if k == centre or flows[k] is None:
            continue
        f_lr, c_lr = flows[k], confs[k]
        w_lr = c_lr * agreement(lr[centre], flowlib.backward_warp(lr[k], f_lr), photo_sigma, centre_blurred) * w_n
        if not np.any(w_lr > 1e-3):
            continue
        den_lr += w_lr
        w_hr = flowlib.upscale_map(w_lr, hw)
        warped = flowlib.backward_warp(details[k], flowlib.upscale_flow(f_lr, scale, hw))
        num += cv2.multiply(warped, cv2.merge([w_hr, w_hr, w_hr]))
    den = flowlib.upscale_map(den_lr, hw)  # bilinear resampling is linear: the sum of the weights
    num /= den[..., None]
    num += base
    return np.clip(num, 0.0, 1.0, out=num)
