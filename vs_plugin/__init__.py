"""steadyscale: flow-aligned, temporally stable AI video upscaling for VapourSynth.

Public API (VapourSynth functions; every one validates at graph-build time and raises
``vapoursynth.Error`` with a ``steadyscale.<function>: ...`` message):

* :func:`resize_to` - exact-size, colour-correct resizing (the non-AI baseline).
* :func:`scene_changes` - set ``_SceneChangePrev/_SceneChangeNext`` props.
* :func:`upscale` - flow-aligned, temporally stable AI upscaling to an exact size.
* :func:`flow` / :func:`flow_view` - the optical-flow node and its colour-wheel picture.
* :func:`face_layer` / :func:`detect_faces` - faces as their own layer over ``upscale()``.
* :func:`deinterlace` - progressive frames from interlaced sources (bwdif), before ``upscale()``.
"""

from __future__ import annotations

import logging

from .effects import encode as _encode_descriptor  # noqa: F401 - registers the descriptor
from .host.deinterlace import deinterlace
from .host.face import detect_faces, face_layer
from .host.resize import resize_to
from .host.scenes import scene_changes
from .host.upscale import flow, flow_view, upscale

logging.getLogger("steadyscale").addHandler(logging.NullHandler())

__version__ = "0.1.0"
__all__ = ["upscale", "deinterlace", "face_layer", "detect_faces", "flow", "flow_view", "resize_to", "scene_changes",
           "__version__"]
