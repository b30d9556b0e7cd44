"""deinterlace(): telecined film back to its frames, combing found where the props say progressive."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs

import vs_plugin
from vs_plugin.core.combing import COMBED, comb_ratio
from vs_plugin.encode import find_ffmpeg

core = vs.core


def _ffmpeg(*args) -> None:
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *map(str, args)], check=True)


def _luma(clip: vs.VideoNode) -> list[np.ndarray]:
    return [np.asarray(f[0]).astype(np.int16) for f in clip.frames()]


@pytest.fixture(scope="module")
def film(tmp_path_factory) -> tuple[Path, Path]:
    """(23.976p film, the same telecined 3:2 to 29.97i top field first), both lossless."""
    d = tmp_path_factory.mktemp("film")
    prog, tele = d / "film.mkv", d / "telecined.mkv"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=720x480:rate=24000/1001", "-frames:v", 40, "-vf", "gblur=sigma=1",
            "-pix_fmt", "yuv420p",
            "-c:v", "ffv1", prog)
    _ffmpeg("-i", prog, "-vf", "telecine=first_field=top:pattern=23,setfield=tff", "-c:v", "ffv1", tele)
    return prog, tele


def test_ivtc_gives_the_film_frames_back_whole_at_the_film_rate(film):
    prog, tele = film
    src = core.bs.VideoSource(str(tele), cachemode=0)
    assert src.num_frames == 50 and src.fps == vs.Fraction(30000, 1001)  # 40 film frames, 3:2 pulled down
    out = vs_plugin.deinterlace(src, "ivtc")
    assert out.fps == vs.Fraction(24000, 1001) and out.num_frames == 40
    truth = _luma(core.bs.VideoSource(str(prog), cachemode=0))
    got = _luma(out)
    exact = sum(int(np.array_equal(g, t)) for g, t in zip(got, truth))
    assert exact >= 38, exact  # every film frame whole again (the matcher may miss at the ends)
    woven = _luma(src)
    assert sum(int(any(np.array_equal(w, t) for t in truth)) for w in woven) == 30  # 2 of every 5 are combed
    assert vs_plugin.deinterlace(src, "ivtc").get_frame(3).props["_FieldBased"] == 0


def test_combing_is_found_where_the_props_say_progressive(tmp_path, caplog):
    lying = tmp_path / "lying.mkv"  # woven 29.97i from 59.94p motion, flagged progressive
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=720x480:rate=60000/1001", "-t", 0.5,
            "-vf", "tinterlace=interleave_top,setfield=prog", "-pix_fmt", "yuv420p", "-c:v", "ffv1", lying)
    src = core.bs.VideoSource(str(lying), cachemode=0)
    assert src.get_frame(0).props.get("_FieldBased", 0) == 0
    assert comb_ratio(np.asarray(src.get_frame(5)[0])) > COMBED
    with caplog.at_level(logging.WARNING):
        out = vs_plugin.deinterlace(src)
    assert out.num_frames == 30 and out.fps == vs.Fraction(60000, 1001)
    assert "the frames look combed although the source says progressive" in caplog.text
    assert comb_ratio(np.asarray(out.get_frame(10)[0])) < COMBED
    assert vs_plugin.deinterlace(src, "off") is src
    honest = tmp_path / "progressive.mkv"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=720x480:rate=30000/1001", "-t", 0.5, "-pix_fmt", "yuv420p",
            "-c:v", "ffv1", honest)
    p = core.bs.VideoSource(str(honest), cachemode=0)
    assert vs_plugin.deinterlace(p) is p
