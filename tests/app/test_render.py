"""The render pipeline behind `steadyscale upscale`: files, ranges, resume, overwrites, sources."""

from __future__ import annotations

import os
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from commands import EXE, FAST, decode, run

from vs_plugin.encode import find_ffmpeg


def test_upscale_writes_a_complete_file_with_audio_and_colour_tags(clip_with_audio, tmp_path):
    out = tmp_path / "out.mkv"
    r = run("upscale", clip_with_audio, "-o", out, *FAST)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == b""
    with av.open(str(out)) as c:
        v = c.streams.video[0].codec_context
        assert (v.width, v.height, v.pix_fmt) == (320, 180, "yuv420p10le")  # x265 10-bit default
        assert (v.colorspace, v.color_primaries, v.color_trc) == (6, 6, 1)  # SD: BT.601 / ST 170M
        assert len(c.streams.audio) == 1
        assert sum(1 for _ in c.decode(video=0)) == 24
    assert not list(tmp_path.glob(".*partial*"))


def test_start_end_renders_exactly_that_range(clip_with_audio, tmp_path):
    full, part = tmp_path / "full.mkv", tmp_path / "part.mkv"
    assert run("upscale", clip_with_audio, "-o", full, *FAST, "--encoder", "ffv1").returncode == 0
    r = run("upscale", clip_with_audio, "-o", part, *FAST, "--encoder", "ffv1", "--start", 5, "--end", 12)
    assert r.returncode == 0, r.stderr.decode()
    a, b = decode(full), decode(part)
    assert len(b) == 7
    for i in range(7):
        assert np.array_equal(a[5 + i], b[i])


def test_interrupted_resume_equals_uninterrupted_render(clip_with_audio, tmp_path):
    ref, out = tmp_path / "ref.mkv", tmp_path / "out.mkv"
    assert run("upscale", clip_with_audio, "-o", ref, *FAST, "--encoder", "ffv1").returncode == 0
    seg = ["--encoder", "ffv1", "--resume", "--segment-frames", 5]
    r = run("upscale", clip_with_audio, "-o", out, *FAST, *seg, "--max-segments", 2)
    assert r.returncode == 2 and b"--resume" in r.stderr
    assert not out.exists()  # nothing under the final name
    parts = sorted((tmp_path / ".out.mkv.parts").glob("seg_*.nut"))
    assert len(parts) == 2
    r = subprocess.run([EXE, "-v", "upscale", str(clip_with_audio), "-o", str(out), *map(str, FAST), *map(str, seg)],
                       capture_output=True)
    assert r.returncode == 0, r.stderr.decode()
    rendered = re.findall(r"segment \[(\d+), (\d+)\) rendered", r.stderr.decode())
    # the two finished segments were kept: only the three missing ones were rendered
    assert [(int(a), int(b)) for a, b in rendered] == [(10, 15), (15, 20), (20, 24)]
    a, b = decode(ref), decode(out)
    assert len(a) == len(b) == 24
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    with av.open(str(out)) as c:
        assert len(c.streams.audio) == 1


def test_image_sequence_input_folder_and_glob(tmp_path):
    """A folder (or glob) of PNGs is a clip: exact 8- and 16-bit values, sorted order, and the
    CLI renders it frame for frame."""
    import cv2

    from vs_plugin.app.source import open_source
    from vs_plugin.host.arrays import frame_to_array
    rng = np.random.default_rng(3)
    seq = tmp_path / "seq"
    seq.mkdir()
    imgs = [rng.integers(0, 256, (18, 32, 3), dtype=np.uint8) for _ in range(3)]
    for i, im in enumerate(imgs):
        cv2.imwrite(str(seq / f"f{i:03d}.png"), im[..., ::-1])  # stored BGR, read back as RGB
    (seq / "notes.txt").write_text("not an image")
    for src in (str(seq), str(seq / "f*.png")):
        clip = open_source(src)
        assert (clip.num_frames, clip.width, clip.height) == (3, 32, 18)
        for n in (2, 0, 1):
            assert np.array_equal(frame_to_array(clip.get_frame(n)), imgs[n].astype(np.float32) / 255)
    deep = tmp_path / "deep"
    deep.mkdir()
    im16 = rng.integers(0, 65536, (8, 8, 3), dtype=np.uint16)
    cv2.imwrite(str(deep / "a.png"), im16[..., ::-1])
    got = frame_to_array(open_source(str(deep)).get_frame(0))
    assert np.array_equal(got, im16.astype(np.float32) / 65535)
    out = tmp_path / "out.mkv"
    r = run("upscale", seq, "-o", out, *FAST, "--encoder", "ffv1")
    assert r.returncode == 0, r.stderr.decode()
    with av.open(str(out)) as c:  # y4m has no RGB: an RGB source leaves as tagged YUV 4:4:4
        v = c.streams.video[0].codec_context
        assert (v.width, v.height, v.pix_fmt, v.colorspace) == (320, 180, "yuv444p10le", 6)
        assert sum(1 for _ in c.decode(video=0)) == 3


def test_resume_refuses_segments_made_with_other_settings(clip_with_audio, tmp_path):
    out = tmp_path / "out.mkv"
    seg = ["--encoder", "ffv1", "--resume", "--segment-frames", 5]
    assert run("upscale", clip_with_audio, "-o", out, *FAST, *seg, "--max-segments", 1).returncode == 2
    r = run("upscale", clip_with_audio, "-o", out, "--model", "lanczos", "--width", "640", "--height", "360",
            "-q", *seg)
    assert r.returncode == 2
    assert "were made with other settings (upscale.height, upscale.width differ)" in r.stderr.decode(), \
        r.stderr.decode()
    assert not out.exists()


def test_output_never_destroys_the_input_or_an_existing_file(clip_with_audio, tmp_path):
    src = tmp_path / "in.mp4"
    src.write_bytes(clip_with_audio.read_bytes())
    r = run("upscale", src, "-o", src, *FAST)
    assert r.returncode == 2 and f"-o {src} is the input file itself" in r.stderr.decode()
    assert src.read_bytes() == clip_with_audio.read_bytes()
    out = tmp_path / "o.mkv"
    out.write_bytes(b"keep me")
    r = run("upscale", src, "-o", out, *FAST)
    assert r.returncode == 2 and "exists; pass -y to overwrite it" in r.stderr.decode()
    assert out.read_bytes() == b"keep me"
    assert run("upscale", src, "-o", out, *FAST, "-y", "--end", 2).returncode == 0
    assert out.read_bytes() != b"keep me"


def test_resume_works_with_an_apostrophe_in_the_output_name(clip_with_audio, tmp_path):
    out = tmp_path / "it's done.mkv"
    r = run("upscale", clip_with_audio, "-o", out, *FAST, "--encoder", "ffv1", "--resume", "--segment-frames", 10)
    assert r.returncode == 0, r.stderr.decode()
    assert len(decode(out)) == 24


def test_audio_only_input_is_a_clear_error(tmp_path):
    src = tmp_path / "a.m4a"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=duration=1",
                    str(src)], check=True)
    r = run("upscale", src, "-o", tmp_path / "o.mkv", *FAST)
    assert r.returncode == 2
    assert r.stderr.decode().strip() == (f"steadyscale: steadyscale.source: {src} has no video stream (audio only?); "
                                         "give a video file or an image sequence")


def test_image_sequences_take_a_frame_rate(tmp_path):
    import cv2
    seq = tmp_path / "seq"
    seq.mkdir()
    for n in range(3):
        cv2.imwrite(str(seq / f"{n:04d}.png"), np.full((36, 64, 3), 40 * n, np.uint8))
    out = tmp_path / "o.mkv"
    r = run("upscale", seq, "-o", out, "--model", "lanczos", "--width", "128", "--height", "72", "-q",
            "--fps", "30000/1001")
    assert r.returncode == 0, r.stderr.decode()
    with av.open(str(out)) as c:
        assert c.streams.video[0].average_rate == Fraction(30000, 1001)
    r = run("upscale", seq, "-o", tmp_path / "p.mkv", *FAST, "--fps", "fast")
    assert r.returncode == 2
    assert "--fps must be a positive rate such as 25 or 30000/1001, got 'fast'" in r.stderr.decode()


@pytest.mark.parametrize("folder", ["/sys", "/proc/no-such-dir"])
@pytest.mark.parametrize("extra", [[], ["--resume"]])
def test_an_unwritable_output_folder_is_one_line_before_any_rendering(clip_with_audio, folder, extra):
    """/sys and /proc refuse new files even to root (a plain read-only mount needs privileges to
    make in a test)."""
    out = Path(folder) / "o.mkv"
    r = run("upscale", clip_with_audio, "-o", out, *FAST, *extra)
    err = r.stderr.decode().strip()
    assert r.returncode == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"steadyscale: steadyscale.upscale: -o {out}: cannot write into {out.parent} (")
    assert err.endswith("); choose another -o folder")


def test_an_existing_folder_as_output_is_refused_before_rendering(clip_with_audio, tmp_path):
    folder = tmp_path / "x.mkv"
    folder.mkdir()
    r = run("upscale", clip_with_audio, "-o", folder, *FAST, "-y")
    assert r.returncode == 2
    assert r.stderr.decode().strip() == (f"steadyscale: steadyscale.upscale: -o {folder} is a folder; give a file "
                                         f"name such as {folder / 'out.mkv'}")
    assert list(tmp_path.iterdir()) == [folder] and not list(folder.iterdir())


def test_a_second_render_to_the_same_output_is_refused_while_the_first_runs(clip_with_audio, tmp_path):
    from vs_plugin.app.output import OutputLock, lock_path
    from vs_plugin.encode.ffmpeg import partial_path

    out = tmp_path / "o.mkv"
    with OutputLock(out):  # as a render in progress holds it
        r = run("upscale", clip_with_audio, "-o", out, *FAST, "--end", 2)
        assert r.returncode == 2
        assert r.stderr.decode().strip() == (f"steadyscale: steadyscale.upscale: -o {out} is being written by "
                                             f"another steadyscale (pid {os.getpid()}); wait for it or choose "
                                             "another name")
        assert not out.exists()
    assert not lock_path(out).exists()  # released and removed
    r = run("upscale", clip_with_audio, "-o", out, *FAST, "--end", 2)
    assert r.returncode == 0, r.stderr.decode()
    assert not lock_path(out).exists() and len(decode(out)) == 2
    # partial files are this process's own: two writers never share one
    assert partial_path(out).name == f".o.partial-{os.getpid()}.mkv"


def test_a_frame_that_fails_to_render_says_why_in_one_line_and_v_adds_the_traceback(tmp_path):
    import cv2
    seq = tmp_path / "seq"
    seq.mkdir()
    for n in range(4):
        cv2.imwrite(str(seq / f"{n:04d}.png"), np.full((36, 64, 3), 40 * n, np.uint8))
    cv2.imwrite(str(seq / "0002.png"), np.full((30, 64, 3), 9, np.uint8))  # another size, mid-sequence
    out = tmp_path / "o.mkv"
    r = run("upscale", seq, "-o", out, *FAST)
    assert r.returncode == 2
    assert r.stderr.decode().strip() == (f"steadyscale: encoding failed: steadyscale.source: cannot read "
                                         f"{seq / '0002.png'} as a 64x36 image; nothing was written to {out}")
    r = run("-v", "upscale", seq, "-o", out, *FAST)
    err = r.stderr.decode()
    assert r.returncode == 2 and "Traceback (most recent call last)" in err and 'source.py", line' in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq"]


def test_an_anamorphic_dvd_keeps_its_display_shape_in_square_pixels(tmp_path):
    src = tmp_path / "dvd.mkv"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=720x480:rate=30000/1001", "-t", "0.2", "-vf", "setsar=32/27", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(src)], check=True)
    out = tmp_path / "o.mkv"
    r = run("upscale", src, "-o", out, "--model", "lanczos", "--width", "1920", "--height", "1080", "-q")
    assert r.returncode == 0, r.stderr.decode()
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.width, v.height) == (1920, 1080)  # 720x480 at 32:27 is 16:9 (it came out 1620x1080)
        assert v.sample_aspect_ratio == Fraction(1, 1)


@pytest.fixture(scope="module")
def interlaced_dvd(tmp_path_factory) -> Path:
    """A 720x480 29.97i clip (top field first, flagged as such) woven from 59.94p ground truth."""
    p = tmp_path_factory.mktemp("dvd") / "interlaced.mkv"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=720x480:rate=60000/1001", "-t", "0.5",
                    "-vf", "tinterlace=interleave_top,setfield=tff",
                    "-c:v", "libx264", "-flags", "+ilme+ildct", "-x264opts", "tff=1", "-pix_fmt", "yuv420p", str(p)],
                   check=True)
    return p


@pytest.mark.parametrize("mode, frames, rate", [("auto", 30, Fraction(60000, 1001)), ("bob", 30, Fraction(60000, 1001)),
                                                ("same-rate", 15, Fraction(30000, 1001))])
def test_interlaced_sources_are_deinterlaced_to_the_right_frame_count_and_rate(interlaced_dvd, tmp_path, mode,
                                                                               frames, rate):
    out = tmp_path / "o.mkv"
    r = run("upscale", interlaced_dvd, "-o", out, "--model", "lanczos", "--width", "1440", "--height", "960", "-q",
            "--deinterlace", mode)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stderr.decode().count("\n") == 1  # only the 'wrote' line: no timestamp warning
    with av.open(str(out)) as c:
        assert abs(float(c.streams.video[0].average_rate) - rate) < 0.01  # Matroska's clock is in ms
    assert len(decode(out)) == frames


def test_deinterlace_off_refuses_an_interlaced_source_and_auto_leaves_progressive_alone(interlaced_dvd,
                                                                                        clip_with_audio, tmp_path):
    import vapoursynth as vs

    import vs_plugin
    r = run("upscale", interlaced_dvd, "-o", tmp_path / "o.mkv", *FAST, "--deinterlace", "off")
    assert r.returncode == 2 and "the clip is interlaced (_FieldBased=2, top field first)" in r.stderr.decode()
    progressive = vs.core.bs.VideoSource(str(clip_with_audio), cachemode=0)
    assert vs_plugin.deinterlace(progressive) is progressive
    with pytest.raises(vs.Error, match="steadyscale.deinterlace: mode must be one of 'auto', 'bob', 'same-rate', "
                                       "'ivtc', 'off', got 'yadif'"):
        vs_plugin.deinterlace(progressive, "yadif")
