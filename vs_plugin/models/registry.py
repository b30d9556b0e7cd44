"""Look up built-in models by name and load their weights, verified by sha256."""

from __future__ import annotations

import torch
from safetensors.torch import load_file

from ..core.digest import sha256_file
from ..core.vsr_net import FlowVSR
from .manifest import ModelDescriptor, load_manifest

ARCHITECTURES = {"FlowVSR": FlowVSR}



def builtin_models() -> dict[str, ModelDescriptor]:
    return load_manifest()


def get_descriptor(name: str) -> ModelDescriptor:
    models = builtin_models()
    if name not in models:
        known = ", ".join(models) or "(none shipped yet)"
        raise KeyError(f"unknown built-in model {name!r}; known: {known}")
    return models[name]


def load_builtin(desc: ModelDescriptor) -> torch.nn.Module:
    """Build the architecture, verify the file's sha256, load weights strictly, eval mode."""
    if desc.architecture not in ARCHITECTURES:
        raise ValueError(f"model {desc.name!r}: unknown architecture {desc.architecture!r}; "
                         f"known: {', '.join(ARCHITECTURES)}")
    if not desc.path.exists():
        raise FileNotFoundError(f"model {desc.name!r}: weights file missing: {desc.path}")
    digest = sha256_file(desc.path)
    if digest != desc.sha256:
        raise ValueError(f"model {desc.name!r}: sha256 mismatch for {desc.path.name}: "
                         f"manifest says {desc.sha256}, file is {digest}")
    net = ARCHITECTURES[desc.architecture](**desc.arguments)
    net.load_state_dict(load_file(str(desc.path)), strict=True)
    return net.eval()


def pick_builtin(scale_needed: float, mode: str = "bicubic") -> ModelDescriptor | None:
    """The smallest built-in scale that reaches ``scale_needed`` (x2 for 1080p->UHD), else the
    largest (its pass is repeated); None when no built-in model is shipped."""
    cands = sorted((d for d in builtin_models().values()
                    if d.purpose == "video-sr" and d.degradation == mode), key=lambda d: d.scale)
    if not cands:
        return None
    for d in cands:
        if d.scale >= scale_needed - 1e-6:
            return d
    return cands[-1]
