"""upscale() and flow(): determinism, per-frame equivalence, tiling, stability, scene cuts."""

from __future__ import annotations

import numpy as np
import pytest
import vapoursynth as vs
from backends import FlickerSR, random_flowvsr
from clips import from_arrays, textured_scene
from determinism import assert_deterministic

import vs_plugin
from vs_plugin.effects.flow import unpack_flows
from vs_plugin.host.arrays import frame_to_array

core = vs.core


def test_flow_measures_the_pan_and_is_deterministic():
    frames = textured_scene(6, 96, 64, seed=2, speed=1.5)
    make = lambda: vs_plugin.flow(from_arrays(frames), radius=2)  # noqa: E731
    assert_deterministic(make)
    fl = make()
    assert fl.height == 64 * 6 * 2 and fl.format.id == vs.GRAYS
    flows = unpack_flows(np.asarray(fl.get_frame(2)[0]), 2)
    for d in (-2, -1, 1, 2):
        f, c = flows[d]
        inner = c[8:-8, 8:-8] > 0.5
        assert inner.mean() > 0.8
        # content pans right by 1.5 px/frame: frame n at x is frame n+d at x - 1.5 d
        assert abs(np.median(f[8:-8, 8:-8, 0][inner]) + 1.5 * d) < 0.25, d
    view = vs_plugin.flow_view(fl, offset=1)
    assert (view.width, view.height) == (96, 64)


def _upscale(frames, backend, **kw):
    kw.setdefault("format", vs.RGBS)
    h, w = frames[0].shape[:2]
    return vs_plugin.upscale(from_arrays(frames), w * backend.scale, h * backend.scale, model=backend, **kw)


def test_large_frames_skip_fine_flow_levels_and_stay_accurate():
    """1080p flow skips DIS's finest level (a third of the cost) and stays within 0.15 px of the
    true motion of the sample clip's camera; 720p and below keep every level."""
    import cv2

    from vs_plugin.app.sample import camera_flow, camera_matrices, sample_photo
    from vs_plugin.core import flow as flowlib
    assert [flowlib.extra_levels(h) for h in (270, 540, 720, 721, 1080, 1440, 2160)] == [0, 0, 0, 1, 1, 1, 2]
    photo = sample_photo()
    w, h = 1920, 1080
    mats = camera_matrices(photo.shape, 24, w, h)[10:12]
    a, b = (cv2.resize(cv2.warpAffine(photo, m, (4 * w, 4 * h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                                      borderMode=cv2.BORDER_REFLECT101), (w, h), interpolation=cv2.INTER_AREA)
            for m in mats)  # frames 10 and 11 of camera_motion(photo, 24, w, h)
    f = flowlib.dis_flow(a, b)
    err = np.linalg.norm(f - camera_flow(*mats, w, h), axis=-1)[54:-54, 54:-54]
    assert err.mean() < 0.15
    assert np.array_equal(f, flowlib.dis_flow(a, b, extra=1))


@pytest.mark.parametrize("lr_hw, scale", [((27, 48), 4), ((15, 20), 2), ((7, 9), 3)])
def test_upscale_warp_map_is_grid_plus_upscaled_flow(lr_hw, scale):
    """The one-resize warp map equals grid + upscaled flow everywhere, borders included."""
    from vs_plugin.core import flow as flowlib
    rng = np.random.default_rng(1)
    f = (rng.random(lr_hw + (2,), dtype=np.float32) - 0.5) * 6
    hw = (lr_hw[0] * scale, lr_hw[1] * scale)
    expect = flowlib._grid2(*hw) + flowlib.upscale_flow(f, scale, hw)
    assert np.abs(flowlib.upscale_warp_map(f, hw) - expect).max() < 1e-3


def test_a_region_of_an_upscaled_flow_and_its_warp_match_the_whole():
    """upscale_flow(region=) is the whole resize's rectangle (to its 1/32-pixel interpolation
    grid), and backward_warp(origin=) pulls the same pixels as the whole warp cropped."""
    from vs_plugin.core import flow as flowlib
    rng = np.random.default_rng(2)
    f = (rng.random((24, 30, 2), dtype=np.float32) - 0.5) * 6
    img = rng.random((96, 120, 3), dtype=np.float32)
    region = (slice(17, 70), slice(5, 101))
    whole = flowlib.upscale_flow(f, 4, (96, 120))
    part = flowlib.upscale_flow(f, 4, (96, 120), region)
    assert part.shape == (53, 96, 2) and np.abs(part - whole[region]).max() < 0.02
    assert np.array_equal(flowlib.backward_warp(img, part, (5, 17)),
                          flowlib.backward_warp(img, np.pad(part, ((17, 26), (5, 19), (0, 0))))[region])
    inside = flowlib.inside_mask(part, (5 - 10, 17 - 10), (100, 76))  # an image 10 px inside on each side
    pos = flowlib._grid2(53, 96) + (5, 17) + part
    expect = (pos[..., 0] >= 9.5) & (pos[..., 0] <= 109.5) & (pos[..., 1] >= 9.5) & (pos[..., 1] <= 85.5)
    assert np.array_equal(inside > 0.5, expect)


@pytest.mark.parametrize("stability", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("tile", [None, (40, 32)])
def test_upscale_is_deterministic(stability, tile):
    frames = textured_scene(6, 64, 48, seed=4)
    assert_deterministic(lambda: _upscale(frames, random_flowvsr(2, 5, tile=tile), stability=stability))


def test_stability_zero_equals_per_frame_output_bit_exactly():
    frames = textured_scene(5, 64, 48, seed=5)
    backend = FlickerSR(2)
    out = _upscale(frames, backend, stability=0.0)
    for n in range(5):
        expected = backend(np.clip(frames[n], 0, 1).astype(np.float32))
        assert np.array_equal(frame_to_array(out.get_frame(n)), expected)


def test_strength_blends_the_network_toward_its_bicubic_base():
    """strength=0 is the bicubic base (nothing the network adds), 0.5 is halfway, per pixel."""
    import cv2
    frames = textured_scene(3, 64, 48, seed=5)
    backend = FlickerSR(2)
    for n in range(3):
        lr = np.clip(frames[n], 0, 1).astype(np.float32)
        net, base = backend(lr), cv2.resize(lr, (128, 96), interpolation=cv2.INTER_CUBIC)
        zero = frame_to_array(_upscale(frames, backend, stability=0.0, strength=0.0).get_frame(n))
        half = frame_to_array(_upscale(frames, backend, stability=0.0, strength=0.5).get_frame(n))
        assert np.abs(zero - np.clip(base, 0, 1)).max() < 1e-6
        assert np.abs(half - np.clip(0.5 * net + 0.5 * base, 0, 1)).max() < 1e-6
        assert np.abs(half - net).mean() > 0.01  # the network's own output differs from the blend
    with pytest.raises(vs.Error, match=r"^steadyscale\.upscale: strength must be a number in \[0, 1\], got 2"):
        _upscale(frames, backend, strength=2)


def test_tiled_equals_untiled():
    frames = textured_scene(3, 96, 80, seed=6)
    a = _upscale(frames, random_flowvsr(2, 5), stability=0.5)
    b = _upscale(frames, random_flowvsr(2, 5, tile=(40, 32)), stability=0.5)
    for n in range(3):
        diff = np.abs(frame_to_array(a.get_frame(n)) - frame_to_array(b.get_frame(n)))
        assert diff.max() <= 1 / 255, diff.max()


def moving_square_scene(n: int = 10, w: int = 96, h: int = 72):
    """Static texture with a bright square moving 2 px/frame to the right."""
    bg = textured_scene(1, w, h, seed=7)[0] * 0.6
    out = []
    for t in range(n):
        f = bg.copy()
        x = 10 + 2 * t
        f[24:48, x:x + 24] = 0.95
        out.append(f)
    return out


def test_fusion_removes_flicker_without_ghosting():
    frames = moving_square_scene()
    backend = FlickerSR(2)
    per_frame = _upscale(frames, backend, stability=0.0)
    fused = _upscale(frames, backend, stability=0.5)
    get = lambda c, n: frame_to_array(c.get_frame(n))  # noqa: E731
    static = (slice(2 * 52, 2 * 70), slice(2 * 50, 2 * 94))  # below the square's path
    change = lambda c: np.mean([np.abs(get(c, t)[static] - get(c, t + 1)[static]).mean()  # noqa: E731
                                for t in range(2, 7)])
    assert change(fused) * 2 <= change(per_frame), (change(fused), change(per_frame))
    # moving edges: fused stays at least as close to the clean upscale as per-frame output is
    for t in (3, 5):
        clean = backend.clean(frames[t])
        x = 10 + 2 * t
        edge = (slice(2 * 20, 2 * 52), slice(2 * (x - 4), 2 * (x + 28)))
        err_fused = np.abs(get(fused, t)[edge] - clean[edge]).mean()
        err_frame = np.abs(get(per_frame, t)[edge] - clean[edge]).mean()
        assert err_fused <= err_frame, (err_fused, err_frame)


def test_frames_across_a_scene_cut_are_never_blended():
    a = textured_scene(5, 64, 48, seed=8)
    b = textured_scene(5, 64, 48, seed=9, speed=-1)
    c = [np.clip(1 - f, 0, 1) for f in textured_scene(5, 64, 48, seed=10)]
    backend = FlickerSR(2)
    ab = _upscale(a + b, backend, stability=1.0)
    ac = _upscale(a + c, backend, stability=1.0)
    for n in range(5):  # scene A's frames do not depend on what follows the cut
        assert np.array_equal(frame_to_array(ab.get_frame(n)), frame_to_array(ac.get_frame(n)))
    ca = _upscale(c + a, backend, stability=1.0)
    ba = _upscale(b + a, backend, stability=1.0)
    for n in range(5, 10):  # nor on what came before it
        assert np.array_equal(frame_to_array(ca.get_frame(n)), frame_to_array(ba.get_frame(n)))


def test_any_size_to_target_and_lanczos_path():
    src = core.std.BlankClip(width=90, height=50, format=vs.YUV420P8, length=2, color=[120, 110, 140])
    out = vs_plugin.upscale(src, 400, 224, model=FlickerSR(2))  # needs x4.4: two x2 passes + resize
    assert (out.width, out.height, out.format.id) == (400, 222, vs.YUV420P8)
    assert out.get_frame(1).props["_Matrix"] == 6
    lz = vs_plugin.upscale(src, 400, 224, model="lanczos")
    assert (lz.width, lz.height) == (400, 222)
    one = vs_plugin.upscale(src[:1], 180, 100, model=random_flowvsr(2, 5))
    assert one.num_frames == 1 and one.get_frame(0).width == 180


def test_upscale_errors():
    src = core.std.BlankClip(width=64, height=48, format=vs.YUV420P8, length=2)
    with pytest.raises(vs.Error, match=r"^steadyscale\.upscale: stability must be a number in \[0, 1\], got 1.5"):
        vs_plugin.upscale(src, stability=1.5)
    with pytest.raises(vs.Error, match=r"^steadyscale\.upscale: radius must be an integer in \[0, 8\], got -1"):
        vs_plugin.upscale(src, radius=-1)
    with pytest.raises(vs.Error, match=r"^steadyscale\.upscale: model 'nothing\.pth': model file not found"):
        vs_plugin.upscale(src, model="nothing.pth")
    with pytest.raises(vs.Error, match=r"^steadyscale\.upscale: width must be a multiple of 2 for YUV420, got 3839"):
        vs_plugin.upscale(src, 3839, 2160)
    with pytest.raises(vs.Error, match=r"^steadyscale\.upscale: tile must be \(width, height\)"):
        vs_plugin.upscale(src, tile=(0, 5))
    with pytest.raises(vs.Error, match=r"^steadyscale\.upscale: ensemble=True needs a torch model \('builtin' or a "
                                       r"model file\), got 'lanczos'"):
        vs_plugin.upscale(src, model="lanczos", ensemble=True)
    with pytest.raises(vs.Error, match=r"^steadyscale\.upscale: ensemble must be True or False, got 'yes'"):
        vs_plugin.upscale(src, ensemble="yes")


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_a_spandrel_model_file_loads_and_runs(tmp_path, suffix):
    """A Real-ESRGAN Compact (SRVGGNetCompact) file with random weights, through spandrel."""
    import torch
    from safetensors.torch import save_file
    from spandrel.architectures.Compact import Compact

    torch.manual_seed(0)
    net = Compact(num_in_ch=3, num_out_ch=3, num_feat=16, num_conv=4, upscale=2, act_type="prelu")
    path = tmp_path / f"2x-compact-random{suffix}"
    sd = {k: v.contiguous() for k, v in net.state_dict().items()}
    torch.save(sd, path) if suffix == ".pth" else save_file(sd, str(path))
    frames = textured_scene(3, 48, 32, seed=11)
    make = lambda: vs_plugin.upscale(from_arrays(frames), 96, 64, model=str(path), format=vs.RGBS)  # noqa: E731
    assert_deterministic(make)
    out = make()
    assert (out.width, out.height) == (96, 64)
    # the model really ran: per-frame output equals the network applied directly
    with torch.inference_mode():
        x = torch.from_numpy(np.clip(frames[1], 0, 1).transpose(2, 0, 1).copy())[None]
        direct = net.eval()(x).clamp(0, 1)[0].numpy().transpose(1, 2, 0)
    per_frame = frame_to_array(vs_plugin.upscale(from_arrays(frames), 96, 64, model=str(path), stability=0.0,
                                                 format=vs.RGBS, precision="fp32").get_frame(1))
    np.testing.assert_allclose(per_frame, direct, atol=1e-5)


def test_tile_auto_stays_whole_frame_when_memory_allows(monkeypatch):
    from vs_plugin.models import memory
    monkeypatch.setattr(memory, "available_memory", lambda device: 16 << 30)
    assert memory.auto_tile("auto", 960, 540) is None
    assert memory.auto_tile((128, 64), 960, 540) == (128, 64)


def test_tile_auto_tiles_when_memory_is_short(monkeypatch):
    from vs_plugin.models import memory
    monkeypatch.setattr(memory, "available_memory", lambda device: 1 << 30)
    # 256 MiB budget at 2304 bytes per pixel: a 341 px square, rounded down to a multiple of 16
    assert memory.auto_tile("auto", 960, 540) == (336, 336)
    assert memory.auto_tile("auto", 200, 100) is None


def test_available_memory_counts_reclaimable_cache():
    import os

    from vs_plugin.models.memory import available_memory
    free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert available_memory("cpu") >= free


def test_interlaced_input_is_refused_with_the_fix():
    import vs_plugin
    src = core.std.SetFrameProps(core.std.BlankClip(width=64, height=48, format=vs.YUV420P8, length=2),
                                 _FieldBased=2)
    with pytest.raises(vs.Error) as e:
        vs_plugin.upscale(src, 128, 96, model="lanczos")
    assert str(e.value) == ("steadyscale.upscale: the clip is interlaced (_FieldBased=2, top field first); "
                            "deinterlace it first (vs_plugin.deinterlace(clip), or --deinterlace on the command "
                            "line), or set _FieldBased=0 if it is really progressive")
    ok = core.std.SetFrameProps(src, _FieldBased=0)
    assert vs_plugin.upscale(ok, 128, 96, model="lanczos").width == 128


def test_a_bigger_source_goes_down_without_the_network_and_memory_stays_small():
    """8K to UHD: resized like resize_to() (no network run at 16K), peak memory well under 10 GiB."""
    import subprocess
    import sys
    code = ("import resource, vapoursynth as vs, numpy as np, vs_plugin\n"
            "core = vs.core\n"
            "src = core.std.BlankClip(width=7680, height=4320, format=vs.YUV420P10, length=3, color=[512, 400, 600])\n"
            "src = core.std.SetFrameProps(src, _Matrix=9, _Transfer=1, _Primaries=9, _ColorRange=1)\n"
            "a = vs_plugin.upscale(src, 3840, 2160)\n"
            "b = vs_plugin.resize_to(src, 3840, 2160)\n"
            "fa, fb = a.get_frame(1), b.get_frame(1)\n"
            "same = all(np.array_equal(np.asarray(fa[p]), np.asarray(fb[p])) for p in range(3))\n"
            "print(a.width, a.height, same, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    w, h, same, peak_mb = r.stdout.split()
    assert (w, h, same) == ("3840", "2160", "True")
    assert int(peak_mb) < 10 * 1024, f"peak {peak_mb} MB"


def test_profiling_times_every_stage_while_active_and_nothing_otherwise():
    from vs_plugin.core import profile
    frames = textured_scene(5, 64, 48, seed=3)
    with profile.profiling() as prof:
        out = _upscale(frames, random_flowvsr(2, 5), stability=0.5)
        for n in (0, 4, 2):
            out.get_frame(n)
    assert {"steadyscale.sr", "steadyscale.fuse", "steadyscale.detail", "steadyscale.flow_pair"} <= set(prof.stages)
    assert prof.stages["steadyscale.fuse"].calls == 3  # one per output frame
    assert all(s.wall > 0 and s.cpu >= 0 for s in prof.stages.values())
    assert profile.active() is None
    _upscale(frames, random_flowvsr(2, 5), stability=0.5).get_frame(1)
    assert prof.stages["steadyscale.fuse"].calls == 3
