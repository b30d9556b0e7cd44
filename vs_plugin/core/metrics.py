"""Quality and temporal-stability metrics (definitions in ../shared/REFERENCE.md).

All images are RGB float arrays ``(H, W, 3)`` in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from . import flow as flowlib
from .fusion import highpass


def y_bt601(img: np.ndarray) -> np.ndarray:
    """Studio-swing BT.601 luma in [16, 235] (the standard VSR protocol), float64."""
    img = img.astype(np.float64)
    return 16.0 + 65.481 * img[..., 0] + 128.553 * img[..., 1] + 24.966 * img[..., 2]


def psnr_from_mse(mse: float, peak: float = 1.0) -> float:
    """PSNR in dB of a mean squared error at signal ``peak`` (the one PSNR formula; an exact
    match is capped at 120 dB at peak 1, not infinite)."""
    return float(10 * np.log10(peak ** 2 / max(float(mse), 1e-12 * peak ** 2)))


def psnr(out: np.ndarray, ref: np.ndarray) -> float:
    """PSNR of float images in [0, 1] (``out`` clamped first), over all channels."""
    return psnr_from_mse(np.mean((np.clip(out, 0, 1) - ref) ** 2))


def psnr_y(out: np.ndarray, ref: np.ndarray, crop: int = 0) -> float:
    """Y-PSNR (peak 255) of BT.601 luma, optionally cropping ``crop`` pixels at each border."""
    a, b = y_bt601(np.clip(out, 0, 1)), y_bt601(ref)
    if crop:
        a, b = a[crop:-crop, crop:-crop], b[crop:-crop, crop:-crop]
    return psnr_from_mse(np.mean((np.round(a) - np.round(b)) ** 2), 255.0)


def ssim_y(out: np.ndarray, ref: np.ndarray, crop: int = 0) -> float:
    """SSIM on BT.601 luma, 11x11 Gaussian window with sigma 1.5 (Wang et al. 2004)."""
    a, b = np.round(y_bt601(np.clip(out, 0, 1))), np.round(y_bt601(ref))
    if crop:
        a, b = a[crop:-crop, crop:-crop], b[crop:-crop, crop:-crop]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda x: cv2.GaussianBlur(x, (11, 11), 1.5)[5:-5, 5:-5]  # noqa: E731 - valid region
    mu_a, mu_b = blur(a), blur(b)
    s_a, s_b, s_ab = blur(a * a) - mu_a ** 2, blur(b * b) - mu_b ** 2, blur(a * b) - mu_a * mu_b
    m = ((2 * mu_a * mu_b + c1) * (2 * s_ab + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (s_a + s_b + c2))
    return float(m.mean())


def occlusion_mask(fw: np.ndarray, bw: np.ndarray) -> np.ndarray:
    """Non-occluded pixels for E_warp (Lai et al.): forward-backward check plus motion
    boundaries, as written in REFERENCE.md; 1 = use the pixel."""
    bw_w = flowlib.backward_warp(bw, fw)
    fb = np.sum((fw + bw_w) ** 2, -1)
    occ = fb > 0.01 * (np.sum(fw ** 2, -1) + np.sum(bw_w ** 2, -1)) + 0.5
    gx = np.gradient(bw, axis=1)
    gy = np.gradient(bw, axis=0)
    grad = np.sum(gx ** 2 + gy ** 2, -1)
    boundary = grad > 0.01 * np.sum(bw ** 2, -1) + 0.002
    return (~occ & ~boundary).astype(np.float64)


def reference_flows(frames: Sequence[np.ndarray], preset: str = "medium"):
    """Forward and backward DIS flows between consecutive frames of the input/ground truth."""
    out = []
    for a, b in zip(frames[:-1], frames[1:]):
        out.append((flowlib.dis_flow(a, b, preset), flowlib.dis_flow(b, a, preset)))
    return out


def warping_error(out: Sequence[np.ndarray], flows, regions: Sequence[Sequence[tuple[int, int, int, int]]] | None = None
                  ) -> float:
    """E_warp x 1000: mean over t of the masked mean squared (RGB-averaged) difference between output frame t
    and output frame t+1 warped onto t with the *reference* flow t->t+1. ``regions``: per t, the boxes
    ``(x0, y0, x1, y1)`` it is measured in (a face's E_warp); a t without any is left out."""
    errs = []
    for t, (fw, bw) in enumerate(flows):
        m = occlusion_mask(fw, bw)
        if regions is not None:
            if not regions[t]:
                continue
            inside = np.zeros_like(m)
            for x0, y0, x1, y1 in regions[t]:
                inside[y0:y1, x0:x1] = 1
            m *= inside
        warped = flowlib.backward_warp(np.clip(out[t + 1], 0, 1).astype(np.float32), fw)
        d = np.mean((np.clip(out[t], 0, 1) - warped) ** 2, -1)  # mean over RGB, as the anchors
        errs.append(float(np.sum(m * d) / max(np.sum(m), 1.0)))
    return 1000.0 * float(np.mean(errs))


def _farneback(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ga = cv2.cvtColor((np.clip(a, 0, 1) * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    gb = cv2.cvtColor((np.clip(b, 0, 1) * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    return cv2.calcOpticalFlowFarneback(ga, gb, None, 0.5, 3, 15, 3, 5, 1.2, 0)


def tof(out: Sequence[np.ndarray], gt: Sequence[np.ndarray], skip: int = 2) -> float:
    """tOF (TecoGAN): mean |OF(out_{t-1}, out_t) - OF(gt_{t-1}, gt_t)|, Farneback flow on grey
    frames, ``skip`` frames left out at each end."""
    vals = []
    for t in range(max(1, skip), len(out) - skip):
        d = _farneback(out[t - 1], out[t]) - _farneback(gt[t - 1], gt[t])
        vals.append(float(np.mean(np.sqrt(np.sum(d ** 2, -1)))))
    return float(np.mean(vals)) if vals else float("nan")


def gmsd(out: np.ndarray, ref: np.ndarray) -> float:
    """Gradient magnitude similarity deviation (Xue et al. 2014) on BT.601 luma (0-255): both
    images 2x2-averaged and subsampled, Prewitt gradients, GMS map with c = 170, its standard
    deviation; 0 = identical structure, larger = worse."""
    def prep(img: np.ndarray) -> np.ndarray:
        y = (y_bt601(np.clip(img, 0, 1)) - 16.0) * 255.0 / 219.0
        y = cv2.blur(y, (2, 2), anchor=(0, 0), borderType=cv2.BORDER_REFLECT)
        return y[::2, ::2]

    px = np.array([[1, 0, -1]] * 3, np.float64) / 3.0

    def mag(y: np.ndarray) -> np.ndarray:
        gx = cv2.filter2D(y, -1, px, borderType=cv2.BORDER_REPLICATE)
        gy = cv2.filter2D(y, -1, px.T, borderType=cv2.BORDER_REPLICATE)
        return np.sqrt(gx ** 2 + gy ** 2)

    mo, mr = mag(prep(out)), mag(prep(ref))
    c = 170.0
    gms = (2 * mo * mr + c) / (mo ** 2 + mr ** 2 + c)
    return float(gms.std())


def sobel_energy(img: np.ndarray) -> float:
    """Mean Sobel gradient magnitude of BT.601 luma (0-255 studio scale): how sharp an image is."""
    y = y_bt601(np.clip(img, 0, 1))
    gx = cv2.Sobel(y, cv2.CV_64F, 1, 0, ksize=3)
    gy = cv2.Sobel(y, cv2.CV_64F, 0, 1, ksize=3)
    return float(np.mean(np.sqrt(gx ** 2 + gy ** 2)))


def sharpness(out: np.ndarray, ref: np.ndarray) -> float:
    """Sobel sharpness of ``out`` relative to the ground truth ``ref`` (1 = as sharp)."""
    return sobel_energy(out) / max(sobel_energy(ref), 1e-9)


def subpixel_pattern(img: np.ndarray, period: int = 4) -> float:
    """How unevenly fine detail falls on the ``period x period`` sub-pixel positions: the
    coefficient of variation, over those positions, of the mean absolute fine band of luma (less
    a Gaussian of sigma 1). A network ending in a x``period`` pixel shuffle that pays for
    sharpness with a fixed grid or stripes scores high; photos of faces score about 0.06 (it does
    not depend on where the grid starts)."""
    y = y_bt601(np.clip(img, 0, 1))
    fine = np.abs(highpass(y, 1.0))
    h, w = fine.shape[0] // period * period, fine.shape[1] // period * period
    phases = fine[:h, :w].reshape(h // period, period, w // period, period).mean((0, 2))
    return float(phases.std() / max(float(phases.mean()), 1e-9))
