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



def _photo(h: int = 96, w: int = 128) -> np.ndarray:
    return np.ascontiguousarray(sample_photo()[150:150 + h, 150:150 + w]).astype(np.float32)


def test_psnr_follows_its_definition_and_caps_an_exact_match():
    a = np.full((8, 8, 3), 0.5, np.float32)
    b = a + 0.1  # mse 0.01 -> 20 dB at peak 1
    assert abs(metrics.psnr(b, a) - 20.0) < 1e-4
    assert metrics.psnr(a, a) == 120.0 and metrics.psnr_from_mse(0.0, 255.0) == 120.0
    assert abs(metrics.psnr_from_mse(1.0, 255.0) - 48.1308) < 1e-3


def test_y_psnr_uses_studio_luma_rounded_as_the_vsr_protocol():
    assert metrics.y_bt601(np.zeros((1, 1, 3)))[0, 0] == 16.0
    assert abs(metrics.y_bt601(np.ones((1, 1, 3)))[0, 0] - 235.0) < 1e-9
    ref = _photo()
    out = ref.copy()
    out[..., 1] += 2 / 255 / 0.502  # G moves luma by 128.553 * 2 / 255 / 0.502 ~ 2 levels
    yd = np.round(metrics.y_bt601(np.clip(out, 0, 1))) - np.round(metrics.y_bt601(ref))
    expect = 10 * np.log10(255 ** 2 / np.mean(yd ** 2))
    assert abs(metrics.psnr_y(out, ref) - expect) < 1e-9 and 40 < expect < 44
    # a crop leaves the borders out: damage there does not count
    edge = ref.copy()
    edge[:4] = 0
    assert metrics.psnr_y(edge, ref, crop=4) == 120.0 and metrics.psnr_y(edge, ref) < 30


def test_ssim_is_one_for_identity_and_falls_with_noise_and_blur():
    import cv2
    ref = _photo()
    assert abs(metrics.ssim_y(ref, ref) - 1.0) < 1e-12
    noise = np.random.default_rng(0).normal(0, 1, ref.shape)
    noisy, noisier = (np.clip(ref + s * noise, 0, 1) for s in (0.05, 0.1))
    blurred = cv2.GaussianBlur(ref, (0, 0), 2.0)
    assert metrics.ssim_y(noisier, ref) < metrics.ssim_y(noisy, ref) < 0.9 and metrics.ssim_y(blurred, ref) < 0.95
    assert metrics.ssim_y(cv2.GaussianBlur(ref, (0, 0), 0.7), ref) > metrics.ssim_y(blurred, ref)


def test_gmsd_is_zero_for_identity_and_counts_structure_not_brightness():
    import cv2
    ref = _photo()
    assert metrics.gmsd(ref, ref) == 0.0
    brighter = np.clip(ref + 0.05, 0, 1)  # same gradients, except where it clips
    blurred = cv2.GaussianBlur(ref, (0, 0), 1.5)
    assert metrics.gmsd(brighter, ref) < 0.2 * metrics.gmsd(blurred, ref)
    assert metrics.gmsd(cv2.GaussianBlur(ref, (0, 0), 0.7), ref) < metrics.gmsd(blurred, ref)


def test_sharpness_is_sobel_energy_relative_to_the_truth():
    import cv2
    ref = _photo()
    assert metrics.sharpness(ref, ref) == 1.0
    assert metrics.sharpness(cv2.GaussianBlur(ref, (0, 0), 1.5), ref) < 0.7
    half = 0.25 + 0.5 * ref  # half the contrast, nothing clipped: exactly half the gradient energy
    assert abs(metrics.sharpness(half, ref) - 0.5) < 1e-6 and abs(metrics.sharpness(ref, half) - 2.0) < 1e-6
    assert metrics.sobel_energy(np.full((16, 16, 3), 0.3, np.float32)) == 0.0


def test_warping_error_is_zero_for_a_steady_output_and_counts_flicker_only_where_asked():
    frames = [_photo()] * 3  # a still scene: the reference flow is zero
    flows = metrics.reference_flows(frames)
    assert metrics.warping_error(frames, flows) < 1e-6
    rng = np.random.default_rng(1)
    flicker = [np.clip(f + rng.normal(0, 0.02, f.shape).astype(np.float32), 0, 1) for f in frames]
    e = metrics.warping_error(flicker, flows)
    assert abs(e - 1000 * 2 * 0.02 ** 2) < 0.25 * 1000 * 2 * 0.02 ** 2  # twice the noise variance, x1000
    region = [[(0, 0, 32, 32)]] * len(flows)
    steady_there = [f.copy() for f in flicker]
    for f in steady_there:
        f[:32, :32] = frames[0][:32, :32]
    assert metrics.warping_error(steady_there, flows, region) < 1e-6 < metrics.warping_error(steady_there, flows)


def test_tof_is_zero_when_the_output_moves_like_the_truth():
    gt = [np.roll(_photo(), s, axis=1) for s in range(0, 12, 2)]  # a pan, 2 px per frame
    assert metrics.tof(gt, gt) == 0.0
    still = [gt[0]] * len(gt)  # an output that does not move
    assert metrics.tof(still, gt) > 1.0
