"""``detect_faces()`` and ``face_layer()`` as VapourSynth nodes."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import vapoursynth as vs

from ..core.face.detect import make_detector
from ..core.face.layer import FaceParams, render_faces
from ..core.face.restore_cache import RestorationCache
from ..core.flow import FlowPairCache
from ..effects.face import DETECT_FACES, FACE_LAYER, FACE_PROPS, P_COUNT, faces_from_props, faces_to_props
from ..models import backends, registry
from . import props as colour_props
from .colour import from_rgbs, to_rgbs
from .errors import as_vs_errors, check_clip, fail
from .node import effect_node, read_frame
from .scenes import scene_changes

core = vs.core
log = logging.getLogger("steadyscale.faces")


def detect_faces(clip: vs.VideoNode, detector: str = "auto", min_score: float = 0.7) -> vs.VideoNode:
    """``clip`` unchanged, with each frame's faces in props: ``SteadyscaleFaceCount``, and per face
    ``SteadyscaleFaceBoxes`` (x, y, w, h), ``SteadyscaleFaceLandmarks`` (5 x/y pairs: right eye,
    left eye, nose, right and left mouth corner) and ``SteadyscaleFaceScores``.

    ``detector='auto'`` uses YuNet when its model file is found (``$STEADYSCALE_MODELS``, the user
    model cache, ``models/`` or ``../shared/data/models``) and warns before falling back to
    OpenCV's Haar cascades.
    """
    func = "detect_faces"
    check_clip(func, clip)
    with as_vs_errors():
        p = DETECT_FACES.validate({"detector": detector, "min_score": min_score})
    try:
        det = make_detector(p["detector"])
    except FileNotFoundError as e:
        raise fail(func, str(e)) from None
    if hasattr(det, "score"):
        det.score = p["min_score"]
    rgb = to_rgbs(clip, colour_props.resolve(clip, func))

    def mark(n: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        img = np.clip(read_frame(f[1]), 0, 1)
        fout = f[0].copy()
        for k in FACE_PROPS:  # a re-detection replaces, never mixes with, earlier face props
            if k in fout.props:
                del fout.props[k]
        fout.props.update(faces_to_props(det(img)))
        fout.props["SteadyscaleFaceDetector"] = det.name
        return fout

    return core.std.ModifyFrame(clip, [clip, rgb], mark)


def _restorer(func: str, model, device: str, fidelity: float = 0.5):
    from ..models.device import resolve_device
    if not isinstance(model, str):
        if hasattr(model, "scale") and callable(model):
            return model
        raise fail(func, f"model must be 'builtin', a model file path or a restorer, got {model!r}")
    try:
        if model == "builtin":
            faces = [d for d in registry.builtin_models().values() if d.purpose == "face-sr"]
            if not faces:
                raise fail(func, "model='builtin' but no built-in face model is shipped in models/")
            # fp32 on the CPU: the face layer's published numbers are fp32; bf16 is not measured for it
            on_cpu = resolve_device(device).type == "cpu"
            return backends.builtin_backend(faces[0], device, "fp32" if on_cpu else "auto")
        if not Path(model).exists():  # a model added to or fetched into the store, by name
            from ..models.manager import find_in_store
            model = str(find_in_store(model) or model)
        return backends.face_backend(model, device, fidelity=fidelity)
    except ValueError as e:
        raise fail(func, f"model {model!r}: {e}") from None


def face_layer(src: vs.VideoNode, up: vs.VideoNode, model="builtin", strength: float = 1.0,
               stability: float = 0.7, detector: str = "auto", output: str = "composite",
               radius: int = 3, min_eye: float = 6.0, device: str = "auto",
               fidelity: float = 0.5) -> vs.VideoNode:
    """Restore faces of ``src`` as their own layer and composite them over ``up``.

    ``up`` must show the same frames as ``src``, scaled without cropping or padding (e.g.
    ``upscale(src, fit="contain")`` or ``"stretch"``). Frame n depends only on frames
    n-radius..n+radius of ``src`` and frame n of ``up``. ``output``: ``composite`` (``up``'s
    format), ``layer`` (RGBS face layer, its alpha as a GRAYS clip in the ``_Alpha`` prop),
    ``mask`` (GRAYS alpha) or ``debug`` (raw boxes, smoothed landmarks, track ids and fades).
    """
    func = "face_layer"
    check_clip(func, src, "src")
    check_clip(func, up, "up")
    with as_vs_errors():
        p = FACE_LAYER.validate(dict(model=model if isinstance(model, str) else "object", strength=strength,
                                     stability=stability, detector=detector, output=output, radius=radius,
                                     min_eye=min_eye, device=device, fidelity=fidelity))
    if src.num_frames != up.num_frames:
        raise fail(func, f"up has {up.num_frames} frames, src has {src.num_frames}; they must match")
    sx, sy = up.width / src.width, up.height / src.height
    if abs(sx - sy) > 0.02 * max(sx, sy):
        raise fail(func, f"up ({up.width}x{up.height}) is not src ({src.width}x{src.height}) scaled without "
                         "cropping or padding; upscale with fit='contain' or 'stretch' for the face layer")
    restorer = RestorationCache(_restorer(func, model, p["device"], p["fidelity"]))
    flows = FlowPairCache()  # the flows between face crops: each pair of frames once per render
    marked = src if P_COUNT in src.get_frame(0).props else detect_faces(src, p["detector"])
    src_rgb = scene_changes(to_rgbs(marked, colour_props.resolve(marked, func)))
    up_spec = colour_props.resolve(up, func)
    up_rgb = to_rgbs(up, up_spec)
    fp = FaceParams(strength=p["strength"], stability=p["stability"], min_eye=p["min_eye"])
    r, mode = p["radius"], p["output"]

    def render(win):
        dets = [faces_from_props(pr) if ok else None for pr, ok in zip(win.all_props["clip"], win.valid["clip"])]
        res = render_faces(win.frames["clip"], win.frames["up"][0], dets, r, restorer, fp,
                           want_debug=mode == "debug", want_layer=mode in ("layer", "mask"), flows=flows)
        if mode == "composite":
            return res["composite"]
        if mode == "debug":
            return res["debug"]
        a = res["alpha"][..., None]
        if mode == "mask":
            return np.repeat(a, 3, -1)
        return np.concatenate([res["layer"], np.repeat(a, 3, -1)], axis=0)

    h = up.height * (2 if mode == "layer" else 1)
    node = effect_node(FACE_LAYER, p, {"clip": src_rgb, "up": up_rgb}, up.width, h, render=render,
                       props_clips=("clip",), image_clips=("clip",))  # `up` passes untouched outside faces
    if mode in ("composite", "debug"):
        return from_rgbs(node, up.format, up_spec, up_spec)
    alpha = core.std.ShufflePlanes(core.std.Crop(node, top=up.height) if mode == "layer" else node, 0, vs.GRAY)
    if mode == "mask":
        return alpha
    layer = core.std.Crop(node, bottom=up.height)
    return core.std.ClipToProp(layer, alpha, prop="_Alpha")
