"""Render the face layer of one frame: restore each tracked face, stabilise its detail over time,
and composite it over the upscaled frame.

Per face: the smoothed landmarks place a crop whose size matches the face's own resolution. A
x1 face restorer (GFPGAN, CodeFormer) gets it aligned to the FFHQ template; a super-resolution
restorer (the built-in one) works on axis-aligned boxes of whole pixels, so its input and output
are never resampled (see :func:`_geometry`), and on each frame's own box, so that a render
restores each face of each frame once (see :func:`_own_detail`). The restored fine-detail band
is fused with that of the neighbouring frames (aligned by DIS flow computed on the
*low-quality* crops) over the face mask's bounding rectangle. The coarse band comes from the
upscaled background at frame n, so colour can neither drift nor mismatch; only its codec
flicker is averaged out: aligned neighbours correct it where their coarse band agrees with
frame n's to within ``COARSE_TOLERANCE`` (so the correction is bounded by it, and an expression
change, which differs by more, is never blended in). A fixed feathered template-space mask,
carried onto the crop with the smoothed transform and multiplied by the track's fade, blends
the face over the background.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .. import flow as flowlib
from ..fusion import agreement, highpass, lowpass, lowpass_reach, neighbour_weight
from .align import (
    MASK_BLUR_REACH_512,
    MASK_CENTRE_512,
    MASK_RADII_512,
    TEMPLATE_EYE_DISTANCE,
    face_mask,
    scale_points,
    to_aligned,
)
from .detect import Detection
from .track import build_tracks, presence, smooth


@dataclass(frozen=True)
class FaceParams:
    strength: float = 1.0
    stability: float = 0.7
    min_eye: float = 6.0  # low-resolution eye distance (px) below which a face is skipped
    crop_multiple: int = 8


#: coarse/fine split of the face, in input pixels (Gaussian sigma): the coarse band (colour,
#: shading) comes from ``up`` at frame n; everything finer is the restorer's and is fused over
#: time. 2 px puts the restorer's JPEG-block-scale corrections (8-px blocks, its training
#: degradations) in the fused band, where their per-frame flicker is averaged out.
BAND_SIGMA_LR = 2.0

#: tolerance of the coarse-band temporal average (RGB in [0, 1]): a neighbour's aligned coarse
#: band enters only where it differs from frame n's by about this or less (codec noise, not an
#: expression change); 0 switches the coarse band's averaging off.
COARSE_TOLERANCE = 0.02

#: output pixels kept around the face mask's bounding rectangle: the paste-back's bicubic reach
#: (2) plus the bilinear alpha's (1), so every pasted pixel is computed as on the whole crop
MASK_MARGIN = 3


def _warp(img: np.ndarray, m: np.ndarray, size: tuple[int, int], flags: int, border: int) -> np.ndarray:
    """``cv2.warpAffine(img, m, size, flags, border)``, as a copy of pixels (with the border
    filled by ``cv2.copyMakeBorder``) where ``m`` is a translation by whole pixels: the same
    values. A super-resolution restorer's boxes are such translations of the frame, and its
    output grid is the upscaled frame's own whenever the output is exactly its scale."""
    inv = m if flags & cv2.WARP_INVERSE_MAP else cv2.invertAffineTransform(m)  # output -> input
    t = inv[:, 2]
    if np.array_equal(inv[:, :2], np.eye(2)) and np.array_equal(t, np.rint(t)):
        (x0, y0), (w, h), (H, W) = t.astype(int), size, img.shape[:2]
        ys, xs = slice(max(0, y0), min(H, y0 + h)), slice(max(0, x0), min(W, x0 + w))
        top, bottom, left, right = ys.start - y0, y0 + h - ys.stop, xs.start - x0, x0 + w - xs.stop
        inner_h, inner_w = ys.stop - ys.start, xs.stop - xs.start
        if not (top or bottom or left or right):
            return img[ys, xs].copy()
        # a reflected border needs that many pixels inside the part of the image that is copied
        if inner_h > max(top, bottom) and inner_w > max(left, right):
            return cv2.copyMakeBorder(img[ys, xs], top, bottom, left, right, border, value=0)
    return cv2.warpAffine(img, m, size, flags=flags, borderMode=border)


def _smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def _crop_size(eye_lr: float, restorer_scale: int, mult: int) -> int:
    """Aligned low-resolution crop size at the face's own resolution (fixed 512 output for
    x1 restorers such as GFPGAN/CodeFormer)."""
    if restorer_scale == 1:
        return 512
    s = 512.0 * eye_lr / TEMPLATE_EYE_DISTANCE
    return int(np.clip(round(s / mult) * mult, 32, 320))


def _crop_transform(lm: np.ndarray, S: int, scale: int) -> np.ndarray:
    """The 2x3 map from the low-resolution frame onto the ``S x S`` crop of the face with
    landmarks ``lm`` (see :func:`_geometry`); a translation by whole pixels for ``scale`` > 1."""
    m_al = to_aligned(lm, S)
    if scale == 1:
        return m_al
    centre = cv2.invertAffineTransform(m_al) @ np.array([(S - 1) / 2, (S - 1) / 2, 1.0])
    x0, y0 = np.rint(centre - (S - 1) / 2)  # the box centred where the aligned crop is
    return np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0]])


def _geometry(lm: np.ndarray, S: int, scale: int, sx: float,
              sy: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where a face with smoothed landmarks ``lm`` is restored: ``(m_lr, m_up, mask)``, the maps
    from the low-resolution frame onto the ``S x S`` crop and from the upscaled frame onto the
    restorer's ``R x R`` output, and the feathered face mask on that output.

    x1 face restorers (GFPGAN, CodeFormer) expect faces aligned to the FFHQ template, so they get
    a similarity-warped crop. A super-resolution restorer (x2-x4, the built-in one) needs no
    alignment: its crop is an axis-aligned box of whole low-resolution pixels around the same
    face, and with ``scale`` equal to the frame's scale its output lands on the upscaled frame's
    own pixel grid. Neither the restorer's input nor its output is then resampled, and each
    resampling (rotation, sub-pixel shift) costs fine detail; the temporal fusion still aligns
    the neighbours by flow. What is restored is each frame's own box (:func:`_own_detail`)."""
    R = S * scale
    m_lr = _crop_transform(lm, S, scale)
    m_al_up = to_aligned(scale_points(lm, sx, sy), R)
    if scale == 1:
        return m_lr, m_al_up, face_mask(R)
    x0, y0 = -m_lr[:, 2]
    # output pixel u of the restorer <-> upscaled-frame pixel X (pixel centres: u = s (x + 0.5) - 0.5)
    kx, ky = scale / sx, scale / sy
    m_up = np.array([[kx, 0.0, 0.5 * kx - scale * x0 - 0.5], [0.0, ky, 0.5 * ky - scale * y0 - 0.5]])
    to_al = m_al_up @ np.vstack([cv2.invertAffineTransform(m_up), [0.0, 0.0, 1.0]])  # box -> template
    # the template mask is zero outside its ellipse's box widened by the feather's blur reach:
    # warp only the part of the output that box lands on (and a pixel for the bilinear)
    (cx, cy), (rx, ry) = (np.array(v) * R / 512 for v in (MASK_CENTRE_512, MASK_RADII_512))
    rx, ry = rx + MASK_BLUR_REACH_512 * R / 512 + 1, ry + MASK_BLUR_REACH_512 * R / 512 + 1
    corners = np.array([[cx - rx, cy - ry, 1], [cx + rx, cy - ry, 1], [cx - rx, cy + ry, 1], [cx + rx, cy + ry, 1]])
    on_out = corners @ cv2.invertAffineTransform(to_al).T
    x0, y0 = np.maximum(0, np.floor(on_out.min(0)).astype(int) - 1)
    x1, y1 = np.minimum(R, np.ceil(on_out.max(0)).astype(int) + 2)
    mask = np.zeros((R, R), np.float32)
    if x1 > x0 and y1 > y0:
        at = to_al.copy()
        at[:, 2] += to_al[:, :2] @ np.array([x0, y0], np.float64)
        mask[y0:y1, x0:x1] = cv2.warpAffine(face_mask(R), at, (int(x1 - x0), int(y1 - y0)),
                                            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return m_lr, m_up, mask


def restored_detail(restorer, crop: np.ndarray, sigma: float) -> np.ndarray:
    """The restoration of ``crop`` less its Gaussian low-pass (``sigma`` output pixels): all the
    layer takes from a restorer. A caching restorer (:class:`RestorationCache`) computes it once
    per crop content."""
    cached = getattr(restorer, "restored_detail", None)
    if cached is not None:
        return cached(crop, sigma)
    return highpass(restorer(crop), sigma)


def _own_landmarks(track, k: int, fallback: np.ndarray) -> np.ndarray:
    """Frame ``k``'s own detected landmarks (the same whichever frame is being rendered), or
    ``fallback`` where the face was not detected at ``k``."""
    return track.points.get(k, fallback)


def _mask_box(lm: np.ndarray, margin: int, multiple: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The box of whole low-resolution pixels around the face mask of a face with landmarks
    ``lm`` (its ellipse turned by the face's roll, and its feather), ``margin`` pixels wider on
    each side so that the restorer's border effects stay outside it, and its size a multiple
    of ``multiple``: ``(m, (w, h))``, the translation onto the box and its size. About half the
    pixels of the square crop."""
    m_al = to_aligned(lm, 512)
    k = float(np.hypot(*m_al[0, :2]))  # template pixels per image pixel
    roll = float(np.arctan2(m_al[1, 0], m_al[0, 0]))
    a, b = (r + MASK_BLUR_REACH_512 for r in MASK_RADII_512)
    half = np.array([np.hypot(a * np.cos(roll), b * np.sin(roll)), np.hypot(a * np.sin(roll), b * np.cos(roll))])
    half = half / k + margin
    centre = cv2.invertAffineTransform(m_al) @ np.array([*MASK_CENTRE_512, 1.0])
    x0, y0 = np.floor(centre - half)
    w, h = (np.ceil(2 * half / multiple) * multiple).astype(int)  # restorers may need whole multiples
    return np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0]]), (int(w), int(h))


def _own_detail(restorer, frame: np.ndarray, crop: np.ndarray, lm_own: np.ndarray, m_box: np.ndarray,
                sigma: float, p: FaceParams) -> tuple[np.ndarray, tuple[int, int], int]:
    """Restored detail for the ``S x S`` crop ``crop`` of ``frame`` (taken with ``m_box``):
    ``(d, (ox, oy), inset)``, where output pixel ``(x, y)`` of the crop is pixel
    ``(x + ox, y + oy)`` of ``d``, valid but within ``inset`` pixels of its border (the reach of
    the detail band's low-pass, which cannot see past the box).

    A x1 restorer restores the crop itself. A super-resolution restorer restores the frame's
    *own* box around the face mask, placed from its own detected landmarks ``lm_own``
    (:func:`_mask_box`), which lies on the same pixel grid. A frame's own box does not depend on
    which frame is being rendered, so in a render each frame's face is restored once and its
    neighbours reuse it from the cache. The restorer is translation-equivariant except at its
    borders, and the box's margin keeps those off the mask."""
    scale = int(restorer.scale)
    if scale == 1:
        return restored_detail(restorer, np.clip(crop, 0, 1), sigma), (0, 0), 0
    # margin: the detail band's low-pass reach (``inset`` below, crop_multiple source pixels at
    # x4) plus 3 for the paste's reach (MASK_MARGIN) and the jitter of a detection against the
    # smoothed track, so that the fusion rarely samples outside the valid part
    m_own, size = _mask_box(lm_own, p.crop_multiple + 3, p.crop_multiple)
    own = _warp(frame, m_own, size, cv2.INTER_CUBIC, cv2.BORDER_REFLECT101)
    ox, oy = (scale * np.rint(m_own[:, 2] - m_box[:, 2])).astype(int)
    return restored_detail(restorer, np.clip(own, 0, 1), sigma), (int(ox), int(oy)), lowpass_reach(sigma)


def _detail_at(d: np.ndarray, offset: tuple[int, int], inset: int, sub: tuple[slice, slice],
               fill: np.ndarray) -> np.ndarray:
    """``d`` (from :func:`_own_detail`) on the rectangle ``sub`` of the crop's output, ``fill``
    (an array of that rectangle's shape) where it is not valid."""
    h, w = fill.shape[:2]
    ox, oy = offset[0] + sub[1].start, offset[1] + sub[0].start
    out = fill.copy()
    ys = slice(max(0, inset - oy), min(h, d.shape[0] - inset - oy))
    xs = slice(max(0, inset - ox), min(w, d.shape[1] - inset - ox))
    if ys.stop > ys.start and xs.stop > xs.start:
        out[ys, xs] = d[ys.start + oy:ys.stop + oy, xs.start + ox:xs.stop + ox]
    return out


def _pull_detail(d: np.ndarray, offset: tuple[int, int], inset: int, flow: np.ndarray, origin: tuple[int, int],
                 flow_range: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """A neighbour's detail ``d`` (from :func:`_own_detail`) pulled along ``flow``, given on the
    rectangle of frame n's crop output that starts at ``origin``; and where it is valid (None:
    everywhere). ``flow_range``: bounds of the flow's (x, y) components, which decide cheaply
    whether the check is needed at all."""
    at = (origin[0] + offset[0], origin[1] + offset[1])  # the rectangle's origin on d
    h, w = flow.shape[:2]
    lo, hi = flow_range[0] + at, flow_range[1] + at + (w - 1, h - 1)
    positions = flowlib.absolute_map(flow, at)
    valid = None
    if lo.min() < inset - 0.5 or hi[0] > d.shape[1] - inset - 0.5 or hi[1] > d.shape[0] - inset - 0.5:
        valid = flowlib.positions_inside(positions, d.shape[1::-1], inset)
    return flowlib.remap_at(d, positions), valid


def _crop_flow(flow_pair, frames: tuple[np.ndarray, np.ndarray], crops: tuple[np.ndarray, np.ndarray],
               m_crops: tuple[np.ndarray, np.ndarray], own: tuple[np.ndarray, np.ndarray], scale: int,
               mult: int) -> tuple[np.ndarray, np.ndarray]:
    """Flow from frame n's crop to frame k's (``crops``, taken from ``frames`` with ``m_crops``)
    and its confidence.

    A x1 restorer's aligned crops are compared as they are. A super-resolution restorer's
    crops are boxes of whole pixels placed from the smoothed track, which moves with the frame
    being rendered; their flow comes from boxes placed from each frame's own detection
    (``own``) and sized for the larger of the two faces, which are the same whichever frame is
    rendered, so a render computes the pair once (frame n needs n -> k, frame k needs k -> n)
    when ``flow_pair`` caches it. With the crop's pixel ``x`` at the window's ``x + d``:
    ``f(x) = F(x + d_n) + d_n - d_k``."""
    if scale == 1:
        f, c, _, _ = flow_pair(*crops)
        return f, c
    S = crops[0].shape[0]
    Sw = _crop_size(max(float(np.linalg.norm(o[0] - o[1])) for o in own), scale, mult)
    wins, ds = [], []
    for frame, m_crop, lm in zip(frames, m_crops, own):
        m_own = _crop_transform(lm, Sw, scale)
        wins.append(_warp(frame, m_own, (Sw, Sw), cv2.INTER_CUBIC, cv2.BORDER_REFLECT101))
        ds.append(m_own[:, 2] - m_crop[:, 2])
    f, c, _, _ = flow_pair(*wins)
    dn, dk = ds
    m = np.array([[1.0, 0.0, dn[0]], [0.0, 1.0, dn[1]]])  # crop pixel -> window pixel
    f = cv2.warpAffine(f, m, (S, S), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    c = cv2.warpAffine(c, m, (S, S), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    f += (dn - dk).astype(np.float32)
    return f, c


def render_faces(lr: list[np.ndarray], up: np.ndarray, dets: list[list[Detection] | None],
                 centre: int, restorer, p: FaceParams, want_debug: bool = False, want_layer: bool = True,
                 flows=None) -> dict:
    """Composite, face layer and alpha for the centre frame.

    Args:
        lr: low-resolution RGB frames of the window (float32 [0, 1]); the restored detail of every
            one of them is fused into frame n's.
        up: the upscaled centre frame ``(H, W, 3)``.
        dets: detections per window position (None across a scene cut).
        centre: index of frame n.
        restorer: callable crop -> restored crop, with attribute ``scale``.
        flows: :func:`flow.flow_pair` (the default) or its cache, :class:`flow.FlowPairCache`,
            which a render then computes each pair of frames' flow once with (:func:`_crop_flow`).
    Returns:
        dict with ``composite``, ``layer`` (RGB) and ``alpha`` ``(H, W)`` (both None unless
        ``want_layer``), ``tracks`` (debug info) and, with ``want_debug``, ``debug``.
    """
    H, W = up.shape[:2]
    h, w = lr[centre].shape[:2]
    sx, sy = W / w, H / h
    scale = int(restorer.scale)
    sigma_t = 0.5 + 2.5 * p.stability
    out = up.copy()
    layer = np.zeros_like(up) if want_layer else None  # two full frames, only for layer/mask output
    alpha_all = np.zeros((H, W), np.float32) if want_layer else None
    info = []
    for tid, track in enumerate(build_tracks(dets, centre)):
        lm = smooth(track, centre, sigma_t)
        eye = float(np.linalg.norm(lm[0] - lm[1]))
        fade = presence(track, centre) * _smoothstep((eye - p.min_eye) / (0.5 * p.min_eye))
        info.append((tid, lm, fade))
        if fade <= 0:
            continue
        S = _crop_size(eye, scale, p.crop_multiple)
        R = S * scale
        m_lr, m_up, mask = _geometry(lm, S, scale, sx, sy)
        rows, cols = np.flatnonzero(mask.max(1) > 0), np.flatnonzero(mask.max(0) > 0)
        if not len(rows):
            continue
        # the fusion works on the mask's bounding rectangle only (with the paste's interpolation reach)
        r0, r1 = max(0, rows[0] - MASK_MARGIN), min(R, rows[-1] + 1 + MASK_MARGIN)
        c0, c1 = max(0, cols[0] - MASK_MARGIN), min(R, cols[-1] + 1 + MASK_MARGIN)
        sub, origin = (slice(r0, r1), slice(c0, c1)), (int(c0), int(r0))
        crop = _warp(lr[centre], m_lr, (S, S), cv2.INTER_CUBIC, cv2.BORDER_REFLECT101)
        sig = BAND_SIGMA_LR * max(scale, 2)
        # the upscale only where it is read: `sub` and around it the coarse band's blur reach and
        # the paste's (two frame pixels and the bicubic's two, in crop pixels)
        per_px = float(np.abs(m_up[:, :2]).sum(1).max())  # crop pixels per frame pixel, at most
        pad = max(lowpass_reach(sig), int(np.ceil(2 * per_px)) + 3)
        e0, e1 = max(0, r0 - pad), min(R, r1 + pad)
        f0, f1 = max(0, c0 - pad), min(R, c1 + pad)
        m_rect = m_up - np.array([[0.0, 0.0, f0], [0.0, 0.0, e0]])  # upscaled frame -> that rectangle
        up_r = _warp(up, m_rect, (f1 - f0, e1 - e0), cv2.INTER_CUBIC, cv2.BORDER_REFLECT101)
        inner = (slice(r0 - e0, r1 - e0), slice(c0 - f0, c1 - f0))  # `sub` on it
        coarse = lowpass(up_r, sig)[inner]
        # frame n's restored detail; the upscale's own where a misplaced detection left it short
        own_n = _own_landmarks(track, centre, lm)
        num = _detail_at(*_own_detail(restorer, lr[centre], crop, own_n, m_lr, sig, p),
                         sub, up_r[inner] - coarse)
        den = np.ones((r1 - r0, c1 - c0, 1), np.float32)
        w_n = neighbour_weight(p.stability)
        coarse_num = np.zeros_like(crop)
        coarse_den = np.ones(crop.shape[:2] + (1,), np.float32)
        if w_n > 0:
            crop_blurred = lowpass(crop, 0.7)  # for the photometric check, once per face
            for k in range(len(lr)):
                if k == centre or dets[k] is None:
                    continue
                if not any(abs(j - k) <= 1 for j in track.points):
                    continue
                lm_k = smooth(track, k, sigma_t)
                own_k = _own_landmarks(track, k, lm_k)
                # a x1 restorer restores crop_k itself: aligned from frame k's own detection, it is
                # the same crop whichever frame is rendered (and so restored once, then cached)
                m_k = _crop_transform(own_k if scale == 1 else lm_k, S, scale)
                crop_k = _warp(lr[k], m_k, (S, S), cv2.INTER_CUBIC, cv2.BORDER_REFLECT101)
                f, c = _crop_flow(flows or flowlib.flow_pair, (lr[centre], lr[k]), (crop, crop_k), (m_lr, m_k),
                                  (own_n, own_k), scale, p.crop_multiple)
                crop_k_on_n = flowlib.backward_warp(crop_k, f)
                wk = c * agreement(crop, crop_k_on_n, 0.05, crop_blurred) * w_n
                if not np.any(wk > 1e-3):
                    continue
                if COARSE_TOLERANCE > 0:
                    d_c = lowpass(crop_k_on_n - crop, BAND_SIGMA_LR)
                    g = wk * np.exp(-(np.abs(d_c).mean(-1) / COARSE_TOLERANCE) ** 2)
                    coarse_num += g[..., None] * d_c
                    coarse_den += g[..., None]
                d_k = _own_detail(restorer, lr[k], crop_k, own_k, m_k, sig, p)
                f_r = flowlib.upscale_flow(f, R / S, (R, R), sub)
                wr = flowlib.upscale_map(wk, (R, R), sub)
                pulled, valid = _pull_detail(*d_k, f_r, origin, (f.min((0, 1)) * (R / S), f.max((0, 1)) * (R / S)))
                if valid is not None:
                    wr = wr * valid
                num += np.multiply(pulled, wr[..., None], out=pulled)
                den += wr[..., None]
        if COARSE_TOLERANCE > 0 and w_n > 0:
            coarse += flowlib.resize_region(coarse_num / coarse_den, (R, R), sub)
        face = up_r  # outside `sub` only for the paste's interpolation, never blended
        face[inner] = np.clip(coarse + num / den, 0, 1)
        a = mask[e0:e1, f0:f1] * np.float32(p.strength * fade)
        inv = cv2.invertAffineTransform(m_up)
        # paste only inside the mask's bounding rectangle, in the upscaled frame
        corners = np.array([[c0, r0, 1], [c1, r0, 1], [c0, r1, 1], [c1, r1, 1]], np.float64) @ inv.T
        x0, y0 = np.floor(corners.min(0)).astype(int) - 2
        x1, y1 = np.ceil(corners.max(0)).astype(int) + 2
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
        if x1 <= x0 or y1 <= y0:
            continue
        m_box = m_rect.copy()  # box pixel -> pixel of the rectangle around `sub`
        m_box[:, 2] += m_up[:, :2] @ np.array([x0, y0], np.float64)
        bw, bh = x1 - x0, y1 - y0
        face_b = np.clip(_warp(face, m_box, (bw, bh), cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                               cv2.BORDER_REPLICATE), 0, 1)
        a_b = _warp(a, m_box, (bw, bh), cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                    cv2.BORDER_CONSTANT)[..., None]
        if want_layer:
            lay = layer[y0:y1, x0:x1]
            al = alpha_all[y0:y1, x0:x1][..., None]
            new_alpha = al + a_b * (1 - al)
            layer[y0:y1, x0:x1] = np.where(new_alpha > 0, (lay * al * (1 - a_b) + face_b * a_b)
                                           / np.maximum(new_alpha, 1e-6), 0)
            alpha_all[y0:y1, x0:x1] = new_alpha[..., 0]
        region = out[y0:y1, x0:x1]  # region + (face - region) alpha, in place
        region += np.multiply(np.subtract(face_b, region, out=face_b), a_b, out=face_b)
    res = {"composite": out, "layer": layer, "alpha": alpha_all, "tracks": info}
    if want_debug:
        res["debug"] = draw_debug(up, dets[centre] or [], info, sx, sy)
    return res


def draw_debug(up: np.ndarray, raw: list[Detection], tracks, sx: float, sy: float) -> np.ndarray:
    """Raw boxes (thin grey), smoothed landmarks (green dots) and track ids on the upscaled frame."""
    img = np.ascontiguousarray((np.clip(up, 0, 1) * 255).astype(np.uint8))
    t = max(1, int(round(img.shape[1] / 960)))
    for d in raw:
        x, y, bw, bh = d.box
        p0 = scale_points(np.array([[x, y]]), sx, sy)[0].astype(int)
        p1 = scale_points(np.array([[x + bw, y + bh]]), sx, sy)[0].astype(int)
        cv2.rectangle(img, tuple(int(v) for v in p0), tuple(int(v) for v in p1), (200, 200, 200), t)
    for tid, lm, fade in tracks:
        pts = scale_points(lm, sx, sy)
        for q in pts:
            cv2.circle(img, (int(q[0]), int(q[1])), 2 * t + 1, (0, 255, 0), -1)
        cv2.putText(img, f"#{tid} {fade:.2f}", (int(pts[0][0]), int(pts[0][1]) - 10 * t),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5 * t, (255, 255, 0), t, cv2.LINE_AA)
    return img.astype(np.float32) / 255.0
