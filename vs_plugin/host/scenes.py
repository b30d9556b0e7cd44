"""Scene-change props (``_SceneChangePrev`` / ``_SceneChangeNext``) for clips that lack them."""

from __future__ import annotations

import vapoursynth as vs

from ..core import luma
from . import props as colour_props
from .colour import to_rgbs
from .errors import check_clip, fail
from .window import shifted

core = vs.core


def scene_changes(clip: vs.VideoNode, threshold: float = 0.3, ratio: float = 1.5,
                  min_diff: float = 0.04, force: bool = False) -> vs.VideoNode:
    """Flag a cut between frames n-1 and n where their mean absolute luma difference ``d[n]``
    exceeds ``threshold``, or stands out from its neighbours: ``d[n] > ratio * max(d[n-1],
    d[n+1])`` and ``d[n] > min_diff`` (so steady fast motion is not a cut).

    Works on a 160-px-wide grey copy. A clip whose frame 0 already carries scene-change props
    is returned unchanged unless ``force``. Frame n depends on frames n-2..n+2 only.
    """
    func = "scene_changes"
    check_clip(func, clip)
    if not 0.0 < threshold <= 1.0:
        raise fail(func, f"threshold must be in (0, 1], got {threshold!r}")
    if not force:
        p = clip.get_frame(0).props
        if "_SceneChangePrev" in p or "_SceneChangeNext" in p:
            return clip
    spec = colour_props.resolve(clip, func)
    w = min(160, clip.width)
    h = max(2, round(clip.height * w / clip.width / 2) * 2)
    rgb = core.resize.Bilinear(to_rgbs(clip, spec), w, h)
    grey = core.std.Expr(core.std.SplitPlanes(rgb), luma.vs_expr(),
                         format=vs.GRAYS)
    diff_prev = core.std.PlaneStats(grey, shifted(grey, -1))  # frame 0 compares with frame 1
    last = clip.num_frames - 1
    # d[k] for k = n-1 .. n+2 (mirrored at the ends, masked below)
    diffs = [shifted(diff_prev, k) for k in (-1, 0, 1, 2)]

    def is_cut(k: int, d: dict[int, float]) -> bool:
        """Cut between k-1 and k, given d over k-1..k+1 where defined."""
        if not 1 <= k <= last:
            return False
        x = d[k]
        around = [d[j] for j in (k - 1, k + 1) if 1 <= j <= last]
        return x > threshold or (x > min_diff and x > ratio * max(around, default=0.0))

    def mark(n: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        d = {n - 1 + i: float(f[1 + i].props["PlaneStatsDiff"]) for i in range(4)}
        fout = f[0].copy()
        fout.props["_SceneChangePrev"] = int(is_cut(n, d))
        fout.props["_SceneChangeNext"] = int(is_cut(n + 1, d))
        return fout

    return core.std.ModifyFrame(clip, [clip] + diffs, mark)
