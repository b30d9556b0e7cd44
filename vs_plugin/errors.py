"""The one error type of the pure layers; the VapourSynth host re-raises it as ``vs.Error``."""

from __future__ import annotations


class SteadyscaleError(ValueError):
    """A bad argument or input, worded ``steadyscale.<function>: <problem>``."""

    def __init__(self, func: str, message: str):
        self.func, self.message = func, message
        super().__init__(f"steadyscale.{func}: {message}")
