"""Batch renders: a folder or several inputs in one command, output names, skips and failures."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from commands import FAST, decode, run

from vs_plugin.app.batch import plan
from vs_plugin.encode import find_ffmpeg
from vs_plugin.errors import SteadyscaleError


def _clip(path: Path, frames: int, pattern: str = "testsrc2") -> Path:
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"{pattern}=size=160x90:rate=24", "-frames:v", str(frames), "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Three short clips of different lengths and containers, and a file that is not a video."""
    d = tmp_path_factory.mktemp("batch") / "clips"
    d.mkdir()
    _clip(d / "a.mp4", 6)
    _clip(d / "b.mkv", 8, "smptebars")
    _clip(d / "c.mov", 7, "rgbtestsrc")
    (d / "notes.txt").write_text("not a video")
    return d


def test_a_folder_of_three_clips_renders_to_three_outputs_and_a_rerun_skips_them(folder, tmp_path):
    out = tmp_path / "out"
    r = run("upscale", folder, "-o", f"{out}/", *FAST, "--encoder", "ffv1")
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert f"[1/3] {folder / 'a.mp4'} -> {out / 'a.steadyscale.mkv'}" in err
    assert re.search(r"steadyscale: 3 of 3 written in [\d.]+s\n$", err), err
    for name, frames in (("a", 6), ("b", 8), ("c", 7)):
        assert len(decode(out / f"{name}.steadyscale.mkv")) == frames
    assert sorted(p.name for p in out.iterdir()) == ["a.steadyscale.mkv", "b.steadyscale.mkv", "c.steadyscale.mkv"]
    again = run("upscale", folder, "-o", out, *FAST, "--encoder", "ffv1")
    assert again.returncode == 0
    assert f"[2/3] skipped {folder / 'b.mkv'}: {out / 'b.steadyscale.mkv'} exists (-y replaces it)" \
           in again.stderr.decode()
    assert "0 of 3 written" in again.stderr.decode() and "3 skipped (outputs exist)" in again.stderr.decode()


def test_a_failing_input_is_reported_and_the_others_are_written(folder, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 1000)
    r = run("upscale", folder / "a.mp4", broken, folder / "c.mov", "-o", tmp_path / "out", "--name",
            "{stem}_{height}p.mp4", *FAST)
    err = r.stderr.decode()
    assert r.returncode == 2
    assert f"[2/3] {broken} failed: steadyscale.source: cannot open {broken}" in err
    assert err.rstrip().endswith(f"2 of 3 written in {err.split(' written in ')[1].split('s,')[0]}s, "
                                 f"1 failed: {broken}")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_180p.mp4", "c_180p.mp4"]


def test_without_o_each_output_lands_beside_its_input_and_is_not_taken_for_an_input(tmp_path):
    src = _clip(tmp_path / "holiday.mp4", 5)
    r = run("upscale", src, *FAST)
    assert r.returncode == 0, r.stderr.decode()
    assert f"wrote {tmp_path / 'holiday.steadyscale.mkv'}" in r.stderr.decode()
    r = run("upscale", tmp_path, *FAST)  # the folder now holds the input and its output
    assert r.returncode == 0
    assert "[1/1] skipped" in r.stderr.decode() and "0 of 1 written" in r.stderr.decode()


def test_the_plan_is_checked_whole_before_anything_renders(folder, tmp_path):
    twin = tmp_path / "a.mkv"
    twin.write_bytes(b"")
    with pytest.raises(SteadyscaleError, match=r"a\.mp4 and .*a\.mkv would both be written to .*a\.steadyscale\.mkv; "
                                               r"add \{ext\} to --name"):
        plan([str(folder / "a.mp4"), str(twin)], str(tmp_path / "o") + "/", "{stem}.steadyscale.mkv", 3840, 2160,
             "balanced")
    items = plan([str(folder / "a.mp4"), str(twin)], str(tmp_path / "o") + "/", "{stem}-{ext}.mkv", 3840, 2160,
                 "balanced")
    assert [i.output.name for i in items] == ["a-mp4.mkv", "a-mkv.mkv"]
    with pytest.raises(SteadyscaleError, match=r"--name '\{title\}.mkv': unknown field \{title\}; fields: \{stem\}"):
        plan([str(twin)], None, "{title}.mkv", 3840, 2160, "balanced")
    with pytest.raises(SteadyscaleError, match=r"--name '\{stem\}.avi' must end in .mkv, .mp4, .mov"):
        plan([str(twin)], None, "{stem}.avi", 3840, 2160, "balanced")
    with pytest.raises(SteadyscaleError, match=r"-o x.mkv: 3 inputs need an output folder"):
        plan([str(folder)], "x.mkv", "{stem}.mkv", 3840, 2160, "balanced")
    with pytest.raises(SteadyscaleError, match=r"-o - \(y4m on stdout\) takes one input; got 3"):
        plan([str(folder)], "-", "{stem}.mkv", 3840, 2160, "balanced")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SteadyscaleError, match=r"empty holds neither images nor video files"):
        plan([str(tmp_path / "empty")], None, "{stem}.mkv", 3840, 2160, "balanced")


def test_the_time_left_is_estimated_once_the_first_frames_are_timed(clip_with_audio, tmp_path):
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", *FAST[:-1])  # without -q
    err = r.stderr.decode()
    assert r.returncode == 0, err
    m = re.search(r"steadyscale: upscale: about (\d+s|\d+m \d\ds) left for (\d+) of 24 frames "
                  r"\(([\d.]+) s a frame, timed over (\d+)\)", err)
    assert m, err
    assert int(m.group(4)) >= 1 and 0 < int(m.group(2)) < 24
    quiet = run("upscale", clip_with_audio, "-o", tmp_path / "q.mkv", *FAST)
    assert "left for" not in quiet.stderr.decode()
