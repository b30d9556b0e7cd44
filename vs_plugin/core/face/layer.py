"""Render the face layer of one frame: restore each tracked face, stabilise its detail over time,
and composite it over the upscaled frame.

Per face: the smoothed landmarks place a crop whose size matches the face's own resolution. A
x1 face restorer (GFPGAN, CodeFormer) gets it aligned to the FFHQ template; a super-resolution
restorer (the built-in one) gets an axis-aligned box of whole pixels, so its input and output
are never resampled (see :func:`_geometry`). The restored crop's fine-detail band is fused with
the restored crops of the neighbouring frames (aligned by DIS flow computed on the
*low-quality* crops). The coarse band comes from the upscaled background at frame n, so colour
can neither drift nor mismatch; only its codec flicker is averaged out: aligned neighbours
correct it where their coarse band agrees with frame n's to within ``COARSE_TOLERANCE`` (so the
correction is bounded by it, and an expression change, which differs by more, is never blended
in). A fixed feathered template-space mask, carried onto the crop with the smoothed transform
and multiplied by the track's fade, blends the face over the background.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .. import flow as flowlib
from ..fusion import agreement, lowpass, neighbour_weight
from .align import TEMPLATE_EYE_DISTANCE, face_mask, scale_points, to_aligned
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

#: frames either side of n whose restored detail is fused into frame n's (the default window
#: radius of face_layer(): three were measured steadier than two, on training identities)
FUSION_RADIUS = 3

#: tolerance of the coarse-band temporal average (RGB in [0, 1]): a neighbour's aligned coarse
#: band enters only where it differs from frame n's by about this or less (codec noise, not an
#: expression change); 0 switches the coarse band's averaging off.
COARSE_TOLERANCE = 0.02


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
    the neighbours by flow. A neighbour's box is placed from its own landmarks, so the crop of
    frame k is mostly the same whichever frame it is fused into (and its restoration cached)."""
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
    mask = cv2.warpAffine(face_mask(R), to_al, (R, R), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return m_lr, m_up, mask


def render_faces(lr: list[np.ndarray], up: np.ndarray, dets: list[list[Detection] | None],
                 centre: int, restorer, p: FaceParams, want_debug: bool = False) -> dict:
    """Composite, face layer and alpha for the centre frame.

    Args:
        lr: low-resolution RGB frames of the window (float32 [0, 1]).
        up: the upscaled centre frame ``(H, W, 3)``.
        dets: detections per window position (None across a scene cut).
        centre: index of frame n.
        restorer: callable crop -> restored crop, with attribute ``scale``.
    Returns:
        dict with ``composite``, ``layer`` (RGB), ``alpha`` ``(H, W)``, ``tracks`` (debug info).
    """
    H, W = up.shape[:2]
    h, w = lr[centre].shape[:2]
    sx, sy = W / w, H / h
    scale = int(restorer.scale)
    sigma_t = 0.5 + 2.5 * p.stability
    out = up.copy()
    layer = np.zeros_like(up)
    alpha_all = np.zeros((H, W), np.float32)
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
        crop = cv2.warpAffine(lr[centre], m_lr, (S, S), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)
        restored = restorer(np.clip(crop, 0, 1))
        up_al = cv2.warpAffine(up, m_up, (R, R), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)
        sig = BAND_SIGMA_LR * max(scale, 2)
        num = restored - lowpass(restored, sig)
        den = np.ones((R, R, 1), np.float32)
        w_n = neighbour_weight(p.stability)
        coarse_num = np.zeros_like(crop)
        coarse_den = np.ones(crop.shape[:2] + (1,), np.float32)
        if w_n > 0:
            crop_blurred = lowpass(crop, 0.7)  # for the photometric check, once per face
            for k in range(len(lr)):
                if k == centre or dets[k] is None or abs(k - centre) > FUSION_RADIUS:
                    continue
                if not any(abs(j - k) <= 1 for j in track.points):
                    continue
                crop_k = cv2.warpAffine(lr[k], _crop_transform(smooth(track, k, sigma_t), S, scale), (S, S),
                                        flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)
                f, c, _, _ = flowlib.flow_pair(crop, crop_k)
                crop_k_on_n = flowlib.backward_warp(crop_k, f)
                wk = c * agreement(crop, crop_k_on_n, 0.05, crop_blurred) * w_n
                if not np.any(wk > 1e-3):
                    continue
                if COARSE_TOLERANCE > 0:
                    d_c = lowpass(crop_k_on_n - crop, BAND_SIGMA_LR)
                    g = wk * np.exp(-(np.abs(d_c).mean(-1) / COARSE_TOLERANCE) ** 2)
                    coarse_num += g[..., None] * d_c
                    coarse_den += g[..., None]
                rest_k = restorer(np.clip(crop_k, 0, 1))
                f_r = flowlib.upscale_flow(f, R / S, (R, R))
                detail_k = rest_k - lowpass(rest_k, sig)
                wr = flowlib.upscale_map(wk, (R, R))[..., None]
                num += wr * flowlib.backward_warp(detail_k, f_r)
                den += wr
        coarse = lowpass(up_al, sig)
        if COARSE_TOLERANCE > 0 and w_n > 0:
            coarse += cv2.resize(coarse_num / coarse_den, (R, R), interpolation=cv2.INTER_LINEAR)
        face = np.clip(coarse + num / den, 0, 1)
        a = mask * (p.strength * fade)
        inv = cv2.invertAffineTransform(m_up)
        # paste only inside the face's bounding box in the upscaled frame
        corners = np.array([[0, 0, 1], [R, 0, 1], [0, R, 1], [R, R, 1]], np.float64) @ inv.T
        x0, y0 = np.floor(corners.min(0)).astype(int) - 2
        x1, y1 = np.ceil(corners.max(0)).astype(int) + 2
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
        if x1 <= x0 or y1 <= y0:
            continue
        m_box = m_up.copy()  # box pixel -> aligned crop pixel
        m_box[:, 2] += m_up[:, :2] @ np.array([x0, y0], np.float64)
        bw, bh = x1 - x0, y1 - y0
        face_b = cv2.warpAffine(face, m_box, (bw, bh), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_REPLICATE)
        a_b = cv2.warpAffine(a.astype(np.float32), m_box, (bw, bh), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)[..., None]
        region = out[y0:y1, x0:x1]
        out[y0:y1, x0:x1] = region * (1 - a_b) + np.clip(face_b, 0, 1) * a_b
        lay = layer[y0:y1, x0:x1]
        al = alpha_all[y0:y1, x0:x1][..., None]
        new_alpha = al + a_b * (1 - al)
        layer[y0:y1, x0:x1] = np.where(new_alpha > 0, (lay * al * (1 - a_b) + np.clip(face_b, 0, 1) * a_b)
                                       / np.maximum(new_alpha, 1e-6), 0)
        alpha_all[y0:y1, x0:x1] = new_alpha[..., 0]
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
