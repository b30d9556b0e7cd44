"""Command-line options generated from the effect descriptors, so a flag's type, choices and
help are the parameter's own and cannot drift from the API, presets and docs.

``--name-with-dashes`` for parameter ``name_with_dashes``; every option defaults to None (the
preset's value, else the descriptor's default, applies), booleans get ``--x``/``--no-x``.
"""

from __future__ import annotations

import argparse

from ..effects.descriptor import Effect, Param

#: the upscale() parameters the command line sets (``size`` is --uhd/--dci; ``format`` follows --bits)
UPSCALE_FLAGS = ("width", "height", "fit", "model", "radius", "stability", "strength", "device", "precision",
                 "ensemble", "tile", "kernel", "flow_preset", "backend")
#: the encode parameters every graph-building command sets (``segment_frames`` is upscale's own)
ENCODE_FLAGS = ("encoder", "crf", "bits", "encoder_args", "audio_tracks", "subtitles")


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def parse_size(p: Param):
    """argparse type of a ``size`` parameter: ``WxH`` or one of its choices."""
    def parse(text: str):
        if text in p.choices:
            return text
        try:
            w, h = (int(x) for x in text.lower().split("x"))
        except ValueError:
            allowed = " or ".join(["WxH", *(repr(c) for c in p.choices)])
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
        return (w, h)
    parse.__name__ = "size"  # argparse names the type in its own messages
    return parse


def _help(p: Param) -> str:
    default = "none" if p.default is None else (p.default if p.kind != "bool" else ("on" if p.default else "off"))
    return f"{p.doc} (default: {default}, or the preset's)"


def add_effect_options(group, effect: Effect, names: tuple[str, ...]) -> None:
    """Add one option per parameter in ``names`` of ``effect`` to ``group``."""
    params = {p.name: p for p in effect.params}
    for name in names:
        p = params[name]  # a KeyError here is a flag list out of step with the descriptor
        kw: dict = {"dest": name, "default": None, "help": _help(p)}
        if p.kind == "bool":
            kw["action"] = argparse.BooleanOptionalAction
        elif p.kind == "choice":
            kw["choices"] = list(p.choices)
        elif p.kind == "size":
            kw.update(type=parse_size(p), metavar="WxH")
        else:
            kw["type"] = {"int": int, "float": float, "str": str}[p.kind]
            kw["metavar"] = {"int": "N", "float": "X", "str": "TEXT"}[p.kind]
        group.add_argument(flag(name), **kw)


def effect_values(args: argparse.Namespace, names: tuple[str, ...]) -> dict:
    """The parameters among ``names`` given on the command line."""
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
