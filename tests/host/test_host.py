"""The host: every input family round-trips with the right format, size, props and pixels."""

from __future__ import annotations

import numpy as np
import pytest
import vapoursynth as vs
from clips import from_arrays, textured_scene
from determinism import assert_deterministic

from vs_plugin.effects import ClipSpec, Effect, Param, Window
from vs_plugin.host.apply import apply_effect

core = vs.core

IDENTITY = Effect("test.identity", "Identity", "1", "returns frame n", (ClipSpec("clip", "in"),), (),
                  make_render=lambda p, i: (lambda w: w.frames["clip"][0]))


def _mean_render(params, info):
    def render(w: Window) -> np.ndarray:
        frames = [f for f, ok in zip(w.frames["clip"], w.valid["clip"]) if ok]
        return np.mean(frames, axis=0)
    return render


TEMPORAL_MEAN = Effect("test.temporal_mean", "Temporal mean", "1", "mean of n-r..n+r",
                       (ClipSpec("clip", "in", radius="radius"),),
                       (Param("radius", "int", 3, "window radius", min=0, max=10),),
                       make_render=_mean_render)

FORMATS = [vs.YUV420P8, vs.YUV420P10, vs.YUV420P16, vs.YUV422P8, vs.YUV422P10, vs.YUV444P8,
           vs.YUV444P12, vs.YUV444PH, vs.YUV444PS, vs.RGB24, vs.RGB30, vs.RGB48, vs.RGBH, vs.RGBS,
           vs.GRAY8, vs.GRAY16, vs.GRAYS]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: core.get_video_format(f).name)
def test_every_family_round_trips(fmt):
    f = core.get_video_format(fmt)
    if f.color_family == vs.YUV:
        src = core.std.BlankClip(width=64, height=48, format=fmt, length=2,
                                 color=[0.4, 0.1, -0.2] if f.sample_type == vs.FLOAT
                                 else [v << (f.bits_per_sample - 8) for v in (120, 100, 160)])
        src = core.std.SetFrameProps(src, _Matrix=1, _Range=0, _Transfer=1, _Primaries=1)
    elif f.color_family == vs.RGB:
        src = core.std.BlankClip(width=64, height=48, format=fmt, length=2,
                                 color=[0.3, 0.6, 0.9] if f.sample_type == vs.FLOAT
                                 else [int(v * ((1 << f.bits_per_sample) - 1)) for v in (0.3, 0.6, 0.9)])
    else:
        src = core.std.BlankClip(width=64, height=48, format=fmt, length=2,
                                 color=[0.5] if f.sample_type == vs.FLOAT else [100 << (f.bits_per_sample - 8)])
    src = core.std.SetFrameProps(src, MyProp=42)
    out = apply_effect(IDENTITY, src, {})
    assert out.format.id == src.format.id
    assert (out.width, out.height, out.num_frames) == (64, 48, 2)
    fo, fi = out.get_frame(1), src.get_frame(1)
    assert fo.props["MyProp"] == 42
    tol = 1e-3 if f.sample_type == vs.FLOAT else 1
    for p in range(f.num_planes):
        a, b = np.asarray(fo[p]).astype(np.float64), np.asarray(fi[p]).astype(np.float64)
        assert np.abs(a - b).max() <= tol, (p, a.mean(), b.mean())


def test_output_format_can_be_requested():
    src = core.std.BlankClip(width=64, height=48, format=vs.RGB24, length=1, color=[10, 200, 30])
    out = apply_effect(IDENTITY, src, {}, format=vs.YUV420P10)
    assert out.format.id == vs.YUV420P10
    assert out.get_frame(0).props["_Matrix"] == 6  # SD guess: ST 170M


def test_windowed_effect_radius3_is_deterministic():
    frames = textured_scene(10, seed=3)

    def make():
        return apply_effect(TEMPORAL_MEAN, from_arrays(frames), {"radius": 3}, format=vs.RGBS)

    assert_deterministic(make)
    out = make()
    # first frame: window n-3..n+3 mirror-padded = frames 3,2,1,0,1,2,3
    expect0 = np.mean([frames[i] for i in (3, 2, 1, 0, 1, 2, 3)], axis=0)
    got0 = np.stack([np.asarray(out.get_frame(0)[p]) for p in range(3)], -1)
    np.testing.assert_allclose(got0, expect0, atol=1e-5)
    # last frame: 6,7,8,9,8,7,6
    expect9 = np.mean([frames[i] for i in (6, 7, 8, 9, 8, 7, 6)], axis=0)
    got9 = np.stack([np.asarray(out.get_frame(9)[p]) for p in range(3)], -1)
    np.testing.assert_allclose(got9, expect9, atol=1e-5)


def test_one_frame_clip_with_big_radius():
    frames = textured_scene(1)
    out = apply_effect(TEMPORAL_MEAN, from_arrays(frames), {"radius": 5}, format=vs.RGBS)
    got = np.stack([np.asarray(out.get_frame(0)[p]) for p in range(3)], -1)
    np.testing.assert_allclose(got, frames[0], atol=1e-6)


def test_scene_cut_props_split_the_window():
    frames = textured_scene(8, seed=1)
    clip = from_arrays(frames)
    clip = core.std.SetFrameProps(clip, _SceneChangePrev=0, _SceneChangeNext=0)
    cut = core.std.SetFrameProps(clip, _SceneChangePrev=1)
    clip = core.std.Splice([clip[:4], cut[4:5], clip[5:]])
    out = apply_effect(TEMPORAL_MEAN, clip, {"radius": 2}, format=vs.RGBS)
    got = np.stack([np.asarray(out.get_frame(3)[p]) for p in range(3)], -1)
    np.testing.assert_allclose(got, np.mean(frames[1:4], axis=0), atol=1e-5)
    got = np.stack([np.asarray(out.get_frame(4)[p]) for p in range(3)], -1)
    np.testing.assert_allclose(got, np.mean(frames[4:7], axis=0), atol=1e-5)


def test_scene_change_helper_finds_a_cut():
    import vs_plugin
    a, b = textured_scene(5, seed=1), textured_scene(5, seed=2)
    clip = vs_plugin.scene_changes(from_arrays(a + b))
    prev = [clip.get_frame(n).props["_SceneChangePrev"] for n in range(10)]
    nxt = [clip.get_frame(n).props["_SceneChangeNext"] for n in range(10)]
    assert prev == [0] * 5 + [1] + [0] * 4
    assert nxt == [0] * 4 + [1] + [0] * 5
    assert_deterministic(lambda: vs_plugin.scene_changes(from_arrays(a + b)))


def test_colour_is_described_by_vapoursynths_enums_and_unknown_codes_are_guessed(caplog):
    from vs_plugin.host import props as colour_props
    clip = vs.core.std.BlankClip(width=720, height=480, format=vs.YUV420P8, length=1)
    clip = vs.core.std.SetFrameProps(clip, _Matrix=3, _Transfer=16, _Primaries=9, _Range=0)  # 3 is reserved
    with caplog.at_level("WARNING"):
        spec = colour_props.resolve(clip, "upscale")
    assert "ignoring _Matrix=3" in caplog.text
    assert spec.matrix is vs.MATRIX_ST170_M  # the SD guess stands in for the unknown code
    assert (spec.transfer, spec.primaries, spec.range) == (vs.TRANSFER_ST2084, vs.PRIMARIES_BT2020, vs.RANGE_LIMITED)
    assert all(type(v).__module__ == "vapoursynth" for v in vars(spec).values())
