"""Quality metrics the selection and evaluation scripts rely on."""

from __future__ import annotations

import numpy as np

from vs_plugin.app.sample import sample_photo
from vs_plugin.core import metrics


def test_subpixel_pattern_finds_a_four_pixel_grid_wherever_it_starts():
    photo = np.ascontiguousarray(sample_photo()[100:228, 150:278])
    plain = metrics.subpixel_pattern(photo)
    stripes = photo.copy()
    stripes[1::4] = np.clip(stripes[1::4] + 0.03, 0, 1)  # faint lines every 4 rows
    striped = metrics.subpixel_pattern(stripes)
    assert plain < 0.06 and striped > 1.5 * plain
    assert abs(metrics.subpixel_pattern(stripes[1:125, 3:127]) - striped) < 0.25 * striped  # another phase
    assert metrics.subpixel_pattern(np.full((64, 64, 3), 0.5, np.float32)) == 0.0  # flat: no detail, no pattern

