"""``steadyscale compare``: the frame at a time, three ways, in one PNG."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from commands import run

from vs_plugin.app.compare import comparison, detail_crop, frame_at, parse_time
from vs_plugin.app.render import RenderJob, build
from vs_plugin.errors import SteadyscaleError
from vs_plugin.host.arrays import rgb_array

SIZE = ["--width", "320", "--height", "180"]


def test_compare_writes_the_frame_at_a_time_as_source_lanczos_and_steadyscale(clip_with_audio, tmp_path):
    out = tmp_path / "c.png"
    r = run("compare", clip_with_audio, "--at", "0:00.5", "-o", out, "--model", "builtin-clean", *SIZE)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stderr.decode() == f"steadyscale: wrote {out} (frame 12)\n"  # 0.5 s at 24 fps
    png = cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB)
    assert png.shape == (549 + 8 + 180, 3 * 320 + 2 * 8, 3)  # whole frame scaled to the row's width, crops below
    crops = png[549 + 8:]
    u8 = lambda a: (np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)  # noqa: E731
    for i, (model, kernel) in enumerate((("lanczos", "point"), ("lanczos", "lanczos"), ("builtin-clean", "lanczos"))):
        job = RenderJob(str(clip_with_audio), Path("-"),
                        upscale=dict(width=320, height=180, model=model, kernel=kernel))
        expect = u8(rgb_array(build(job)[1], 12))
        panel = crops[:, i * 328:i * 328 + 320]
        assert np.array_equal(panel[50:], expect[50:]), i  # below the label, the frame's own pixels
    again = run("compare", clip_with_audio, "--at", "0.5", "-o", out, *SIZE)
    assert again.returncode == 2 and f"{out} exists; pass -y to overwrite it" in again.stderr.decode()


def test_compare_refuses_a_time_past_the_end_and_a_non_png(clip_with_audio, tmp_path):
    r = run("compare", clip_with_audio, "--at", "3", "-o", tmp_path / "c.png", "--model", "lanczos", *SIZE)
    assert r.stderr.decode().strip() == "steadyscale: steadyscale.compare: --at 3 is past the clip's end (0.96s)"
    r = run("compare", clip_with_audio, "--frame", "2", "-o", tmp_path / "c.jpg", "--model", "lanczos", *SIZE)
    assert r.stderr.decode().strip() == (f"steadyscale: steadyscale.compare: -o {tmp_path / 'c.jpg'}: the "
                                         "comparison is a PNG; give a name ending in .png")
    default = run("compare", clip_with_audio, "--frame", "2", "--model", "lanczos", *SIZE)
    made = clip_with_audio.with_name("in.compare-000002.png")
    assert default.returncode == 0 and made.is_file()
    made.unlink()


def test_times_frames_and_the_crop():
    assert parse_time("12.5") == Fraction(25, 2) and parse_time("1:02.5") == Fraction(125, 2)
    assert parse_time("1:00:00") == 3600
    with pytest.raises(SteadyscaleError, match=r"--at must be seconds \(12.5\), M:SS or H:MM:SS, got '1h'"):
        parse_time("1h")
    times = [Fraction(n, 24) for n in range(10)]
    assert [frame_at(times, Fraction(t)) for t in (0, Fraction(1, 24), Fraction(1, 23), Fraction(9, 24) + 1)] \
        == [0, 1, 1, 9]
    img = np.zeros((200, 300, 3), np.float32)
    img[120:160, 200:260] = np.indices((40, 60)).sum(0)[..., None] % 2  # a checkerboard: all the detail
    x, y = detail_crop(img, 64)
    assert 196 <= x <= 200 and 96 <= y <= 120 and x + 64 <= 300 and y + 64 <= 200
    pic = comparison(img, img, img, ("a", "b", "c"), at=(1000, 1000), side=64)  # a crop past the edge is clamped
    assert pic.shape == (round(200 * (3 * 64 + 16) / 300) + 8 + 64, 3 * 64 + 16, 3)
