"""The ordered registry of effects; duplicates raise, unknown names list the known ones."""

from __future__ import annotations

from .descriptor import Effect

EFFECTS: dict[str, Effect] = {}


def register(effect: Effect) -> Effect:
    """Add ``effect``; registering an identifier twice is a programming error."""
    if effect.identifier in EFFECTS:
        raise ValueError(f"effect {effect.identifier!r} is already registered")
    EFFECTS[effect.identifier] = effect
    return effect


def get_effect(name: str) -> Effect:
    """Look an effect up by identifier (``steadyscale.upscale``) or short name (``upscale``)."""
    key = name if "." in name else f"steadyscale.{name}"
    try:
        return EFFECTS[key]
    except KeyError:
        known = ", ".join(EFFECTS) or "(none)"
        raise KeyError(f"unknown effect {name!r}; known: {known}") from None
