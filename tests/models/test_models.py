"""Shipped models: the manifest, sha256 verification, output shapes, and real quality (each
beats Lanczos on a photo it never saw: would fail on random weights)."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vs_plugin.app.sample import sample_photo
from vs_plugin.core.digest import sha256_file
from vs_plugin.models import backends, registry
from vs_plugin.models.manifest import load_manifest, parse
from vs_plugin.training.vsr_data import downscale

MODELS = load_manifest()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1 / np.mean((np.clip(a, 0, 1) - b) ** 2)))


def test_all_built_in_models_are_shipped():
    kinds = sorted((d.purpose, d.scale, d.degradation) for d in MODELS.values())
    assert kinds == [("face-sr", 4, "real"), ("video-sr", 2, "bicubic"), ("video-sr", 2, "real"),
                     ("video-sr", 4, "bicubic"), ("video-sr", 4, "real")]
    assert registry.pick_builtin(4.0, "real").name == "builtin-x4"
    # each family's smallest scale that reaches the pass: 1080p -> UHD never runs an x4 at 8K
    from vs_plugin.models.choice import family_model
    assert family_model("builtin", 2.0).name == "builtin-x2"
    assert family_model("builtin", 1.5).name == "builtin-x2"
    assert family_model("builtin", 3.0).name == "builtin-x4"
    assert family_model("builtin-clean", 2.0).name == "builtin-clean-x2"
    assert registry.pick_builtin(4.0, "bicubic").name == "builtin-clean-x4"
    assert registry.pick_builtin(2.0).scale == 2   # 1080p -> UHD never runs x4 to throw 3/4 away
    assert registry.pick_builtin(1.5).scale == 2
    assert registry.pick_builtin(4.0).scale == 4
    assert registry.pick_builtin(7.1).scale == 4   # repeated passes
    assert all(d.teacher.startswith("Real-ESRGAN x4plus") for d in MODELS.values()
               if d.degradation == "real" and d.purpose == "video-sr")


def _degraded_still(hr: np.ndarray, scale: int, frames: int = 5) -> list[np.ndarray]:
    """A short clip of ``hr`` panning 1 px a frame, through the fixed real-footage chain
    (bicubic, blur 0.5, H.264 CRF 28): what the real models are for."""
    from vs_plugin.training.degrade import eval_chain
    clip = [np.ascontiguousarray(np.roll(hr, t, axis=1)) for t in range(frames)]
    return eval_chain(clip, 28, scale)


def _score(out: np.ndarray, ref: np.ndarray) -> tuple[float, float, float]:
    from vs_plugin.core import metrics
    c = slice(8, -8)
    return metrics.psnr_y(out[c, c], ref[c, c]), metrics.gmsd(out[c, c], ref[c, c]), metrics.sharpness(out[c, c],
                                                                                                       ref[c, c])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_loads_by_name_verified_and_beats_lanczos(name):
    """Clean models gain PSNR on a bicubic photo they never saw; real-footage models restore a
    degraded one: sharper than Lanczos, lower GMSD, PSNR not worse by more than 0.3 dB (random
    weights fail all of these)."""
    desc = registry.get_descriptor(name)
    assert sha256_file(desc.path) == desc.sha256
    be = backends.builtin_backend(desc, device="cpu")
    s = desc.scale
    photo = sample_photo()  # matplotlib's sample portrait: not in any training set
    region = (slice(60, 380), slice(120, 440)) if desc.purpose == "face-sr" else (slice(300, 556), slice(0, 256))
    if desc.purpose == "video-sr" and desc.degradation == "real":
        region = (slice(0, 512), slice(0, 512))  # the whole picture: texture, edges and flat skin
    hr = cv2.resize(photo[region], (128, 128), interpolation=cv2.INTER_AREA) \
        if desc.purpose == "face-sr" else photo[region]
    k = desc.frames - 1
    if desc.degradation == "real":
        lrs = _degraded_still(hr, s)
        lr = lrs[2]
        out = be(lr, lrs[:2] + lrs[3:] if k else [], [np.ones(lr.shape[:2], np.float32)] * k)
    else:
        lr = np.ascontiguousarray(downscale(hr, s), dtype=np.float32)
        out = be(lr, [lr] * k, [np.zeros(lr.shape[:2], np.float32)] * k)
    ref = np.roll(hr, 2, axis=1) if desc.degradation == "real" else hr
    assert out.shape == (lr.shape[0] * s, lr.shape[1] * s, 3) and out.dtype == np.float32
    lanczos = cv2.resize(lr, (lr.shape[1] * s, lr.shape[0] * s), interpolation=cv2.INTER_LANCZOS4)
    (p_out, g_out, s_out), (p_lz, g_lz, s_lz) = _score(out, ref), _score(np.clip(lanczos, 0, 1), ref)
    if desc.degradation == "real":
        assert s_out > REAL_SHARPNESS[desc.purpose] * s_lz, f"{name}: sharpness {s_out:.3f} vs Lanczos {s_lz:.3f}"
        assert g_out < g_lz, f"{name}: GMSD {g_out:.4f} vs Lanczos {g_lz:.4f}"
        assert p_out > p_lz - 0.3, f"{name}: {p_out - p_lz:+.2f} dB against Lanczos"
    else:
        assert p_out - p_lz > 0.3, f"{name}: only {p_out - p_lz:+.2f} dB over Lanczos"


#: how much sharper than Lanczos a real-footage model must be on the degraded photo
REAL_SHARPNESS = {"video-sr": 1.1, "face-sr": 1.1}


def test_tampered_weights_are_refused(tmp_path):
    desc = next(iter(MODELS.values()))
    bad = tmp_path / desc.file
    data = bytearray(desc.path.read_bytes())
    data[-1] ^= 0xFF
    bad.write_bytes(bytes(data))
    fake = dataclasses.replace(desc)
    object.__setattr__(fake, "file", str(bad))  # absolute path wins in MODELS_DIR / file
    with pytest.raises(ValueError, match="sha256 mismatch"):
        registry.load_builtin(fake)


def test_manifest_rejects_unknown_keys():
    text = '[model.x]\nfile = "a"\nsha256 = "b"\narchitecture = "FlowVSR"\narguments = {}\npurpose = "video-sr"\n' \
           'scale = 4\nframes = 3\nparameters = 1\ncolour = "rgb"\n'
    with pytest.raises(ValueError, match="model 'x' has unknown key 'colour'; expected keys:"):
        parse(text)


def test_deepening_a_flowvsr_preserves_its_function():
    """`train_vsr.py --init` grows a trained network by identity layers: same output before
    any fine-tuning, and a clear error when asked to shrink."""
    import torch

    from vs_plugin.core.vsr_net import FlowVSR, deepen_state
    torch.manual_seed(0)
    small = FlowVSR(2, 3, channels=8, blocks=2)
    torch.nn.init.normal_(small.tail.weight, std=0.1)
    for m in small.body:
        if isinstance(m, torch.nn.PReLU):
            torch.nn.init.uniform_(m.weight, -0.5, 0.5)  # a non-trivial slope the new layers must not disturb
    deep = FlowVSR(2, 3, channels=8, blocks=5)
    deep.load_state_dict(deepen_state(small.state_dict(), 5), strict=True)
    x, w, c = torch.rand(1, 3, 12, 16), torch.rand(1, 2, 3, 12, 16), torch.rand(1, 2, 1, 12, 16)
    with torch.no_grad():
        assert torch.equal(small(x, w, c), deep(x, w, c))
    with pytest.raises(ValueError, match="cannot shrink 2 body layers to 1"):
        deepen_state(small.state_dict(), 1)


def test_self_ensemble_is_flip_equivariant_and_beats_the_plain_network():
    """x8 self-ensemble: flipping or transposing every input flips/transposes the output (so
    the inverse maps are right), and on a photo it never saw it is closer to the truth than
    one run of the network."""
    from vs_plugin.models.ensemble import self_ensemble
    desc = registry.pick_builtin(4)
    plain = backends.builtin_backend(desc, device="cpu", precision="fp32")  # equivariance to 2e-5 needs fp32
    ens = backends.builtin_backend(desc, device="cpu", precision="fp32", ensemble=True)
    photo = sample_photo()
    small = photo[300:428, 0:96]  # the equivariance checks: small is enough
    lr = np.ascontiguousarray(downscale(small, 4), dtype=np.float32)
    k = desc.frames - 1
    rng = np.random.default_rng(3)
    warped = [np.clip(lr + rng.normal(0, 0.02, lr.shape).astype(np.float32), 0, 1) for _ in range(k)]
    conf = [rng.uniform(0, 1, lr.shape[:2]).astype(np.float32) for _ in range(k)]
    out = ens(lr, warped, conf)
    flip = lambda a: np.ascontiguousarray(a[:, ::-1])  # noqa: E731
    tr = lambda a: np.ascontiguousarray(np.swapaxes(a, 0, 1))  # noqa: E731
    for g in (flip, tr):
        np.testing.assert_allclose(ens(g(lr), [g(w) for w in warped], [g(c) for c in conf]), g(out), atol=2e-5)
    # the gain, on the whole photo: on a 128x96 crop it is too noisy to measure (0.03 to over 0.2 dB
    # depending on the weights); on the whole 600x512 photo the shipped x4 gains 0.21 dB
    hr = np.ascontiguousarray(photo[: photo.shape[0] // 4 * 4, : photo.shape[1] // 4 * 4])
    lr = np.ascontiguousarray(downscale(hr, 4), dtype=np.float32)
    zeros = [np.zeros(lr.shape[:2], np.float32)] * k
    c = slice(8, -8)
    gain = psnr(ens(lr, [lr] * k, zeros)[c, c], hr[c, c]) - psnr(plain(lr, [lr] * k, zeros)[c, c], hr[c, c])
    assert gain > 0.1, gain
    x = torch.arange(12.0).reshape(1, 1, 3, 4)
    torch.testing.assert_close(self_ensemble(lambda a: a * 2, x), x * 2)  # an equivariant map is unchanged


@pytest.mark.parametrize("scale", [2, 4])
def test_writing_output_planes_directly_matches_the_array_path(scale):
    """The render path that shuffles while writing R, G, B planes (contiguous or strided, as
    frame planes may be) gives the array path's result; odd sizes exercise the padding."""
    backend = backends.builtin_backend(registry.pick_builtin(scale, "bicubic"), "cpu", "fp32")
    rng = np.random.default_rng(7)
    h, w = 37, 53
    centre = rng.random((h, w, 3), dtype=np.float32)
    warped = [rng.random((h, w, 3), dtype=np.float32) for _ in range(4)]
    conf = [rng.random((h, w), dtype=np.float32) for _ in range(4)]
    expected = backend(centre, warped, conf)
    assert expected.min() == 0.0 and expected.max() == 1.0  # the clamp is exercised
    for padded in (0, 8):
        planes = [np.full((h * scale, w * scale + padded), 5.0, np.float32)[:, : w * scale] for _ in range(3)]
        assert backend(centre, warped, conf, out=planes) is planes
        np.testing.assert_allclose(np.stack(planes, -1), expected, rtol=0, atol=1e-6)


def test_an_unshuffled_flowvsr_round_trips_through_its_file_and_writes_planes(tmp_path):
    """A space-to-depth FlowVSR (``unshuffle=2``): its file records the factor, the backend pads
    odd sizes to it, and the plane-writing path equals the array path; a bad factor is refused."""
    from safetensors.torch import save_file

    from vs_plugin.core.vsr_net import FlowVSR
    torch.manual_seed(1)
    net = FlowVSR(2, 5, channels=8, blocks=2, unshuffle=2)
    torch.nn.init.normal_(net.tail.weight, std=0.1)
    path = tmp_path / "x2u.safetensors"
    save_file(net.state_dict(), str(path), metadata={k: str(v) for k, v in net.config().items()})
    backend = backends.spandrel_backend(path, "cpu", "fp32")
    assert backend.module.unshuffle == 2 and backend.size.multiple_of == 2
    rng = np.random.default_rng(3)
    for h, w in ((24, 32), (23, 31)):  # even: written directly; odd: padded, array path
        centre = rng.random((h, w, 3), dtype=np.float32)
        warped = [rng.random((h, w, 3), dtype=np.float32) for _ in range(4)]
        conf = [rng.random((h, w), dtype=np.float32) for _ in range(4)]
        expected = backend(centre, warped, conf)
        assert expected.shape == (2 * h, 2 * w, 3)
        with torch.no_grad():
            t = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None]  # noqa: E731
            if h % 2 == 0:
                ref = net(t(centre), torch.stack([t(a) for a in warped], 1),
                          torch.stack([t(a[..., None]) for a in conf], 1))[0].numpy().transpose(1, 2, 0)
                np.testing.assert_allclose(expected, np.clip(ref, 0, 1), rtol=0, atol=1e-5)
        planes = [np.zeros((2 * h, 2 * w), np.float32) for _ in range(3)]
        backend(centre, warped, conf, out=planes)
        np.testing.assert_allclose(np.stack(planes, -1), expected, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="unshuffle must be 1 or 2, got 3"):
        FlowVSR(2, 5, unshuffle=3)


def test_unshuffling_weights_runs_the_old_network_on_block_averages():
    """`train_vsr.py --init` warm-starts an ``unshuffle=2`` network from a plain one: on input
    that is constant over 2x2 blocks it computes exactly what the old one computes on the
    half-size frame."""
    from vs_plugin.core.vsr_net import FlowVSR, unshuffle_state
    torch.manual_seed(2)
    plain = FlowVSR(4, 3, channels=8, blocks=2)
    torch.nn.init.normal_(plain.tail.weight, std=0.1)
    warm = FlowVSR(2, 3, channels=8, blocks=2, unshuffle=2)
    warm.load_state_dict(unshuffle_state(plain.state_dict(), 2), strict=True)
    x, w, c = torch.rand(1, 3, 6, 8), torch.rand(1, 2, 3, 6, 8), torch.rand(1, 2, 1, 6, 8)
    up = lambda t: t.repeat_interleave(2, -1).repeat_interleave(2, -2)  # noqa: E731
    with torch.no_grad():
        torch.testing.assert_close(warm.residual_lr(up(x), up(w), up(c)), plain.residual_lr(x, w, c))


def test_luma_loss_weighs_what_4_2_0_delivery_keeps():
    """``--loss luma``: a luma error counts in full; a chroma pattern that averages out over
    2x2 blocks (what 4:2:0 discards) costs nothing; a block-level chroma error a quarter."""
    from vs_plugin.training.loss import CHROMA_WEIGHT, sr_loss

    target = torch.full((1, 3, 8, 8), 0.5)
    grey = target + 0.1                              # luma +0.1, no chroma
    assert sr_loss("luma", grey, target).item() == pytest.approx(0.1, rel=1e-5)
    assert sr_loss("l1", grey, target).item() == pytest.approx(0.1, rel=1e-5)
    checker = torch.tensor([[1.0, -1.0], [-1.0, 1.0]]).repeat(4, 4)
    # a red-minus-cyan checkerboard of zero luma: Cb and Cr alternate within every 2x2 block
    direction = torch.tensor([1.0, -0.299 / 0.587, 0.0])  # zero BT.601 luma
    fine_chroma = target + 0.05 * checker * direction.view(1, 3, 1, 1)
    assert sr_loss("luma", fine_chroma, target).item() == pytest.approx(0.0, abs=1e-7)
    assert sr_loss("l1", fine_chroma, target).item() > 0.02
    flat_chroma = target + 0.05 * direction.view(1, 3, 1, 1)
    cr = 0.05 * (0.5 - 0.418688 * direction[1].item())
    cb = 0.05 * (-0.168736 - 0.331264 * direction[1].item())
    expected = CHROMA_WEIGHT * (abs(cb) + abs(cr)) / 2
    assert sr_loss("luma", flat_chroma, target).item() == pytest.approx(expected, rel=1e-4)
    with pytest.raises(ValueError, match="sr_loss: kind must be one of l1|luma, got 'l2'"):
        sr_loss("l2", grey, target)


class _Picky(torch.nn.Module):
    """An x2 model that accepts only square inputs, at least 32 px and a multiple of 8, as some
    spandrel architectures do; it records what it was given."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        h, w = x.shape[-2:]
        assert h == w and h >= 32 and h % 8 == 0, (h, w)
        self.seen.append((h, w))
        return F.interpolate(x, scale_factor=2, mode="nearest")


def test_a_backend_pads_to_its_models_size_rules_and_crops_back():
    from spandrel import SizeRequirements
    picky = _Picky()
    b = backends.TorchSR(picky, 2, "picky", multi_frame=False, device="cpu", precision="fp32",
                         size=SizeRequirements(minimum=32, multiple_of=8, square=True))
    img = np.random.default_rng(0).random((13, 21, 3), dtype=np.float32)
    out = b(img)
    assert picky.seen == [(32, 32)] and out.shape == (26, 42, 3)
    np.testing.assert_allclose(out, np.repeat(np.repeat(img, 2, 0), 2, 1), atol=1e-6)  # the padding is cut off


def test_a_model_that_tiles_itself_is_not_tiled_again():
    from spandrel import ModelTiling
    b = backends.TorchSR(_Picky(), 2, "picky", multi_frame=False, device="cpu", tile=(16, 16),
                         tiling=ModelTiling.INTERNAL)
    assert b.tile is None


def test_every_backend_keeps_the_contract_and_a_users_own_is_held_to_it():
    import vapoursynth as vs

    import vs_plugin

    class Bright:  # a user's backend that overshoots [0, 1]
        scale, frames = 2, 1

        def __call__(self, centre):
            return np.repeat(np.repeat(centre, 2, 0), 2, 1) * 3

    class WrongSize(Bright):
        def __call__(self, centre):
            return centre

    own = (backends.LanczosSR(2), backends.CallableSR(Bright()), backends.TorchSR(_Picky(), 2, "p", multi_frame=False))
    assert all(isinstance(b, backends.SRBackend) for b in own)
    src = vs.core.std.BlankClip(width=32, height=32, format=vs.RGBS, length=2, color=[0.5, 0.5, 0.5])
    src = vs.core.std.SetFrameProps(src, _Matrix=0, _Primaries=1, _Transfer=1, _Range=0)
    f = vs_plugin.upscale(src, 64, 64, model=Bright(), radius=0).get_frame(0)
    assert np.asarray(f[0]).max() == pytest.approx(1.0)  # clamped
    with pytest.raises(vs.Error, match=r"backend WrongSize returned \(32, 32, 3\) for a 32x32 frame at x2"):
        vs_plugin.upscale(src, 64, 64, model=WrongSize(), radius=0).get_frame(0)


def test_importing_the_plugin_does_not_import_spandrel():
    """spandrel (and the torchvision it brings) loads only with a third-party model file: it was
    half of the plugin's import time, paid by every vspipe run and CLI call."""
    import subprocess
    import sys
    code = "import sys, vs_plugin; vs_plugin.models.backends.builtin_backend; sys.exit('spandrel' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_auto_precision_is_bf16_only_where_the_cpu_does_bf16_natively(monkeypatch):
    from pathlib import Path

    from vs_plugin.models import device as devmod
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    if flags:  # the probe agrees with the kernel's flags (it is detected, not guessed)
        assert devmod.cpu_has_native_bf16() == any(f in flags for f in devmod.BF16_FLAGS + ("amx_tile",))
    for native, want in ((True, torch.bfloat16), (False, torch.float32)):
        monkeypatch.setattr(devmod, "cpu_has_native_bf16", lambda n=native: n)
        assert devmod.resolve_dtype("auto", cpu, True, True) == want
        assert devmod.resolve_dtype("auto", cpu, True, False) == torch.float32  # a model without bf16
        assert devmod.resolve_dtype("fp32", cpu, True, True) == torch.float32
        assert devmod.resolve_dtype("auto", cuda, True, True) == torch.float16
        assert devmod.resolve_dtype("auto", cuda, False, True) == torch.bfloat16
    with pytest.raises(ValueError, match="precision 'fp16' is not supported by this model; use 'bf16' or 'fp32'"):
        devmod.resolve_dtype("fp16", cpu, False, True)
    monkeypatch.setattr(devmod, "cpu_has_native_bf16", lambda: True)
    be = backends.builtin_backend(registry.get_descriptor("builtin-x4"), device="cpu")
    assert be.dtype == torch.bfloat16 and next(be.module.parameters()).dtype == torch.bfloat16
