"""Descriptors of ``detect_faces()`` and ``face_layer()``, and the props that carry faces."""

from __future__ import annotations

import numpy as np

from ..core.face.detect import Detection
from .descriptor import ClipSpec, Effect, Param
from .registry import register

# frame props written by detect_faces(): count, then flat float arrays per face
P_COUNT, P_BOXES, P_LANDMARKS, P_SCORES = ("SteadyscaleFaceCount", "SteadyscaleFaceBoxes",
                                           "SteadyscaleFaceLandmarks", "SteadyscaleFaceScores")
FACE_PROPS = (P_COUNT, P_BOXES, P_LANDMARKS, P_SCORES)

DETECT_FACES = register(Effect(
    identifier="steadyscale.detect_faces", label="Detect faces", version="1.0",
    doc="Per-frame face detection into frame props (boxes, 5 landmarks, scores).",
    clips=(ClipSpec("clip", "input clip"),),
    params=(Param("detector", "choice", "auto", "'yunet' (needs its model file), 'haar' or 'auto'",
                  choices=("auto", "yunet", "haar")),
            Param("min_score", "float", 0.7, "YuNet score threshold", min=0.05, max=1.0)),
))

FACE_LAYER = register(Effect(
    identifier="steadyscale.face_layer", label="Face layer", version="1.0",
    doc="Faces as their own layer: detect, track, align, restore, stabilise, composite over `up`.",
    clips=(ClipSpec("clip", "low-resolution source (with face props)", radius="radius"),
           ClipSpec("up", "the upscaled background (same frames, same framing)")),
    params=(
        Param("model", "str", "builtin", "'builtin' face model, or a GFPGAN/CodeFormer/RestoreFormer or SR file"),
        Param("strength", "float", 1.0, "faithful (0: the upscaled face) to restorative (1: the restored face in full)",
              min=0.0, max=1.0),
        Param("stability", "float", 0.7, "temporal smoothing of geometry and detail", min=0.0, max=1.0),
        Param("detector", "choice", "auto", "'yunet', 'haar' or 'auto'", choices=("auto", "yunet", "haar")),
        Param("output", "choice", "composite", "composite | layer (RGB, alpha in the _Alpha prop) | mask | debug",
              choices=("composite", "layer", "mask", "debug")),
        Param("radius", "int", 3, "frames on each side used for tracking, smoothing and the fusion of the "
              "restored detail (more: steadier faces, slower)", min=1, max=8),
        Param("min_eye", "float", 6.0, "skip faces whose eye distance (source pixels) is smaller", min=1.0, max=200.0),
        Param("device", "str", "auto", "'auto', 'cpu', 'cuda' or 'cuda:N'"),
        Param("fidelity", "float", 0.5, "CodeFormer fidelity weight (0 = quality, 1 = fidelity)", min=0.0, max=1.0),
    ),
))


def faces_to_props(dets: list[Detection]) -> dict:
    props: dict = {P_COUNT: len(dets)}
    if dets:
        props[P_BOXES] = [float(v) for d in dets for v in d.box]
        props[P_LANDMARKS] = [float(v) for d in dets for v in d.landmarks.reshape(-1)]
        props[P_SCORES] = [float(d.score) for d in dets]
    return props


def faces_from_props(props) -> list[Detection]:
    n = int(props.get(P_COUNT, 0))
    if not n:
        return []
    boxes = np.asarray(props[P_BOXES], np.float32).reshape(n, 4)
    lms = np.asarray(props[P_LANDMARKS], np.float32).reshape(n, 5, 2)
    scores = np.asarray(props[P_SCORES], np.float32).reshape(n)
    return [Detection(tuple(float(v) for v in boxes[i]), lms[i], float(scores[i])) for i in range(n)]
