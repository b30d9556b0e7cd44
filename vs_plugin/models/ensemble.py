"""Geometric self-ensemble: a network run on the eight flips/transposes of its input, the
outputs mapped back and averaged (the "+" rows of SR papers, e.g. EDSR+).

Every input of a flow-aligned network is on frame n's grid (the neighbours are already warped
onto it), so one transform applied to all inputs keeps them aligned. Costs eight network runs;
the average is smoother than any single run and usually a little sharper where it matters.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

#: (transpose, flip width, flip height) of the eight symmetries of the square
TRANSFORMS = tuple((t, fx, fy) for t in (False, True) for fx in (False, True) for fy in (False, True))


def _forward(x: torch.Tensor | None, t: bool, fx: bool, fy: bool) -> torch.Tensor | None:
    if x is None:
        return None
    if t:
        x = x.transpose(-1, -2)
    if fx:
        x = x.flip(-1)
    if fy:
        x = x.flip(-2)
    return x


def _inverse(x: torch.Tensor, t: bool, fx: bool, fy: bool) -> torch.Tensor:
    if fy:
        x = x.flip(-2)
    if fx:
        x = x.flip(-1)
    if t:
        x = x.transpose(-1, -2)
    return x


def self_ensemble(run: Callable[..., torch.Tensor], *inputs: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``run`` over the eight symmetries of ``inputs`` (tensors ``(..., H, W)``, None
    passed through), each output mapped back to the original orientation."""
    acc = None
    for t, fx, fy in TRANSFORMS:
        out = _inverse(run(*(_forward(x, t, fx, fy) for x in inputs)), t, fx, fy)
        acc = out.float() if acc is None else acc.add_(out.float())
    return acc.div_(len(TRANSFORMS))
