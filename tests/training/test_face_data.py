"""Face restorer training crops: sub-pixel-shifted pairs for the consistency loss, crisp and sharpened targets."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from vs_plugin.core import metrics
from vs_plugin.training.face_data import FaceCrops
from vs_plugin.training.sharpen import unsharp_target


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


def test_sharpened_targets_boost_edges_not_faint_grain_and_keep_the_input():
    """The unsharp-masked target adds overshoot at an edge (Sobel energy up), leaves contrast
    below the threshold (faint grain on flat skin) exactly as it was, and never changes the input
    the network is given."""
    img = np.full((64, 64, 3), 0.3, np.float32)
    img[:, 32:] = 0.7
    grain = (np.random.default_rng(0).standard_normal((64, 64, 1)) * 0.004).astype(np.float32)
    img = img + grain
    out = unsharp_target(img, 2.0, 0.8)
    assert metrics.sharpness(out, img) > 1.15
    assert out[:, 29:31].mean() < img[:, 29:31].mean() - 0.02  # dark side of the edge darker
    assert out[:, 33:35].mean() > img[:, 33:35].mean() + 0.02  # bright side brighter
    assert np.array_equal(out[:, :16], img[:, :16])  # far from the edge: grain untouched
    with pytest.raises(ValueError, match="unsharp_target: sigma must be > 0.*sigma=0"):
        unsharp_target(img, 0, 0.5)


def test_sharpen_changes_only_the_target_and_keeps_pairs_aligned(photos):
    plain = FaceCrops(photos, 24, seed=3, realistic=0.0, real=True, min_downscale=1.15)
    sharp = FaceCrops(photos, 24, seed=3, realistic=0.0, real=True, min_downscale=1.15, sharpen=(2.0, 0.8))
    a, b = plain[0], sharp[0]
    assert torch.equal(a[0], b[0])  # same degraded input
    assert metrics.sobel_energy(b[3].numpy().transpose(1, 2, 0)) > 1.1 * metrics.sobel_energy(
        a[3].numpy().transpose(1, 2, 0))
    _, hr_a, _, hr_b, dx, dy = sharp.pair(1)
    assert torch.equal(hr_b[:, :92, :92], hr_a[:, dy:dy + 92, dx:dx + 92])


def test_video_pairs_are_two_frames_of_one_clip_with_fresh_noise(tmp_path):
    """``pair(video=True)`` degrades the two crops as consecutive frames of one encoded clip: on
    a flat photo (where a shift changes nothing) one draw for both crops gives the same input
    twice, a video pair gives each frame its own noise; targets stay aligned, and a pair is the
    same bytes when drawn again."""
    p = tmp_path / "flat.png"
    cv2.imwrite(str(p), np.full((218, 178, 3), 128, np.uint8))
    ds = FaceCrops([p], 16, seed=5, realistic=1.0, real=True)
    same = [ds.pair(i) for i in range(12)]
    video = [ds.pair(i, video=True) for i in range(12)]
    assert all(torch.equal(a, b) for a, _, b, *_ in same)
    assert sum(not torch.equal(a, b) for a, _, b, *_ in video) >= 3
    for (lr_a, hr_a, lr_b, hr_b, dx, dy), again in zip(video, [ds.pair(i, video=True) for i in range(12)]):
        assert torch.equal(hr_b[:, :60, :60], hr_a[:, dy:dy + 60, dx:dx + 60])
        assert torch.equal(lr_a, again[0]) and torch.equal(lr_b, again[2])
