"""Interlaced sources (DVD, broadcast, camcorders) turned into progressive frames before any
upscaling: woven fields upscaled as one picture smear their combing into detail.

The work is done by bwdif (the BobWeaver deinterlacer, vapoursynth-bwdif): motion-adaptive,
edge-directed, fast on a CPU. ``bob`` gives one frame per field (59.94p from 29.97i: the motion
the camera recorded), ``same-rate`` one frame per frame, ``auto`` bobs what the source's field
props say is interlaced, or what is visibly combed where the props say progressive (a few frames
sampled at graph build, :mod:`..core.combing`), and leaves progressive sources alone. ``ivtc``
undoes 3:2 pulldown (film at 23.976 telecined to 29.97i) with VIVTC's field matcher and
decimator (vapoursynth-vivtc): the original film frames come back whole, at the film's rate;
frames the matcher cannot fix (edits, mixed content) are deinterlaced with bwdif.
"""

from __future__ import annotations

import logging

import numpy as np
import vapoursynth as vs

from .errors import check_clip, fail

log = logging.getLogger("steadyscale.deinterlace")

MODES = ("auto", "bob", "same-rate", "ivtc", "off")
#: frames sampled by the combing check (spread over the clip)
COMB_SAMPLES = 5


def field_order(clip: vs.VideoNode) -> int:
    """``_FieldBased`` of frame 0: 0 progressive (or unknown), 1 bottom field first, 2 top first."""
    return int(clip.get_frame(0).props.get("_FieldBased", 0))


def combed(clip: vs.VideoNode) -> bool:
    """Whether ``clip`` (YUV or GRAY) looks woven from fields, on a few frames spread over it."""
    from ..core.combing import comb_ratio, looks_combed
    n = clip.num_frames
    picks = sorted({int(i * (n - 1) / max(1, COMB_SAMPLES - 1)) for i in range(min(n, COMB_SAMPLES))})
    return looks_combed([comb_ratio(np.asarray(clip.get_frame(i)[0])) for i in picks])


def deinterlace(clip: vs.VideoNode, mode: str = "auto", tff: bool | None = None) -> vs.VideoNode:
    """Progressive frames from ``clip``: ``mode`` ``auto`` | ``bob`` | ``same-rate`` | ``ivtc`` | ``off``.

    ``tff``: top field first; default from the source's ``_FieldBased`` (top first when the
    props do not say, as on DVD and most HD broadcasts). Raises ``vs.Error`` at graph build for
    a bad mode or a missing plugin.
    """
    func = "deinterlace"
    check_clip(func, clip)
    if mode not in MODES:
        raise fail(func, f"mode must be one of {', '.join(repr(m) for m in MODES)}, got {mode!r}")
    order = field_order(clip)
    if mode == "off":
        return clip
    top = tff if tff is not None else order != 1
    if mode == "auto" and order not in (1, 2):
        if clip.format.color_family == vs.RGB or not combed(clip):  # RGB: image sequences, renders
            return clip
        log.warning("steadyscale.deinterlace: the frames look combed although the source says progressive; "
                    "deinterlacing them, %s field first (--deinterlace off keeps them as they are)",
                    "top" if top else "bottom")
    if not hasattr(vs.core, "bwdif"):
        raise fail(func, "deinterlacing needs vapoursynth-bwdif (pip install vapoursynth-bwdif)")
    if mode == "ivtc":
        return _ivtc(clip, top)
    bob = mode in ("auto", "bob")
    log.info("steadyscale.deinterlace: %s, %s field first", "bob (one frame per field)" if bob else "same rate",
             "top" if top else "bottom")
    out = vs.core.bwdif.Bwdif(clip, field=(2 if bob else 0) + int(top))
    return vs.core.std.SetFrameProps(out, _FieldBased=0)


def _ivtc(clip: vs.VideoNode, top: bool) -> vs.VideoNode:
    """Film frames back from 3:2 pulldown: match fields into whole frames, drop the one
    duplicate in every five (29.97 -> 23.976), bwdif for frames no match makes whole."""
    if not hasattr(vs.core, "vivtc"):
        raise fail("deinterlace", "mode='ivtc' needs vapoursynth-vivtc (pip install vapoursynth-vivtc)")
    log.info("steadyscale.deinterlace: inverse telecine, %s field first", "top" if top else "bottom")
    matched = vs.core.vivtc.VFM(clip, order=int(top))
    fallback = vs.core.bwdif.Bwdif(clip, field=int(top))  # same rate: frame n's own instant
    choose = {0: matched, 1: fallback}  # by VFM's verdict on frame n; a prop read, no get_frame
    fixed = vs.core.std.FrameEval(matched, lambda n, f: choose[int(f.props.get("_Combed", 0))], prop_src=matched)
    return vs.core.std.SetFrameProps(vs.core.vivtc.VDecimate(fixed), _FieldBased=0)
