"""The real-footage training degradations: seeded, reproducible, per-clip, really compressed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vs_plugin.app.sample import sample_photo
from vs_plugin.training.degrade import RealDegradation, apply_real, codec_roundtrip, draw_real, eval_chain, lr_size


def _clip(frames: int = 5, size: int = 128) -> list[np.ndarray]:
    photo = sample_photo()
    return [np.ascontiguousarray(photo[100 + 2 * t:100 + 2 * t + size, 150:150 + size]) for t in range(frames)]


def test_the_same_seed_gives_the_same_bytes_and_another_seed_differs():
    hr = _clip()
    a = apply_real(hr, 4, draw_real(np.random.default_rng([3, 1])), np.random.default_rng([3, 2]))
    b = apply_real(hr, 4, draw_real(np.random.default_rng([3, 1])), np.random.default_rng([3, 2]))
    c = apply_real(hr, 4, draw_real(np.random.default_rng([4, 1])), np.random.default_rng([4, 2]))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    assert a[0].shape == (32, 32, 3) and a[0].dtype == np.float32


def test_draws_cover_both_codecs_both_orders_and_every_stage():
    draws = [draw_real(np.random.default_rng([0, i])) for i in range(300)]
    assert {d.codec for d in draws} == {"libx264", "libx265", ""}
    assert {d.resize for d in draws} == {"area", "linear", "cubic", "aa-cubic"}
    assert any(d.blur_sigma[0] != d.blur_sigma[1] for d in draws)  # anisotropic kernels
    assert any(d.blur2 or d.noise2 for d in draws) and any(not (d.blur2 or d.noise2) for d in draws)
    assert any(d.poisson for d in draws) and any(d.jpeg for d in draws) and any(d.grey_noise for d in draws)
    crfs = [d.crf for d in draws]
    assert min(crfs) <= 20 and max(crfs) >= 36


@pytest.mark.parametrize("codec", ["libx264", "libx265"])
def test_codec_round_trip_really_compresses_and_keeps_the_clip(codec):
    hr = _clip(4, 96)
    lo = codec_roundtrip(hr, codec, crf=40, preset="fast")
    hi = codec_roundtrip(hr, codec, crf=10, preset="fast")
    err = lambda out: float(np.mean([np.abs(o - h).mean() for o, h in zip(out, hr)]))  # noqa: E731
    assert len(lo) == 4 and lo[0].shape == (96, 96, 3)
    assert err(hi) < 0.01 < err(lo)  # high CRF loses much more than low CRF
    assert all(np.array_equal(x, y) for x, y in zip(lo, codec_roundtrip(hr, codec, crf=40, preset="fast")))


def test_codec_round_trip_rejects_odd_sizes_and_unknown_codecs():
    with pytest.raises(ValueError, match=r"codec_roundtrip: frame size must be even for 4:2:0, got 33x32"):
        codec_roundtrip([np.zeros((32, 33, 3), np.float32)])
    with pytest.raises(ValueError, match=r"codec_roundtrip: codec must be one of libx264\|libx265, got 'vp9'"):
        codec_roundtrip([np.zeros((32, 32, 3), np.float32)], "vp9")


def test_an_encoder_error_is_retried_and_changes_nothing(monkeypatch, caplog):
    """PyAV's libx265 fails now and then on a clip it then encodes fine; the round trip tries
    again (the same bytes), and gives up with the encoder's own error after CODEC_ATTEMPTS."""
    from vs_plugin.training import degrade
    hr = _clip(2, 64)
    clean = codec_roundtrip(hr, "libx265", crf=30, preset="fast")
    real, calls, failing = degrade._encode_decode, [], degrade.CODEC_ATTEMPTS - 2

    def flaky(*args):
        calls.append(1)
        if len(calls) <= failing:
            raise ValueError("[Errno 22] Invalid argument: '<none>' returned 22")
        return real(*args)
    monkeypatch.setattr(degrade, "_encode_decode", flaky)
    with caplog.at_level("WARNING"):
        again = codec_roundtrip(hr, "libx265", crf=30, preset="fast")
    assert len(calls) == failing + 1 and all(np.array_equal(x, y) for x, y in zip(clean, again))
    assert "codec_roundtrip: libx265 failed on a 64x64 clip of 2 frames" in caplog.text
    calls.clear()
    monkeypatch.setattr(degrade, "CODEC_ATTEMPTS", 2)
    monkeypatch.setattr(degrade, "_encode_decode_in_fresh_process", flaky)
    with pytest.raises(ValueError, match="returned 22"):
        codec_roundtrip(hr, "libx265", crf=30, preset="fast")
    assert len(calls) == 2


def test_one_clip_shares_its_degradation_but_not_its_noise():
    hr = [_clip(1)[0]] * 3  # a still scene: only the per-frame noise can differ
    d = RealDegradation(noise=0.02, codec="")
    out = apply_real(hr, 4, d, np.random.default_rng(0))
    assert not np.array_equal(out[0], out[1])
    assert abs(out[0].std() - out[1].std()) < 0.01  # the same noise level in every frame


def test_eval_chain_is_fixed_and_documented_sizes():
    hr = _clip(3, 130)
    a, b = eval_chain(hr), eval_chain(hr)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert a[0].shape == (*lr_size(hr[0].shape, 4), 3) == (32, 32, 3)


def test_an_encoder_that_keeps_failing_here_gets_a_last_attempt_in_a_fresh_process(monkeypatch):
    """libx265 can go bad in a process and fail on every small clip for a while; the last
    attempt runs in a new process, whose result is the encode's own."""
    from vs_plugin.training import degrade
    hr = _clip(2, 32)
    want = codec_roundtrip(hr, "libx264", crf=30, preset="fast")
    calls = []

    def broken(*args):
        calls.append(1)
        raise RuntimeError("Invalid argument: '<none>' returned 22")
    monkeypatch.setattr(degrade, "_encode_decode", broken)
    got = codec_roundtrip(hr, "libx264", crf=30, preset="fast")
    assert len(calls) == degrade.CODEC_ATTEMPTS - 1
    assert len(got) == 2 and all(np.array_equal(x, y) for x, y in zip(got, want))


def test_libx265_gives_the_same_bytes_for_the_same_small_clip():
    """Padded only to one 64-pixel CTU, libx265 encoded about 1 small two-frame clip in 12
    differently from one run to the next (this test then failed 2 times in 5); padded to whole
    CTUs of at least X265_MIN_SIDE, none."""
    rng = np.random.default_rng(11)
    for _ in range(80):
        side = int(rng.integers(9, 32)) * 2
        base = cv2.GaussianBlur(rng.random((side, side, 3)).astype(np.float32), (0, 0), 2.0)
        frames = [base, np.roll(base, 1, axis=1) + rng.normal(0, 0.01, base.shape).astype(np.float32)]
        crf, preset = int(rng.integers(18, 39)), str(rng.choice(["veryfast", "fast", "medium"]))
        a = codec_roundtrip(frames, "libx265", crf, preset)
        b = codec_roundtrip(frames, "libx265", crf, preset)
        assert all(np.array_equal(x, y) for x, y in zip(a, b)), (side, crf, preset)
