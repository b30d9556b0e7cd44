"""BT.709 luma, the one definition: what the flow, the fusion's detail measures and the scene
detector see of a frame. (The benchmark's studio-swing BT.601 Y is a metric, in :mod:`.metrics`.)"""

from __future__ import annotations

import numpy as np

#: BT.709 R, G, B weights of luma
BT709 = (0.2126, 0.7152, 0.0722)


def bt709(r: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Luma of R, G, B planes (any shapes that broadcast)."""
    return r * BT709[0] + g * BT709[1] + b * BT709[2]


def vs_expr() -> str:
    """The same luma as a VapourSynth ``std.Expr`` over the R, G, B planes (x, y, z)."""
    return f"x {BT709[0]} * y {BT709[1]} * + z {BT709[2]} * +"
