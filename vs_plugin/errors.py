"""steadyscale's error family. Everything it raises on purpose is a :class:`SteadyscaleException`:
:class:`SteadyscaleError` for a bad argument or input (the pure layers' one error type; the
VapourSynth host re-raises it as ``vs.Error``), and the runtime failures of the outer layers
(``EncodeError``, ``DownloadError``, ``RenderError``). The command line shows these as one line
(``-v`` adds the traceback); anything else is a bug and keeps its traceback."""

from __future__ import annotations


class SteadyscaleException(Exception):
    """Every error steadyscale raises on purpose."""


class SteadyscaleError(SteadyscaleException, ValueError):
    """A bad argument or input, worded ``steadyscale.<function>: <problem>``."""

    def __init__(self, func: str, message: str):
        self.func, self.message = func, message
        super().__init__(f"steadyscale.{func}: {message}")


def first_line(e: BaseException) -> str:
    """The first line of an error that says something. VapourSynth words an exception raised
    inside a frame callback as a newline, then the exception, then its traceback: its first
    line is empty, and the useful one is the last line of that traceback."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    if not lines:
        return type(e).__name__
    if lines[0].startswith("Traceback") or str(e).startswith("\n"):
        for line in reversed(lines):  # "vapoursynth.Error: steadyscale.source: ..." or "ValueError: ..."
            head, sep, rest = line.partition(": ")
            if sep and (head.endswith("Error") or head.endswith("Exception")) and " " not in head:
                return rest
    return lines[0]
