"""What an effect is: a frozen description of its clips, parameters, window and render."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import SteadyscaleError

_KINDS = ("int", "float", "bool", "choice", "str", "size")


@dataclass(frozen=True)
class Param:
    """One typed parameter.

    ``kind``: ``int``/``float`` (with optional ``min``/``max``), ``bool``, ``choice`` (one of
    ``choices``), ``str`` (free text, e.g. a model name or path) or ``size`` (``(w, h)`` of
    positive ints, or one of ``choices`` such as ``"auto"``). ``nullable`` admits ``None``.
    """

    name: str
    kind: str
    default: Any
    doc: str
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    nullable: bool = False

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"Param {self.name}: kind must be one of {_KINDS}, got {self.kind!r}")

    def allowed(self) -> str:
        """Human description of the allowed values, used in errors and docs."""
        none = " or None" if self.nullable else ""
        if self.kind in ("int", "float"):
            lo = "-inf" if self.min is None else f"{self.min:g}"
            hi = "inf" if self.max is None else f"{self.max:g}"
            return f"{'an integer' if self.kind == 'int' else 'a number'} in [{lo}, {hi}]{none}"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices) + none
        if self.kind == "size":
            extra = "".join(f" or {c!r}" for c in self.choices)
            return f"(width, height) of positive integers{extra}{none}"
        if self.kind == "bool":
            return "True or False"
        return f"a string{none}"

    def check(self, func: str, value: Any) -> Any:
        """Return ``value`` normalised, or raise :class:`SteadyscaleError` naming the problem."""
        bad = SteadyscaleError(func, f"{self.name} must be {self.allowed()}, got {value!r}")
        if value is None:
            if self.nullable:
                return None
            raise bad
        if self.kind == "bool":
            if isinstance(value, (bool, np.bool_)) or value in (0, 1):
                return bool(value)
            raise bad
        if self.kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise bad
            if self.kind == "int":
                if float(value) != int(value):
                    raise bad
                value = int(value)
            else:
                value = float(value)
                if not math.isfinite(value):
                    raise bad
            if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
                raise bad
            return value
        if self.kind == "choice":
            if isinstance(value, str) and value.lower() in self.choices:
                return value.lower()
            raise bad
        if self.kind == "size":
            if isinstance(value, str) and value.lower() in self.choices:
                return value.lower()
            if (isinstance(value, (tuple, list)) and len(value) == 2
                    and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in value)):
                return (int(value[0]), int(value[1]))
            raise bad
        if not isinstance(value, str):
            raise bad
        return value


@dataclass(frozen=True)
class ClipSpec:
    """An input clip; ``radius`` names the parameter giving its window n-r..n+r (None: frame n)."""

    name: str
    doc: str
    radius: str | None = None
    fixed_radius: int = 0


@dataclass
class Window:
    """What a render of frame ``n`` receives.

    ``frames[clip][i]`` is the float32 array of window position ``i`` (offset ``i - r``), RGB
    ``(H, W, 3)`` in [0, 1]; ``valid[clip][i]`` is False where that frame lies across a scene cut
    from ``n``. ``props`` are the centre frame's props of the first clip (read-only);
    ``all_props[clip][i]`` the props of every window frame (for effects that read props).
    """

    n: int
    frames: dict[str, list[np.ndarray]]
    valid: dict[str, list[bool]]
    props: Mapping[str, Any] = field(default_factory=dict)
    all_props: dict[str, list[dict]] = field(default_factory=dict)


@dataclass(frozen=True)
class Effect:
    """An effect: identifier, label, version, clips, parameters, window and render factory.

    ``make_render(params, info)`` is called once per node with validated parameters and a dict of
    clip facts (``width``, ``height``, ``num_frames``); it returns ``render(window) -> array``.
    ``None`` for effects the host implements natively (e.g. ``resize_to`` runs on zimg).
    """

    identifier: str
    label: str
    version: str
    doc: str
    clips: tuple[ClipSpec, ...]
    params: tuple[Param, ...]
    make_render: Callable[[dict, dict], Callable[[Window], np.ndarray]] | None = None

    @property
    def func(self) -> str:
        """Short function name used in error messages (``upscale`` for ``steadyscale.upscale``)."""
        return self.identifier.split(".", 1)[-1]

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def validate(self, values: Mapping[str, Any], *, unknown: str = "error", where: str = "") -> dict:
        """All parameters, defaults filled in, checked; unknown names are errors.

        ``where`` prefixes the message (e.g. a preset file) when values come from outside code.
        """
        names = {p.name for p in self.params}
        extra = sorted(set(values) - names)
        if extra and unknown == "error":
            known = ", ".join(sorted(names))
            raise SteadyscaleError(self.func, f"{where}unknown parameter {extra[0]!r}; known: {known}")
        out = {}
        for p in self.params:
            try:
                out[p.name] = p.check(self.func, values.get(p.name, p.default))
            except SteadyscaleError as e:
                if where:
                    raise SteadyscaleError(self.func, where + e.message) from None
                raise
        return out

    def radius(self, clip: ClipSpec, params: Mapping[str, Any]) -> int:
        return int(params[clip.radius]) if clip.radius else clip.fixed_radius

    def window(self, params: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
        """Frames needed for output frame n, per clip, as offsets ``(lo, hi)`` from n."""
        return {c.name: (-self.radius(c, params), self.radius(c, params)) for c in self.clips}

    def params_markdown(self) -> str:
        """The parameter table for ``docs/``."""
        rows = ["| parameter | default | allowed | what it does |", "| --- | --- | --- | --- |"]
        for p in self.params:
            rows.append(f"| `{p.name}` | `{p.default!r}` | {p.allowed()} | {p.doc} |")
        return "\n".join(rows)
