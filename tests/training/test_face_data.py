"""Face restorer training crops: sub-pixel-shifted pairs for the consistency loss, crisp targets."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from vs_plugin.core import metrics
from vs_plugin.training.face_data import FaceCrops


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    d = tmp_path_factory.mktemp("faces")
    rng = np.random.default_rng(0)
    paths = []
    for i in range(2):  # sharp-edged shapes: upsampled, their edges spread and Sobel energy falls
        img = np.full((218, 178, 3), 0.5, np.float32)
        for _ in range(60):
            x, y = (int(v) for v in rng.integers(0, 178, 2))
            cv2.circle(img, (x, y), int(rng.integers(3, 20)), tuple(float(c) for c in rng.random(3)), -1)
        p = d / f"{i}.png"
        cv2.imwrite(str(p), (img * 255).astype(np.uint8))
        paths.append(p)
    return paths


def test_a_pair_is_the_same_face_moved_by_its_shift(photos):
    ds = FaceCrops(photos, 24, seed=3, realistic=0.0, real=True, min_downscale=1.15)
    shifts = set()
    for i in range(6):
        lr_a, hr_a, lr_b, hr_b, dx, dy = ds.pair(i)
        assert lr_a.shape == lr_b.shape == (3, 24, 24) and hr_a.shape == hr_b.shape == (3, 96, 96)
        assert torch.equal(hr_b[:, :92, :92], hr_a[:, dy:dy + 92, dx:dx + 92])
        shifts.add((dx, dy))
    assert len(shifts) > 1  # the shift varies, sub-pixel steps of the x4 input included


def test_min_downscale_gives_crisper_targets_than_upsampled_crops(photos):
    """Targets must not be photos enlarged to the target size: with ``min_downscale`` their edges
    are at least as sharp as the photos' own; the old crops (0.45-0.8 of a 178-px photo onto
    128 px) are mostly enlarged and softer than the photos."""
    native = np.mean([metrics.sobel_energy(cv2.imread(str(p))[40:178, 20:158].astype(np.float32)[..., ::-1] / 255)
                      for p in photos])
    energy = lambda ds: np.mean([metrics.sobel_energy(ds[i][3].numpy().transpose(1, 2, 0))  # noqa: E731
                                 for i in range(12)])
    old = energy(FaceCrops(photos, 32, seed=1, realistic=0.0, real=True))
    crisp = energy(FaceCrops(photos, 24, seed=1, realistic=0.0, real=True, min_downscale=1.15))
    assert crisp > native > old, (crisp, native, old)
