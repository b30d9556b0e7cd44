"""Every public function validates at graph-build time with a message naming the bad value."""

from __future__ import annotations

import re

import pytest
import vapoursynth as vs

from vs_plugin import resize_to, scene_changes

core = vs.core


def yuv(w=64, h=48, fmt=vs.YUV420P8, n=2):
    return core.std.BlankClip(width=w, height=h, format=fmt, length=n)


def raises(msg: str):
    return pytest.raises(vs.Error, match="^" + re.escape(msg))


def test_width_must_be_even_for_420():
    with raises("steadyscale.resize_to: width must be a multiple of 2 for YUV420, got 3839"):
        resize_to(yuv(), 3839, 2160)
    with raises("steadyscale.resize_to: height must be a multiple of 2 for YUV420, got 2161"):
        resize_to(yuv(), 3840, 2161)
    with raises("steadyscale.resize_to: width must be a multiple of 2 for YUV422, got 101"):
        resize_to(yuv(fmt=vs.YUV422P10), 101, 100)
    assert resize_to(yuv(fmt=vs.YUV422P10), 100, 101, fit="stretch").height == 101


def test_parameters_out_of_range():
    with raises("steadyscale.resize_to: width must be an integer in [16, 16384], got 0"):
        resize_to(yuv(), 0, 100)
    with raises("steadyscale.resize_to: fit must be one of 'contain', 'cover', 'stretch', 'pad', got 'zoom'"):
        resize_to(yuv(), fit="zoom")
    with raises("steadyscale.resize_to: kernel must be one of 'lanczos'"):
        resize_to(yuv(), kernel="sinc")
    with raises("steadyscale.resize_to: size must be one of 'uhd', 'dci', 'hd' or None, got '8k'"):
        resize_to(yuv(), size="8k")
    with raises("steadyscale.resize_to: width must be an integer in [16, 16384], got 1920.5"):
        resize_to(yuv(), 1920.5, 1080)
    with raises("steadyscale.resize_to: format must be a vapoursynth video format id, got 12345"):
        resize_to(yuv(), format=12345)
    with raises("steadyscale.scene_changes: threshold must be in (0, 1], got 0"):
        scene_changes(yuv(), threshold=0)


def test_bad_clips():
    with raises("steadyscale.resize_to: clip must be a vapoursynth.VideoNode, got str"):
        resize_to("video.mp4")
    variable_format = core.std.Splice([yuv(), yuv(fmt=vs.YUV420P10)], mismatch=True)
    with raises("steadyscale.resize_to: clip has a variable format"):
        resize_to(variable_format)
    variable_size = core.std.Splice([yuv(), yuv(w=80)], mismatch=True)
    with raises("steadyscale.resize_to: clip has a variable size"):
        resize_to(variable_size)
    with raises("steadyscale.resize_to: clip has unsupported subsampling in YUV410P8; allowed: 4:2:0, 4:2:2, 4:4:4"):
        resize_to(yuv(fmt=vs.YUV410P8))
    p32 = core.query_video_format(vs.YUV, vs.INTEGER, 32, 1, 1)
    with raises("steadyscale.resize_to: clip has unsupported bit depth 32 in YUV420P32"):
        resize_to(yuv(fmt=p32.id))
    with raises("steadyscale.scene_changes: clip must be a vapoursynth.VideoNode, got NoneType"):
        scene_changes(None)


def test_errors_are_raised_when_the_graph_is_built_not_per_frame():
    clip = yuv(n=5000)
    with pytest.raises(vs.Error):
        resize_to(clip, 3839, 2160)  # no frame was requested: the check ran at build time


def test_one_frame_clip_works():
    out = resize_to(yuv(n=1), 128, 96)
    assert out.num_frames == 1 and out.get_frame(0).width == 128
