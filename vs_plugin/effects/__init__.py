"""Effect descriptors (OpenFX-style): clips, typed parameters, frame windows, renders.

The descriptors are the single source for argument validation in the VapourSynth functions,
for CLI options, for preset validation and for the parameter tables in ``docs/``.
"""

from .descriptor import ClipSpec, Effect, Param, Window
from .registry import EFFECTS, get_effect, register

__all__ = ["ClipSpec", "Effect", "Param", "Window", "EFFECTS", "get_effect", "register"]
