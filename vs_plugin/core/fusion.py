"""Temporal fusion of per-frame upscales: detail stays where the motion puts it.

For output frame n the upscaled neighbours are warped onto n with the low-resolution flow
scaled up; each warped pixel is weighted by flow confidence, by photometric agreement with
frame n (checked at low resolution) and by ``stability``. Only the fine-detail band of luma is
fused across the window; the coarse band and chroma always come from frame n, so moving edges
cannot ghost and colour cannot drift. Where nothing is trusted the result falls back to frame n.
Frames travel as ``(H, W)`` planes: at UHD, copies cost more than the arithmetic.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import cv2
import numpy as np

from . import flow as flowlib
from .luma import BT709


def lowpass(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian low-pass (reflecting borders); the coarse band."""
    return cv2.GaussianBlur(img, (0, 0), sigma, borderType=cv2.BORDER_REFLECT101)


def highpass(img: np.ndarray, sigma: float) -> np.ndarray:
    """``img`` less its :func:`lowpass`: the detail finer than ``sigma`` pixels (signed)."""
    return img - lowpass(img, sigma)


def lowpass_reach(sigma: float) -> int:
    """How far (pixels) :func:`lowpass` reads around a pixel: OpenCV's Gaussian kernel for
    float images spans 4 sigma on each side. Beyond it, a crop's borders do not matter."""
    return int(np.ceil(4 * sigma))


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
    diff = cv2.absdiff(lowpass(lr_warped, 0.7), centre_blurred)
    d = cv2.transform(diff, np.full((1, diff.shape[-1]), 1.0 / (diff.shape[-1] * sigma), np.float32))
    return cv2.exp(cv2.multiply(d, d, scale=-1.0))


#: BT.709 luma weights: the detail band is fused in luma only (see :func:`fuse`)
LUMA = BT709


def luma(planes: Sequence[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
    """BT.709 luma of R, G, B planes ``(H, W)`` (into ``out`` when given)."""
    y = cv2.addWeighted(planes[0], LUMA[0], planes[1], LUMA[1], 0.0, dst=out)
    return cv2.scaleAdd(planes[2], LUMA[2], y, dst=y)


def detail_band(planes: Sequence[np.ndarray], sigma: float, out: np.ndarray | None = None) -> np.ndarray:
    """The fine-detail band of an upscaled frame's luma, ``Y - lowpass(Y)`` (signed, ``(H, W)``),
    computed once per frame; written into ``out`` when given."""
    y = luma(planes, out=scratch("luma", planes[0].shape[:2]))
    band = _dst(out)
    band = cv2.GaussianBlur(y, (0, 0), sigma, dst=band, borderType=cv2.BORDER_REFLECT101)
    return _into(out, cv2.subtract(y, band, dst=band))


_scratch = threading.local()


def scratch(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A per-thread float32 work array, reused while the shape stays the same: at UHD, fresh
    33-66 MB arrays cost more in page faults than the arithmetic on them. Bounded (one array
    per name and thread); the contents are garbage on entry."""
    bufs = getattr(_scratch, "bufs", None)
    if bufs is None:
        bufs = _scratch.bufs = {}
    a = bufs.get(name)
    if a is None or a.shape != shape:
        a = bufs[name] = np.empty(shape, np.float32)
    return a


def _dst(out: np.ndarray | None) -> np.ndarray | None:
    """``out`` when OpenCV can write into it directly (C-contiguous), else None."""
    return out if out is not None and out.flags.c_contiguous else None


def _into(out: np.ndarray | None, result: np.ndarray) -> np.ndarray:
    """``result``, copied into ``out`` when it was not written there already."""
    if out is None or result is out:
        return result
    np.copyto(out, result)
    return out


def default_sigma(scale: float) -> float:
    """Coarse/fine split in output pixels: about the input's Nyquist limit."""
    return 0.5 * scale


def fuse(sr_centre: Sequence[np.ndarray], details: Sequence[np.ndarray], lr: Sequence[np.ndarray],
         flows: Sequence[np.ndarray | None], confs: Sequence[np.ndarray | None], centre: int,
         stability: float, photo_sigma: float = 0.04,
         out: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """Fuse the fine-detail bands of a window of upscaled frames onto frame ``centre``.

    The detail is fused in luma and the change is added equally to R, G and B, which changes
    luma only: chroma keeps frame n's (it carries little fine detail, and 4:2:0 output halves it
    anyway), and the fusion costs one plane per neighbour instead of three.

    Args:
        sr_centre: the upscaled frame n as R, G, B planes ``(sH, sW)`` (not modified).
        details: :func:`detail_band` of every upscaled frame of the window, in window order.
        lr: the low-resolution input frames ``(H, W, 3)`` in window order.
        flows: low-resolution flow from the centre to each frame (None for the centre itself
            and for frames to skip, e.g. across a scene cut).
        confs: their confidences ``(H, W)`` in [0, 1].
        centre: index of frame n in the window (the upscale factor follows from the shapes).
        stability: 0 returns ``sr_centre`` unchanged (bit-exact); 1 is the strongest fusion.
        photo_sigma: tolerance of the photometric check (RGB mean absolute difference).
        out: three ``(sH, sW)`` float32 planes to write the result into (e.g. the output
            frame's), or None for new arrays.

    Returns:
        R, G, B planes ``(sH, sW)`` float32 in [0, 1].
    """
    if stability <= 0.0:
        if out is None:
            return list(sr_centre)
        return [_into(o, p) for o, p in zip(out, sr_centre)]
    hw = details[centre].shape[:2]
    w_n = neighbour_weight(stability)
    num = scratch("num", hw)
    np.copyto(num, details[centre])
    den_lr = np.ones(lr[centre].shape[:2], np.float32)
    centre_blurred = lowpass(lr[centre], 0.7)  # once, not once per neighbour
    warped, w_hr, warp_map = scratch("warped", hw), scratch("weight", hw), scratch("map", hw + (2,))
    for k in range(len(details)):
        if k == centre or flows[k] is None:
            continue
        f_lr, c_lr = flows[k], confs[k]
        w_lr = c_lr * agreement(lr[centre], flowlib.backward_warp(lr[k], f_lr), photo_sigma, centre_blurred) * w_n
        if not np.any(w_lr > 1e-3):
            continue
        den_lr += w_lr
        warp_map = flowlib.upscale_warp_map(f_lr, hw, out=warp_map)
        warped = cv2.remap(details[k], warp_map, None, cv2.INTER_LINEAR, dst=warped, borderMode=cv2.BORDER_REPLICATE)
        w_hr = cv2.resize(w_lr, (hw[1], hw[0]), dst=w_hr, interpolation=cv2.INTER_LINEAR)
        cv2.accumulateProduct(warped, w_hr, num)
    # bilinear resampling is linear: the upscaled sum of the weights is the sum of the upscaled ones
    den = cv2.resize(den_lr, (hw[1], hw[0]), dst=w_hr, interpolation=cv2.INTER_LINEAR)
    delta = cv2.subtract(cv2.divide(num, den, dst=num), details[centre], dst=num)
    result = []
    for p, plane in enumerate(sr_centre):
        target = None if out is None else out[p]
        o = cv2.add(plane, delta, dst=_dst(target))
        cv2.threshold(o, 1.0, 1.0, cv2.THRESH_TRUNC, dst=o)  # clamp to [0, 1], multi-threaded
        result.append(_into(target, cv2.threshold(o, 0.0, 0.0, cv2.THRESH_TOZERO, dst=o)[1]))
    return result
