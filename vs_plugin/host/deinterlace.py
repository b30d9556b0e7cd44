"""Interlaced sources (DVD, broadcast, camcorders) turned into progressive frames before any
upscaling: woven fields upscaled as one picture smear their combing into detail.

The work is done by bwdif (the BobWeaver deinterlacer, vapoursynth-bwdif): motion-adaptive,
edge-directed, fast on a CPU. ``bob`` gives one frame per field (59.94p from 29.97i: the motion
the camera recorded), ``same-rate`` one frame per frame, ``auto`` bobs what the source's field
props say is interlaced and leaves progressive sources alone.
"""

from __future__ import annotations

import logging

import vapoursynth as vs

from .errors import check_clip, fail

log = logging.getLogger("steadyscale.deinterlace")

MODES = ("auto", "bob", "same-rate", "off")


def field_order(clip: vs.VideoNode) -> int:
    """``_FieldBased`` of frame 0: 0 progressive (or unknown), 1 bottom field first, 2 top first."""
    return int(clip.get_frame(0).props.get("_FieldBased", 0))


def deinterlace(clip: vs.VideoNode, mode: str = "auto", tff: bool | None = None) -> vs.VideoNode:
    """Progressive frames from ``clip``: ``mode`` ``auto`` | ``bob`` | ``same-rate`` | ``off``.

    ``tff``: top field first; default from the source's ``_FieldBased`` (top first when the
    props do not say, as on DVD and most HD broadcasts). Raises ``vs.Error`` at graph build for
    a bad mode or a missing plugin.
    """
    func = "deinterlace"
    check_clip(func, clip)
    if mode not in MODES:
        raise fail(func, f"mode must be one of {', '.join(repr(m) for m in MODES)}, got {mode!r}")
    order = field_order(clip)
    if mode == "off" or (mode == "auto" and order not in (1, 2)):
        return clip
    if not hasattr(vs.core, "bwdif"):
        raise fail(func, "deinterlacing needs vapoursynth-bwdif (pip install vapoursynth-bwdif)")
    top = tff if tff is not None else order != 1
    bob = mode in ("auto", "bob")
    log.info("steadyscale.deinterlace: %s, %s field first", "bob (one frame per field)" if bob else "same rate",
             "top" if top else "bottom")
    out = vs.core.bwdif.Bwdif(clip, field=(2 if bob else 0) + int(top))
    return vs.core.std.SetFrameProps(out, _FieldBased=0)
