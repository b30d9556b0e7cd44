"""Which SR backend a ``model=`` value means: a built-in family, one shipped model by name, a
model from the user store, a file, or an object that already is a backend; and the device.

Pure layer: raises :class:`~vs_plugin.errors.SteadyscaleError` worded
``steadyscale.<func>: ...``, which the VapourSynth host re-raises as ``vs.Error``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ..errors import SteadyscaleError
from . import backends, registry

log = logging.getLogger("steadyscale.models")

#: built-in model families by the degradation they were trained for: ``builtin`` (the default)
#: restores real footage (blur, noise, x264/x265 compression, distilled from a teacher);
#: ``builtin-clean`` is the bicubic-trained family for clean sources (the Vid4/Set5 protocol)
BUILTIN_MODES = {"builtin": "real", "builtin-clean": "bicubic"}


def ensemble_needs_torch(func: str, model) -> SteadyscaleError:
    return SteadyscaleError(func, f"ensemble=True needs a torch model ('builtin' or a model file), got {model!r}")


def check_device(func: str, device: str) -> None:
    """``device`` is 'auto', 'cpu', 'cuda' or 'cuda:N' and exists here (checked at graph build)."""
    import torch
    if device in ("auto", "cpu"):
        return
    if not re.fullmatch(r"cuda(:\d+)?", device):
        raise SteadyscaleError(func, f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    if not torch.cuda.is_available():
        raise SteadyscaleError(func, f"device={device!r} but this machine has no usable CUDA device "
                                     "(torch.cuda.is_available() is False); use device='cpu' or 'auto'")
    index = int(device.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise SteadyscaleError(func, f"device={device!r} but this machine has {torch.cuda.device_count()} "
                                     "CUDA device(s)")


def choose_backend(func: str, model, scale_needed: float, device: str, precision: str, tile,
                   ensemble: bool = False):
    """The SR backend for ``model`` (an object with ``scale``/``frames``/``__call__`` is held to
    the backend contract by :class:`.backends.CallableSR`; the project's own backends are used as is)."""
    if not isinstance(model, str):
        if all(hasattr(model, a) for a in ("scale", "frames", "__call__")):
            if ensemble:
                raise ensemble_needs_torch(func, model)
            own = (backends.TorchSR, backends.LanczosSR, backends.CallableSR)
            return model if isinstance(model, own) else backends.CallableSR(model)
        raise SteadyscaleError(func, "model must be 'builtin', 'lanczos', a model file path or an SR backend, "
                                     f"got {model!r}")
    try:
        named = registry.builtin_models().get(model)
        if named is not None:  # one shipped model by its manifest name ('steadyscale models list')
            if named.purpose != "video-sr":
                raise SteadyscaleError(func, f"model {model!r} is a {named.purpose} model; use it with face_layer()")
            return backends.builtin_backend(named, device, precision, tile, ensemble=ensemble)
        if model in BUILTIN_MODES:
            desc = family_model(model, scale_needed)
            if desc is None:
                raise SteadyscaleError(func, f"model={model!r} but no such built-in model is shipped in models/; "
                                             f"use one of {', '.join(BUILTIN_MODES)}, 'lanczos' or a model file")
            return backends.builtin_backend(desc, device, precision, tile, ensemble=ensemble)
        if not Path(model).exists():  # a model added to or fetched into the store, by name
            from .manager import find_in_store
            model = str(find_in_store(model) or model)
        return backends.spandrel_backend(model, device, precision, tile, ensemble=ensemble)
    except SteadyscaleError:
        raise
    except ValueError as e:
        raise SteadyscaleError(func, f"model {model!r}: {e}") from None


def family_model(family: str, scale_needed: float):
    """The built-in model of ``family`` for a pass of ``scale_needed``: the family's smallest scale
    that reaches it; where that is twice the need or more (an x4 for a 1080p->UHD x2) and the
    clean family has a smaller one, that one (for a family without an x2 of its own: an x4 on
    1080p would run at 8K to throw three quarters away)."""
    desc = registry.pick_builtin(scale_needed, BUILTIN_MODES[family])
    if desc is not None and BUILTIN_MODES[family] != "bicubic" and desc.scale >= 2 * scale_needed:
        smaller = registry.pick_builtin(scale_needed, "bicubic")
        if smaller is not None and smaller.scale < desc.scale:
            log.info("steadyscale: model=%r has no x%d; using %s for this x%.2f pass", family, smaller.scale,
                     smaller.name, scale_needed)
            return smaller
    return desc


def next_backend(model, remaining: float, first, device: str, precision: str, ensemble: bool):
    """Backend of a further pass: for a built-in family the smallest scale that suffices."""
    if isinstance(model, str) and model in BUILTIN_MODES:
        desc = family_model(model, remaining) or registry.pick_builtin(remaining)
        if desc is not None and desc.scale != first.scale:
            return backends.builtin_backend(desc, device, precision, None, ensemble=ensemble)
    return first
