"""resize_to: sizes for common aspect ratios in all four fits, borders, colour conversion."""

from __future__ import annotations

import numpy as np
import pytest
import vapoursynth as vs
from clips import from_arrays, textured_scene
from determinism import assert_deterministic

from vs_plugin import resize_to
from vs_plugin.core.geometry import plan_resize

core = vs.core

# (source w, h, format) -> {fit: expected output size} for a 3840x2160 target
CASES = [
    ((640, 480, vs.YUV420P8), {"contain": (2880, 2160), "pad": (3840, 2160), "cover": (3840, 2160),
                               "stretch": (3840, 2160)}),
    ((1920, 1080, vs.YUV420P10), {"contain": (3840, 2160), "pad": (3840, 2160), "cover": (3840, 2160),
                                  "stretch": (3840, 2160)}),
    ((1920, 804, vs.YUV420P8), {"contain": (3840, 1608), "pad": (3840, 2160), "cover": (3840, 2160),
                                "stretch": (3840, 2160)}),
    ((1080, 1920, vs.YUV420P8), {"contain": (1216, 2160), "pad": (3840, 2160), "cover": (3840, 2160),
                                 "stretch": (3840, 2160)}),
    ((641, 363, vs.RGB24), {"contain": (3814, 2160), "pad": (3840, 2160), "cover": (3840, 2160),
                            "stretch": (3840, 2160)}),
    ((641, 363, vs.YUV444P8), {"contain": (3814, 2160), "pad": (3840, 2160), "cover": (3840, 2160),
                               "stretch": (3840, 2160)}),
]


@pytest.mark.parametrize("src,expected", CASES, ids=lambda c: str(c))
@pytest.mark.parametrize("fit", ["contain", "pad", "cover", "stretch"])
def test_sizes(src, expected, fit):
    w, h, fmt = src
    clip = core.std.BlankClip(width=w, height=h, format=fmt, length=1)
    out = resize_to(clip, 3840, 2160, fit=fit)
    assert (out.width, out.height) == expected[fit]
    f = out.get_frame(0)
    assert (f.width, f.height) == expected[fit]
    assert out.format.id == fmt


def test_presets_and_contain_is_even_for_420():
    clip = core.std.BlankClip(width=720, height=576, format=vs.YUV420P8, length=1)
    assert (resize_to(clip, size="dci", fit="stretch").width, resize_to(clip, size="dci").height) == (4096, 2160)
    for w, h in [(853, 480), (1000, 563), (702, 393)]:
        p = plan_resize(w, h, 3840, 2160, "contain", 2, 2)
        assert p.scaled[0] % 2 == 0 and p.scaled[1] % 2 == 0
        assert p.scaled[0] <= 3840 and p.scaled[1] <= 2160


def test_pad_borders_are_black_and_centred():
    clip = core.std.BlankClip(width=640, height=480, format=vs.YUV420P8, length=1, color=[200, 100, 150])
    f = resize_to(clip, 3840, 2160, fit="pad").get_frame(0)
    y = np.asarray(f[0])
    assert y[:, :480].max() == 16 and y[:, -480:].max() == 16  # limited-range black
    assert np.asarray(f[1])[:, :240].min() == 128
    assert abs(int(y[1080, 1920]) - 200) <= 4  # SD->UHD: BT.601 -> BT.709 conversion moves Y a little


def test_cover_crops_the_centre():
    # left third red, middle green, right third blue: a 16:9 cover of a 4:3 source crops the sides
    rgb = np.zeros((480, 640, 3), np.uint8)
    rgb[:, :213, 0] = 255
    rgb[:, 213:427, 1] = 255
    rgb[:, 427:, 2] = 255
    clip = core.std.BlankClip(width=640, height=480, format=vs.RGB24, length=1)

    def put(n, f):
        fo = f.copy()
        for p in range(3):
            np.copyto(np.asarray(fo[p]), rgb[..., p])
        return fo

    clip = core.std.ModifyFrame(clip, clip, put)
    f = resize_to(clip, 1920, 1080, fit="cover").get_frame(0)
    # source rows 60..420 are kept: the crop keeps the full width
    assert np.asarray(f[0])[540, 5] > 250 and np.asarray(f[2])[540, 1915] > 250
    f = resize_to(core.std.Transpose(clip), 1920, 1080, fit="cover").get_frame(0)
    # a 480x640 portrait covered to 16:9 keeps only the middle rows: all green after transpose
    assert np.asarray(f[1])[540, 960] > 250 and np.asarray(f[0])[540, 960] < 5


def _yuv601_patch(r: float, g: float, b: float) -> vs.VideoNode:
    rgb = core.std.BlankClip(width=720, height=480, format=vs.RGBS, length=1, color=[r, g, b])
    yuv = core.resize.Point(rgb, format=vs.YUV420P8, matrix_s="170m", range_s="limited")
    return core.std.RemoveFrameProps(yuv, ["_Matrix", "_Primaries", "_Transfer", "_Range"])


def _rgb_to_xyz(prims, white=(0.3127, 0.3290)) -> np.ndarray:
    p = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in prims]).T
    w = np.array([white[0] / white[1], 1.0, (1 - white[0] - white[1]) / white[1]])
    return p * np.linalg.solve(p, w)


def smptec_to_709(rgb) -> np.ndarray:
    """Reference: SMPTE-C (ST 170M) primaries to BT.709, display-referred (BT.1886 gamma 2.4)."""
    m = np.linalg.inv(_rgb_to_xyz([(0.64, 0.33), (0.30, 0.60), (0.15, 0.06)])) @ \
        _rgb_to_xyz([(0.630, 0.340), (0.310, 0.595), (0.155, 0.070)])
    return np.clip(m @ (np.asarray(rgb) ** 2.4), 0, 1) ** (1 / 2.4)


@pytest.mark.parametrize("colour", [(0.8, 0.3, 0.2), (0.2, 0.6, 0.3), (0.3, 0.3, 0.8)])
def test_sd_601_to_uhd_is_converted_and_tagged_709(colour):
    src = _yuv601_patch(*colour)  # untagged SD: the host guesses BT.601 from the size
    out = resize_to(src, size="uhd", fit="stretch")
    f = out.get_frame(0)
    assert (f.props["_Matrix"], f.props["_Primaries"], f.props["_Transfer"]) == (1, 1, 1)
    assert f.props["_Range"] == 0
    as709 = core.resize.Point(out, format=vs.RGBS, matrix_in_s="709").get_frame(0)
    got = np.array([np.asarray(as709[p])[1000, 1900] for p in range(3)])
    # correct: decoding the UHD file as BT.709 gives the source colour with its primaries
    # converted from SMPTE-C to BT.709 (up to 8-bit rounding)
    assert np.abs(got - smptec_to_709(colour)).max() < 0.008
    # what a matrix mix-up looks like: the same bytes decoded as BT.601
    wrong = core.resize.Point(src, format=vs.RGBS, matrix_in_s="709", range_in_s="limited").get_frame(0)
    mixed = np.array([np.asarray(wrong[p])[100, 100] for p in range(3)])
    assert np.abs(mixed - np.array(colour)).max() > 0.02


def test_hd_stays_709_and_sd_to_sd_keeps_601():
    src = core.std.SetFrameProps(_yuv601_patch(0.8, 0.3, 0.2), _Matrix=6, _Primaries=6, _Transfer=6)
    f = resize_to(src, 704, 480, fit="stretch").get_frame(0)
    assert f.props["_Matrix"] == 6
    hd = core.std.BlankClip(width=1920, height=1080, format=vs.YUV420P10, length=1)
    assert resize_to(hd).get_frame(0).props["_Matrix"] == 1


def test_resize_to_is_deterministic():
    frames = textured_scene(6, 64, 48)

    def make():
        yuv = core.resize.Bicubic(from_arrays(frames), format=vs.YUV420P8, matrix_s="709")
        return resize_to(yuv, 256, 144)
    assert_deterministic(make)


@pytest.mark.parametrize("w, h, contain", [(854, 480, (3840, 2158)), (640, 480, (2880, 2160)),
                                           (480, 480, (2160, 2160)), (1080, 1920, (1216, 2160))])
def test_default_fit_keeps_the_aspect_and_pad_gives_exactly_uhd(w, h, contain):
    import vs_plugin
    src = core.std.BlankClip(width=w, height=h, format=vs.YUV420P8, length=1)
    assert (lambda c: (c.width, c.height))(vs_plugin.upscale(src, model="lanczos")) == contain
    padded = vs_plugin.upscale(src, model="lanczos", fit="pad")
    assert (padded.width, padded.height) == (3840, 2160)
