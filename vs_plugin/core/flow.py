"""Optical flow between low-resolution frames: DIS flow, consistency confidence, warping.

Conventions used across the project:

* Images are ``float32`` arrays shaped ``(H, W, 3)`` (RGB) or ``(H, W)`` (grey) in ``[0, 1]``.
* A flow ``F`` from frame *a* to frame *b* is ``(H, W, 2)`` float32 in pixels of *a*'s grid, such
  that ``a(x) ~ b(x + F(x))``: it is what :func:`backward_warp` needs to pull *b* onto *a*.
* Confidence maps are ``(H, W)`` float32 in ``[0, 1]``; 0 means "do not trust".
"""

from __future__ import annotations

import functools
import threading

import cv2
import numpy as np

from .lru import BoundedLRU, content_key
from .luma import bt709

#: DIS presets by name. "medium" is the default: on Vimeo-90K training clips at x4-reduced size
#: it aligns neighbours 1.4 dB better than "fast" (38.2 vs 36.8 dB warped PSNR) at similar cost on
#: small frames (measured with scripts/measure_alignment.py).
DIS_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}
DEFAULT_PRESET = "medium"

#: frames taller than this get one more coarse DIS level per doubling: the preset then works at
#: the finest level it works at on 720p and below, so the flow of 1080p costs what 540p costs
#: (see :func:`extra_levels`)
FULL_DETAIL_HEIGHT = 720

_local = threading.local()


def extra_levels(height: int) -> int:
    """DIS levels skipped at the fine end for a frame ``height`` rows tall: 0 up to
    :data:`FULL_DETAIL_HEIGHT`, 1 up to twice that (1080p), and so on. DIS's patches are a
    fixed 8 pixels, so on large frames its finest level matches details no flow of the window
    needs, at four times the cost per level; the flow is still returned at full resolution."""
    extra = 0
    while height > FULL_DETAIL_HEIGHT << extra:
        extra += 1
    return extra


def _dis(preset: str, extra: int = 0) -> cv2.DISOpticalFlow:
    """One DIS instance per thread, preset and level offset (OpenCV objects are not thread-safe)."""
    cache = getattr(_local, "dis", None)
    if cache is None:
        cache = _local.dis = {}
    key = (preset, extra)
    if key not in cache:
        if preset not in DIS_PRESETS:
            raise ValueError(f"unknown DIS preset {preset!r}; allowed: {sorted(DIS_PRESETS)}")
        dis = cv2.DISOpticalFlow_create(DIS_PRESETS[preset])
        if extra:
            dis.setFinestScale(dis.getFinestScale() + extra)
        cache[key] = dis
    return cache[key]


def to_grey_u8(img: np.ndarray) -> np.ndarray:
    """RGB or grey float image in [0, 1] -> uint8 luma (BT.709 weights), the input DIS expects;
    a uint8 image is taken to be that already and returned as is."""
    if img.dtype == np.uint8:
        return img
    if img.ndim == 3:
        img = bt709(img[..., 0], img[..., 1], img[..., 2])
    return np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)


def grey_u8_planes(planes) -> np.ndarray:
    """:func:`to_grey_u8` of the RGB frame (clamped to [0, 1]) whose R, G, B planes these are,
    the same values without interleaving the planes first."""
    return to_grey_u8(bt709(*(np.clip(p, 0.0, 1.0) for p in planes)))


def dis_flow(a: np.ndarray, b: np.ndarray, preset: str = DEFAULT_PRESET,
             extra: int | None = None) -> np.ndarray:
    """Dense flow from image *a* to image *b* (see module conventions), shape ``(H, W, 2)``.

    ``extra``: coarse levels skipped at the fine end, default :func:`extra_levels` of the
    height. Images smaller than DIS's patch size (8 px) get zero flow instead of an OpenCV error.
    """
    ga, gb = to_grey_u8(a), to_grey_u8(b)
    h, w = ga.shape
    if h < 16 or w < 16:
        return np.zeros((h, w, 2), np.float32)
    dis = _dis(preset, extra_levels(h) if extra is None else extra)
    return dis.calc(ga, gb, None).astype(np.float32, copy=False)


@functools.lru_cache(maxsize=8)  # bounded; lru_cache is thread-safe; read-only results
def _grid2(h: int, w: int) -> np.ndarray:
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    g = np.stack([gx, gy], -1)
    g.setflags(write=False)
    return g


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    g = _grid2(h, w)
    return g[..., 0], g[..., 1]


def absolute_map(flow: np.ndarray, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """The positions ``x + origin + flow(x)`` that :func:`backward_warp` samples, ``(H, W, 2)``
    float32 (a fresh array; the same floats as adding the three in that order)."""
    h, w = flow.shape[:2]
    grid = _grid2(h, w)
    if origin == (0, 0):
        return cv2.add(grid, flow)
    m = cv2.add(grid, (float(origin[0]), float(origin[1]), 0.0, 0.0))  # whole numbers: exact
    return cv2.add(m, flow, dst=m)


def backward_warp(img: np.ndarray, flow: np.ndarray, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Pull ``img`` onto the grid of the flow's source frame: ``out(x) = img(x + flow(x))``.

    Bilinear; positions outside the image take the nearest edge pixel (mask them with
    :func:`inside_mask`). ``origin`` ``(x, y)``: the flow covers only the part of that grid
    starting there (the same pixels as warping with the whole flow and cropping).
    """
    return remap_at(img, absolute_map(flow, origin))


def remap_at(img: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``img`` sampled bilinearly at ``positions`` (:func:`absolute_map`), edges replicated."""
    return cv2.remap(img, positions, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _inside(target: np.ndarray, size: tuple[int, int] | None = None, inset: int = 0) -> np.ndarray:
    """255 where the absolute position ``target`` ``(H, W, 2)`` lies inside the image (of
    ``size`` ``(w, h)``, by default the target's own) less ``inset`` pixels on each side, else 0."""
    w, h = size or target.shape[1::-1]
    return cv2.inRange(target, (inset - 0.5, inset - 0.5), (w - inset - 0.5, h - inset - 0.5))


def inside_mask(flow: np.ndarray, origin: tuple[int, int] = (0, 0), size: tuple[int, int] | None = None) -> np.ndarray:
    """1 where ``x + flow(x)`` lands inside the image, else 0; ``(H, W)`` float32. ``origin``
    and ``size`` as for :func:`backward_warp` from an image of ``size`` ``(w, h)``."""
    return positions_inside(absolute_map(flow, origin), size or flow.shape[1::-1])


def positions_inside(positions: np.ndarray, size: tuple[int, int], inset: int = 0) -> np.ndarray:
    """1 where ``positions`` (:func:`absolute_map`) lie inside an image of ``size`` ``(w, h)``
    less ``inset`` pixels on each side, else 0; ``(H, W)`` float32."""
    return _inside(positions, size, inset).astype(np.float32) / np.float32(255.0)


_PAIR_SUM = np.ones((1, 2), np.float32)


def _sq_norm(v: np.ndarray) -> np.ndarray:
    """``|v|^2`` of an ``(H, W, 2)`` vector field, ``(H, W)`` (OpenCV: numpy's reduction over a
    last axis of length 2 was a third of the flow node's time)."""
    return cv2.transform(cv2.multiply(v, v), _PAIR_SUM)


def consistency(fw: np.ndarray, bw: np.ndarray) -> np.ndarray:
    """Forward-backward confidence of ``fw`` (a->b) given ``bw`` (b->a), in ``[0, 1]``.

    A soft version of the occlusion test of Lai et al. (2018): the round trip ``fw + bw(x+fw)``
    should vanish; its squared length is compared with ``0.01 (|fw|^2 + |bw|^2) + 0.5``.
    Pixels whose flow leaves the frame get 0 (as :func:`inside_mask`).
    """
    h, w = fw.shape[:2]
    target = _grid2(h, w) + fw
    bw_w = cv2.remap(bw, target, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    err = _sq_norm(cv2.add(fw, bw_w))
    tol = cv2.add(_sq_norm(fw), _sq_norm(bw_w))
    tol = cv2.addWeighted(tol, 0.01, tol, 0.0, 0.5)
    conf = cv2.exp(cv2.divide(err, tol, scale=-1.0))
    return cv2.multiply(conf, _inside(target), dtype=cv2.CV_32F, scale=1.0 / 255.0)


def flow_pair(a: np.ndarray, b: np.ndarray, preset: str = DEFAULT_PRESET):
    """Both flows between *a* and *b* with their confidences: ``(f_ab, c_ab, f_ba, c_ba)``.
    *a* and *b* may also be :func:`to_grey_u8` images already."""
    a, b = to_grey_u8(a), to_grey_u8(b)
    f_ab = dis_flow(a, b, preset)
    f_ba = dis_flow(b, a, preset)
    return f_ab, consistency(f_ab, f_ba), f_ba, consistency(f_ba, f_ab)


class FlowPairCache:
    """:func:`flow_pair` with a bounded (``max_bytes``), locked cache keyed by the two images'
    content: the pair ``(b, a)`` is served from ``(a, b)`` with its halves swapped, which is
    exactly what computing it gives. Results are read-only."""

    def __init__(self, max_bytes: int = 96 << 20, preset: str = DEFAULT_PRESET):
        self.preset = preset
        self.store = BoundedLRU(max_bytes)

    def __call__(self, a: np.ndarray, b: np.ndarray):
        a, b = to_grey_u8(a), to_grey_u8(b)
        ka, kb = content_key(a), content_key(b)
        hit = self.store.get(ka + kb)
        if hit is not None:
            return hit
        hit = self.store.get(kb + ka)
        if hit is not None:
            f_ba, c_ba, f_ab, c_ab = hit
            return f_ab, c_ab, f_ba, c_ba
        res = flow_pair(a, b, self.preset)
        for r in res:
            r.setflags(write=False)
        self.store.put(ka + kb, res, sum(r.nbytes for r in res))
        return res


def resize_region(img: np.ndarray, out_hw: tuple[int, int],
                  region: tuple[slice, slice] | None = None) -> np.ndarray:
    """Bilinear resize of ``img`` to ``out_hw`` with half-pixel centres (``cv2.resize``), or only
    its rectangle ``region`` (rows, columns), computed without the rest (positions then rounded
    to 1/32 pixel, as ``cv2.warpAffine`` does)."""
    h, w = out_hw
    if region is None:
        return cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    ys, xs = region
    kx, ky = img.shape[1] / w, img.shape[0] / h
    m = np.array([[kx, 0.0, (xs.start + 0.5) * kx - 0.5], [0.0, ky, (ys.start + 0.5) * ky - 0.5]])
    return cv2.warpAffine(img, m, (xs.stop - xs.start, ys.stop - ys.start),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)


def upscale_flow(flow: np.ndarray, scale: float, out_hw: tuple[int, int],
                 region: tuple[slice, slice] | None = None) -> np.ndarray:
    """Resample a low-resolution flow onto a grid ``scale`` times larger, in that grid's pixels
    (only its rectangle ``region`` when given, see :func:`resize_region`).

    Pixel centres line up as ``X = s*x + (s-1)/2``, which ``cv2.resize`` (half-pixel centres)
    already honours; vectors are multiplied by ``s``.
    """
    return resize_region(flow, out_hw, region) * np.float32(scale)


def upscale_warp_map(flow: np.ndarray, out_hw: tuple[int, int], out: np.ndarray | None = None) -> np.ndarray:
    """The ``cv2.remap`` map that pulls a ``out_hw``-sized image along a low-resolution flow.

    Equals ``grid + upscale_flow(flow, s, out_hw)`` (``s = W / w``, the same ``(s-1)/2`` centre
    alignment) but is built with one resize of the low-resolution absolute map, which is what
    makes fusion at UHD cheap; the few border rows/columns where the resize clamps get the grid
    part put back exactly. ``out``: an ``(H, W, 2)`` float32 array to reuse.
    """
    h, w = flow.shape[:2]
    H, W = out_hw
    sx, sy = W / w, H / h
    gx, gy = _grid(h, w)
    lr_map = np.empty_like(flow)
    lr_map[..., 0] = (gx + flow[..., 0]) * np.float32(sx) + np.float32((sx - 1) / 2)
    lr_map[..., 1] = (gy + flow[..., 1]) * np.float32(sy) + np.float32((sy - 1) / 2)
    out = cv2.resize(lr_map, (W, H), dst=out, interpolation=cv2.INTER_LINEAR)
    for axis, size, n, s in ((0, W, w, sx), (1, H, h, sy)):
        pos = np.arange(size, dtype=np.float64)
        src = (pos + 0.5) / s - 0.5
        fix = np.flatnonzero((src < 0) | (src > n - 1))
        if fix.size:  # the resize clamped the grid there: restore X exactly
            corr = (pos[fix] - (np.clip(src[fix], 0, n - 1) * s + (s - 1) / 2)).astype(np.float32)
            if axis == 0:
                out[:, fix, 0] += corr
            else:
                out[fix, :, 1] += corr[:, None]
    return out


def upscale_map(conf: np.ndarray, out_hw: tuple[int, int], region: tuple[slice, slice] | None = None) -> np.ndarray:
    """Resample a scalar map (confidence, weights) to ``out_hw`` with centre-aligned bilinear
    (only its rectangle ``region`` when given, see :func:`resize_region`)."""
    return resize_region(conf, out_hw, region)


def flow_to_colour(flow: np.ndarray, max_mag: float | None = None) -> np.ndarray:
    """Colour-wheel picture of a flow (hue = direction, saturation = speed), RGB float [0, 1]."""
    mag, ang = cv2.cartToPolar(flow[..., 0], flow[..., 1])
    m = float(max_mag) if max_mag else max(float(np.percentile(mag, 99)), 1e-3)
    hsv = np.zeros(flow.shape[:2] + (3,), np.float32)
    hsv[..., 0] = ang * (180.0 / np.pi)  # OpenCV float HSV: hue in degrees
    hsv[..., 1] = np.clip(mag / m, 0, 1)
    hsv[..., 2] = 1.0
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


#: The one packing of flow fields into frames. A field (one direction between two frames) is
#: three float planes: x and y displacement in input pixels, then confidence in [0, 1]. Fields
#: travel as one GRAYS plane, their planes stacked vertically in that order; a pair node stores
#: two fields (forward m -> m+d, then backward m+d -> m), the flow node one per neighbour offset
#: in :func:`window_offsets` order.
FIELD_PLANES = 3
PAIR_FIELDS = 2


def packed_height(height: int, fields: int) -> int:
    """Height of the GRAYS plane holding ``fields`` fields of a ``height``-row frame."""
    return height * FIELD_PLANES * fields


def field_height(packed: int, fields: int) -> int:
    """Inverse of :func:`packed_height`: the frame height of a packed plane ``packed`` rows tall."""
    return packed // (FIELD_PLANES * fields)


def pack_fields(fields: list[tuple[np.ndarray, np.ndarray, np.ndarray]], out: np.ndarray | None = None) -> np.ndarray:
    """``(x, y, confidence)`` plane triples stacked into one plane, into ``out`` (e.g. the output
    frame's plane) when given."""
    return np.concatenate([p for f in fields for p in f], axis=0, out=out)


def unpack_fields(packed: np.ndarray, fields: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Inverse of :func:`pack_fields`: ``fields`` ``(x, y, confidence)`` triples of views."""
    h = field_height(packed.shape[0], fields)
    planes = [packed[i * h:(i + 1) * h] for i in range(FIELD_PLANES * fields)]
    return [tuple(planes[FIELD_PLANES * i:FIELD_PLANES * (i + 1)]) for i in range(fields)]


def split(flow: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``(H, W, 2)`` flow and its confidence as the ``(x, y, confidence)`` triple packed."""
    return flow[..., 0], flow[..., 1], conf


def window_offsets(radius: int) -> list[int]:
    """Neighbour offsets in the order the flow node stores them: -r..-1, 1..r."""
    return [d for d in range(-radius, radius + 1) if d != 0]
