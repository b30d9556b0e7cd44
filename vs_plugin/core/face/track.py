"""Deterministic face tracks inside a window of frames, and centred landmark smoothing.

For frame n the detections of frames n-R..n+R are linked outward from n (landmark distance
relative to the eye distance, or box overlap); a face missed at n but found on both sides is
filled in. Landmarks are smoothed with a centred local-linear fit under Gaussian weights (no
causal filter: no lag on head turns; a constant-velocity motion is reproduced exactly).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .detect import Detection


@dataclass
class Track:
    """Landmarks of one face at the window positions where it was detected."""

    points: dict[int, np.ndarray] = field(default_factory=dict)  # position -> (5, 2)
    scores: dict[int, float] = field(default_factory=dict)

    def last(self, side: int, centre: int) -> np.ndarray:
        keys = [k for k in self.points if (k - centre) * side >= 0]
        return self.points[max(keys, key=lambda k: abs(k - centre))]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    (ax0, ay0), (ax1, ay1) = a.min(0), a.max(0)
    (bx0, by0), (bx1, by1) = b.min(0), b.max(0)
    iw, ih = max(0.0, min(ax1, bx1) - max(ax0, bx0)), max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def match_cost(a: np.ndarray, b: np.ndarray) -> float:
    """Mean landmark distance over the larger eye distance; >= 1 means "not the same face"."""
    eye = max(np.linalg.norm(a[0] - a[1]), np.linalg.norm(b[0] - b[1]), 1.0)
    d = float(np.mean(np.linalg.norm(a - b, axis=1)) / eye)
    return d if d < 0.6 or _iou(a, b) > 0.3 else 1.0


def _link(tracks: list[Track], dets: list[Detection], pos: int, side: int, centre: int) -> list[Detection]:
    """Greedy lowest-cost assignment of ``dets`` at ``pos`` to tracks; returns the unmatched."""
    pairs = sorted((match_cost(t.last(side, centre), d.landmarks), i, j)
                   for i, t in enumerate(tracks) for j, d in enumerate(dets))
    used_t, used_d = set(), set()
    for cost, i, j in pairs:
        if cost >= 1.0 or i in used_t or j in used_d:
            continue
        tracks[i].points[pos] = dets[j].landmarks
        tracks[i].scores[pos] = dets[j].score
        used_t.add(i)
        used_d.add(j)
    return [d for j, d in enumerate(dets) if j not in used_d]


def build_tracks(window: list[list[Detection] | None], centre: int, max_gap: int = 2) -> list[Track]:
    """Tracks of the faces present at ``centre`` (or missed there but found within ``max_gap``
    frames on both sides). ``window[i]`` is None where position i is across a scene cut."""
    tracks = [Track({centre: d.landmarks}, {centre: d.score}) for d in (window[centre] or [])]
    left_new: dict[int, list[Detection]] = {}
    right_new: dict[int, list[Detection]] = {}
    for side in (1, -1):
        pos = centre + side
        while 0 <= pos < len(window) and window[pos] is not None:
            rest = _link(tracks, window[pos], pos, side, centre) if tracks else list(window[pos])
            (right_new if side > 0 else left_new)[pos] = rest
            pos += side
    # gap filling: an unmatched face just before n and one just after n that agree
    for lp in range(centre - 1, max(-1, centre - 1 - max_gap), -1):
        for rp in range(centre + 1, min(len(window), centre + 1 + max_gap)):
            if (rp - lp - 1) > max_gap:
                continue
            for a in list(left_new.get(lp, [])):
                for b in list(right_new.get(rp, [])):
                    if match_cost(a.landmarks, b.landmarks) < 1.0:
                        t = Track({lp: a.landmarks, rp: b.landmarks}, {lp: a.score, rp: b.score})
                        left_new[lp].remove(a)
                        right_new[rp].remove(b)
                        for side, pool in ((1, right_new), (-1, left_new)):
                            pos = (rp if side > 0 else lp) + side
                            while pos in pool:
                                _link([t], pool[pos], pos, side, rp if side > 0 else lp)
                                pos += side
                        tracks.append(t)
                        break
    return sorted(tracks, key=lambda t: float(smooth(t, centre, 2.0)[:, 0].mean()))


def smooth(track: Track, at: int, sigma: float) -> np.ndarray:
    """Landmarks at window position ``at`` from a local-linear fit with Gaussian weights."""
    ks = np.array(sorted(track.points), np.float64)
    pts = np.stack([track.points[int(k)] for k in ks]).astype(np.float64)  # (m, 5, 2)
    if len(ks) == 1 or sigma <= 0:
        if sigma <= 0 and at in track.points:
            return track.points[at].astype(np.float64)
        return pts[np.argmin(np.abs(ks - at))]
    w = np.exp(-0.5 * ((ks - at) / sigma) ** 2)
    x = ks - at
    sw, swx, swxx = w.sum(), (w * x).sum(), (w * x * x).sum()
    det = sw * swxx - swx ** 2
    if det < 1e-9 * sw * sw:  # all support on one frame: weighted mean
        return np.tensordot(w / sw, pts, axes=1)
    # intercept of the weighted linear fit evaluated at x = 0
    coef = (swxx - swx * x) * w / det
    return np.tensordot(coef, pts, axes=1)


def presence(track: Track, at: int, reach: int = 2) -> float:
    """Fraction of positions within ``reach`` of ``at`` (inside the window) where the face was
    detected: fades a face in and out over a few frames instead of popping."""
    near = range(at - reach, at + reach + 1)
    return sum(1 for k in near if k in track.points) / len(near)
