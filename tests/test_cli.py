"""The command line: encode pipeline, ranges, resume, presets, errors, stdout hygiene."""

from __future__ import annotations

import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vs_plugin.app.presets import PRESETS_DIR, list_presets
from vs_plugin.encode import find_ffmpeg

ROOT = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).parent / "steadyscale")
FAST = ["--model", "lanczos", "--width", "320", "--height", "180", "-q"]


@pytest.fixture(scope="module")
def clip_with_audio(tmp_path_factory) -> Path:
    """1 s of a 160x90 test pattern at 24 fps with a sine audio track (H.264 + AAC)."""
    p = tmp_path_factory.mktemp("src") / "in.mp4"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=160x90:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(p)],
                   check=True)
    return p


def run(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *map(str, args)], capture_output=True, **kw)


def decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray() for f in c.decode(video=0)]


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


def test_stdout_carries_only_y4m(clip_with_audio):
    r = run("upscale", clip_with_audio, "-o", "-", *FAST, "--end", 3)
    assert r.returncode == 0, r.stderr.decode()
    header, _, body = r.stdout.partition(b"\n")
    assert header.startswith(b"YUV4MPEG2 ") and b" W320 H180 " in header and b"C420p10" in header
    assert len(body) == 3 * (len(b"FRAME\n") + 320 * 180 * 3 // 2 * 2)  # 3 frames, nothing else


def test_every_preset_loads_and_builds_a_graph(clip_with_audio):
    from vs_plugin.app.render import RenderJob, build

    presets = list_presets()
    assert {p.name for p in presets} >= {"fast", "balanced", "quality", "portrait", "faithful"}
    for p in presets:
        up = dict(p.tables.get("upscale", {}), width=320, height=180)
        if up.get("model") == "builtin":
            from vs_plugin.models.registry import builtin_models
            if not builtin_models():
                pytest.skip("no built-in model shipped")
        _, out = build(RenderJob(str(clip_with_audio), Path("x.mkv"), up, p.tables.get("encode", {})))
        assert (out.width, out.height) == (320, 180)


def test_quality_preset_runs_the_ensemble_and_yields_to_model_lanczos(clip_with_audio, tmp_path):
    out = tmp_path / "q.mkv"
    r = run("upscale", clip_with_audio, "-o", out, "--preset", "quality", "--width", "320", "--height", "180",
            "--end", 3, "--encoder", "ffv1", "-q")
    assert r.returncode == 0, r.stderr.decode()
    assert len(decode(out)) == 3
    r = run("upscale", clip_with_audio, "-o", tmp_path / "l.mkv", "--preset", "quality", *FAST, "--end", 3)
    assert r.returncode == 0, r.stderr.decode()  # the preset's ensemble does not apply to Lanczos
    r = run("upscale", clip_with_audio, "-o", tmp_path / "e.mkv", *FAST, "--ensemble")
    assert r.returncode != 0 and b"ensemble=True needs a torch model" in r.stderr


def test_bad_preset_and_bad_flag_give_one_line_errors(clip_with_audio, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[upscale]\nstabilty = 0.5\n")
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", "--preset", bad)
    err = r.stderr.decode().strip()
    assert r.returncode == 2 and len(err.splitlines()) == 1
    assert "preset bad.toml: [upscale] unknown parameter 'stabilty'" in err
    bad.write_text("[upscale]\nstability = 2\n")
    err = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", "--preset", bad).stderr.decode().strip()
    assert err == ("steadyscale: steadyscale.upscale: preset bad.toml: [upscale] stability must be a number "
                   "in [0, 1], got 2")
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", "--fit", "zoom")
    err = r.stderr.decode().strip()
    assert r.returncode == 2 and len(err.splitlines()) == 1 and "--fit" in err and "'zoom'" in err
    r = run("upscale", tmp_path / "missing.mp4", "-o", tmp_path / "o.mkv", *FAST)
    missing = tmp_path / "missing.mp4"
    assert r.returncode == 2
    assert r.stderr.decode().strip() == f"steadyscale: steadyscale.source: input not found: {missing}"


def test_help_reads_well():
    r = run("--help")
    assert r.returncode == 0 and b"upscale" in r.stdout and b"script" in r.stdout
    for cmd in ("upscale", "script", "presets", "models", "bench", "demo"):
        r = run(cmd, "--help")
        assert r.returncode == 0 and b"usage: steadyscale " + cmd.encode() in r.stdout


def test_script_writes_a_vpy_that_vspipe_renders(clip_with_audio, tmp_path):
    vpy = tmp_path / "edit.vpy"
    r = run("script", clip_with_audio, "-o", vpy, *FAST[:-1], "--end", 6)
    assert r.returncode == 0, r.stderr.decode()
    text = vpy.read_text()
    assert "vs_plugin.upscale(" in text and "model='lanczos'" in text
    vspipe = Path(sys.executable).parent / "vspipe"
    p = subprocess.run([str(vspipe), "-c", "y4m", str(vpy), "-"], capture_output=True)
    assert p.returncode == 0, p.stderr.decode()
    header, _, body = p.stdout.partition(b"\n")
    assert b" W320 H180 " in header
    assert len(body) == 6 * (len(b"FRAME\n") + 320 * 180 * 3 // 2 * 2)


def test_presets_listed(tmp_path):
    r = run("presets", "list")
    assert r.returncode == 0
    names = [line.split()[0] for line in r.stdout.decode().splitlines()]
    assert names == sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


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
    assert ("were made with other settings (range, upscale.height, upscale.width differ)" in r.stderr.decode()
            or "upscale.height, upscale.width differ" in r.stderr.decode()), r.stderr.decode()
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


def test_ffmpeg_failures_say_why(clip_with_audio, tmp_path):
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", *FAST, "--end", 2, "--encoder-args=-bogus 1")
    assert r.returncode == 2
    assert r.stderr.decode().strip().startswith(f"steadyscale: ffmpeg failed writing {tmp_path / 'o.mkv'}: ")
    assert "Option not found" in r.stderr.decode()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("flag, message", [
    (["--device", "nonsense"], "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'nonsense'"),
    (["--model", "builtin-face-x4"], "model 'builtin-face-x4' is a face-sr model; use it with face_layer()"),
])
def test_bad_values_are_one_line_errors_at_graph_build(clip_with_audio, tmp_path, flag, message):
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", "--width", "320", "--height", "180", "-q", *flag)
    assert r.returncode == 2
    assert r.stderr.decode().strip() == f"steadyscale: steadyscale.upscale: {message}"


def test_a_model_listed_by_name_renders(clip_with_audio, tmp_path):
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", "--model", "builtin-clean-x2", "--width", "320",
            "--height", "180", "-q", "--end", 2)
    assert r.returncode == 0, r.stderr.decode()


def test_resume_works_with_an_apostrophe_in_the_output_name(clip_with_audio, tmp_path):
    out = tmp_path / "it's done.mkv"
    r = run("upscale", clip_with_audio, "-o", out, *FAST, "--encoder", "ffv1", "--resume", "--segment-frames", 10)
    assert r.returncode == 0, r.stderr.decode()
    assert len(decode(out)) == 24


def test_sigint_exits_130_and_leaves_no_output(clip_with_audio, tmp_path):
    import signal
    import time
    out = tmp_path / "o.mkv"
    p = subprocess.Popen([EXE, "upscale", str(clip_with_audio), "-o", str(out), "--model", "builtin-clean",
                          "--width", "1280", "--height", "720", "--encoder", "ffv1"], stderr=subprocess.PIPE)
    t0 = time.time()
    while not list(tmp_path.glob(".*partial*")) and time.time() - t0 < 60:
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err.decode()
    assert not out.exists() and not list(tmp_path.iterdir())


def test_script_builds_the_same_graph_as_the_command(clip_with_audio, tmp_path):
    args = ["--model", "lanczos", "--width", "320", "--height", "240", "--fit", "pad", "--end", "4"]
    script = tmp_path / "same.vpy"
    assert run("script", clip_with_audio, "-o", script, *args).returncode == 0
    piped = subprocess.run([str(Path(sys.executable).parent / "vspipe"), "-c", "y4m", str(script), "-"],
                           capture_output=True)
    assert piped.returncode == 0, piped.stderr.decode()
    direct = run("upscale", clip_with_audio, "-o", "-", *args, "-q")
    assert direct.returncode == 0
    assert piped.stdout == direct.stdout


@pytest.mark.parametrize("encoder, bits, want", [("libx265", 12, "yuv420p12le"), ("libx264", 8, "yuv420p")])
def test_bits_reach_the_encoder(clip_with_audio, tmp_path, encoder, bits, want):
    out = tmp_path / "o.mkv"
    r = run("upscale", clip_with_audio, "-o", out, *FAST, "--end", 2, "--encoder", encoder, "--bits", bits)
    assert r.returncode == 0, r.stderr.decode()
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.pix_fmt == want


def test_bits_an_encoder_cannot_take_are_refused(clip_with_audio, tmp_path):
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", *FAST, "--bits", 16)
    assert r.returncode == 2
    assert r.stderr.decode().strip() == ("steadyscale: steadyscale.upscale: --bits 16 with libx265: it encodes 8, "
                                         "10 or 12 bits; use --encoder ffv1 (or prores) for more")
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def clip_with_subtitles(clip_with_audio, tmp_path_factory) -> Path:
    """The test clip with an MP4 text (mov_text) subtitle track."""
    d = tmp_path_factory.mktemp("subs")
    (d / "s.srt").write_text("1\n00:00:00,000 --> 00:00:00,500\nhello\n")
    p = d / "subs.mp4"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(clip_with_audio), "-i",
                    str(d / "s.srt"), "-map", "0", "-map", "1", "-c:v", "copy", "-c:a", "copy", "-c:s", "mov_text",
                    str(p)], check=True)
    return p


@pytest.mark.parametrize("ext, codec", [(".mkv", "srt"), (".mp4", "mov_text")])
def test_text_subtitles_are_converted_for_the_container(clip_with_subtitles, tmp_path, ext, codec):
    out = tmp_path / f"o{ext}"
    r = run("upscale", clip_with_subtitles, "-o", out, *FAST, "--end", 4, "--encoder", "libx264")
    assert r.returncode == 0, r.stderr.decode()
    with av.open(str(out)) as c:
        assert [s.codec_context.name for s in c.streams.subtitles] == [codec]
        assert len(c.streams.audio) == 1


@pytest.mark.parametrize("name, message", [
    ("o.webm", ".webm cannot hold libx265 video; use .m4v, .mkv, .mov, .mp4, .nut or another --encoder"),
    ("o.xyz", "unknown container '.xyz'; use one of .m4v, .mkv, .mov, .mp4, .nut, .webm"),
])
def test_containers_that_cannot_work_are_refused_before_rendering(clip_with_audio, tmp_path, name, message):
    r = run("upscale", clip_with_audio, "-o", tmp_path / name, *FAST)
    assert r.returncode == 2
    assert r.stderr.decode().strip() == f"steadyscale: steadyscale.upscale: -o {tmp_path / name}: {message}"
    assert not list(tmp_path.iterdir())


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


@pytest.fixture(scope="module")
def late_video(tmp_path_factory) -> Path:
    """Video that starts 0.852 s after its audio (as a concert clip did): a white flash at video
    frame 12 (1.352 s on the file's timeline) and a beep starting at exactly 1.352 s."""
    d = tmp_path_factory.mktemp("late")
    v = d / "v.mp4"
    with av.open(str(v), "w") as c:
        st = c.add_stream("libx264", rate=24)
        st.width, st.height, st.pix_fmt = 160, 96, "yuv420p"
        for n in range(36):
            img = np.full((96, 160, 3), 255 if n == 12 else 0, np.uint8)
            for pkt in st.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(pkt)
        for pkt in st.encode():
            c.mux(pkt)
    out = d / "late.mkv"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-itsoffset", "0.852", "-i", str(v),
                    "-f", "lavfi", "-i", "aevalsrc='if(between(t,1.352,1.452),sin(2*PI*1000*t),0)':s=48000:d=3",
                    "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "flac", str(out)], check=True)
    return out


def _flash_and_beep(path: Path) -> tuple[float, float]:
    with av.open(str(path)) as c:
        flash = next(f.time for f in c.decode(video=0) if f.to_ndarray(format="gray").mean() > 128)
    with av.open(str(path)) as c:
        for f in c.decode(audio=0):
            x = f.to_ndarray()[0]
            hit = np.nonzero(np.abs(x) > 0.3)[0]
            if hit.size:
                return flash, f.time + hit[0] / f.sample_rate
    raise AssertionError("no beep")


@pytest.mark.parametrize("extra", [[], ["--start", "6"], ["--resume", "--segment-frames", "10"]])
def test_audio_stays_in_sync_when_the_video_starts_late(late_video, tmp_path, extra):
    flash, beep = _flash_and_beep(late_video)
    assert abs(flash - beep) < 0.005  # the source itself is in sync
    out = tmp_path / "o.mkv"
    r = run("upscale", late_video, "-o", out, "--model", "lanczos", "--width", "320", "--height", "192", "-q",
            "--encoder", "ffv1", *extra)
    assert r.returncode == 0, r.stderr.decode()
    flash, beep = _flash_and_beep(out)
    assert abs(flash - beep) < 0.025, (flash, beep)  # within half a frame at 24 fps


@pytest.fixture(scope="module")
def vfr_clip(tmp_path_factory) -> Path:
    """A variable-rate clip: 24 frames at 1/24 s, then 24 at 1/12 s (as phones record), with audio."""
    p = tmp_path_factory.mktemp("vfr") / "vfr.mkv"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=160x90:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", "3", "-vf", "setpts='if(lt(N,24),N/24,1+(N-24)/12)/TB'", "-fps_mode", "passthrough",
                    "-c:v", "libx264", "-g", "12", "-c:a", "flac", str(p)], check=True)
    return p


def _video_times(path: Path) -> list[float]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return sorted(float(p.pts * s.time_base) for p in c.demux(s) if p.pts is not None)


@pytest.mark.parametrize("ext", ["mkv", "mp4"])
@pytest.mark.parametrize("extra", [[], ["--start", "20", "--end", "40"], ["--resume", "--segment-frames", "10"]])
def test_variable_frame_rate_input_keeps_its_timestamps(vfr_clip, tmp_path, ext, extra):
    src = _video_times(vfr_clip)
    assert src[25] - src[24] > 0.08 > src[1] - src[0]  # the source really is variable-rate
    out = tmp_path / f"o.{ext}"
    r = run("upscale", vfr_clip, "-o", out, *FAST, *extra)
    assert r.returncode == 0, r.stderr.decode()
    want = src[20:40] if "--start" in extra else src
    want = [t - want[0] for t in want]
    got = _video_times(out)
    assert len(got) == len(want)
    assert max(abs(a - b) for a, b in zip(got, want)) < 0.0015, list(zip(got, want))


def test_a_range_in_matroska_has_audio_exactly_as_long_as_its_video(clip_with_audio, tmp_path):
    out = tmp_path / "r.mkv"
    r = run("upscale", clip_with_audio, "-o", out, *FAST, "--start", "5", "--end", "17")
    assert r.returncode == 0, r.stderr.decode()
    with av.open(str(out)) as c:
        spans = {}
        for s in (c.streams.video[0], c.streams.audio[0]):
            c.seek(0)
            pk = [p for p in c.demux(s) if p.pts is not None]
            spans[s.type] = float(min(p.pts for p in pk) * s.time_base), float(
                sum(p.duration for p in pk) * s.time_base)
    assert abs(spans["audio"][0] - spans["video"][0]) < 0.002, spans  # no audio before the first frame
    assert abs(spans["audio"][1] - 12 / 24) < 0.002, spans  # nor after the last


HDR10 = {"MasteringDisplayPrimariesX": [0.68, 0.265, 0.15], "MasteringDisplayPrimariesY": [0.32, 0.69, 0.06],
         "MasteringDisplayWhitePointX": 0.3127, "MasteringDisplayWhitePointY": 0.329,
         "MasteringDisplayMaxLuminance": 1000.0, "MasteringDisplayMinLuminance": 0.005,
         "ContentLightLevelMax": 1000, "ContentLightLevelAverage": 400}


@pytest.mark.parametrize("encoder", ["libx265", "libx264"])
def test_hdr10_mastering_display_and_light_levels_are_kept(tmp_path, encoder):
    import vapoursynth as vs
    src = tmp_path / "hdr.mkv"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=160x90:rate=24", "-t", "0.25", "-pix_fmt", "yuv420p10le", "-c:v", "libx265",
                    "-x265-params", "log-level=error:hdr10=1:colorprim=bt2020:transfer=smpte2084:"
                    "colormatrix=bt2020nc:master-display=G(13250,34500)B(7500,3000)R(34000,16000)"
                    "WP(15635,16450)L(10000000,50):max-cll=1000,400", str(src)], check=True)
    out = tmp_path / "o.mkv"
    r = run("upscale", src, "-o", out, *FAST, "--encoder", encoder)
    assert r.returncode == 0, r.stderr.decode()
    for path in (src, out):
        props = vs.core.bs.VideoSource(str(path), cachemode=0).get_frame(0).props
        flat = lambda d: np.hstack([np.ravel(d[k]) for k in HDR10]).astype(float)  # noqa: E731
        assert flat(props) == pytest.approx(flat(HDR10), abs=1e-4), path
        assert (props["_Transfer"], props["_Primaries"], props["_Matrix"]) == (16, 9, 9)


def test_a_file_damaged_in_the_middle_keeps_its_frames_in_time(tmp_path):
    """Frames lost to corruption leave a gap: the rest must not slide earlier (out of sync with
    the audio), as they did when every frame was renumbered at the nominal rate."""
    good = tmp_path / "good.mkv"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=320x180:rate=24", "-t", "4", "-c:v", "libx264", "-g", "24", str(good)], check=True)
    data = bytearray(good.read_bytes())
    rng = np.random.default_rng(1)
    mid = len(data) // 2
    data[mid:mid + 3000] = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(bytes(data))
    src = _video_times(bad)
    assert len(src) < 96 and max(np.diff(src)) > 0.5  # frames really are lost
    out = tmp_path / "o.mkv"
    r = run("upscale", bad, "-o", out, *FAST[:-1])
    assert r.returncode == 0, r.stderr.decode()
    assert "damaged or paused" in r.stderr.decode()
    got = _video_times(out)
    assert len(got) == len(src) and max(abs(a - b) for a, b in zip(got, src)) < 0.0015


def test_every_upscale_and_encode_parameter_is_an_option_with_the_descriptors_type_and_choices():
    from vs_plugin.cli.main import build_parser
    from vs_plugin.effects.encode import ENCODE
    from vs_plugin.effects.upscale import UPSCALE
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices
    not_flags = {"size": "--uhd/--dci", "format": "follows --bits"}
    for command in ("upscale", "script", "serve"):
        actions = {a.dest: a for a in sub[command]._actions}
        for effect in (UPSCALE, ENCODE):
            for p in effect.params:
                if p.name in not_flags or (p.name == "segment_frames" and command != "upscale"):
                    continue
                a = actions[p.name]
                assert a.option_strings[0] == "--" + p.name.replace("_", "-"), (command, p.name)
                assert a.default is None and p.doc in a.help
                if p.kind == "choice":
                    assert tuple(a.choices) == p.choices
    args = sub["upscale"].parse_args(["in.mp4", "-o", "o.mkv", "--tile", "128x64", "--flow-preset", "fast",
                                      "--no-ensemble", "--kernel", "spline36"])
    assert (args.tile, args.flow_preset, args.ensemble, args.kernel) == ((128, 64), "fast", False, "spline36")


def test_a_bad_tile_is_a_one_line_error_naming_the_flag(clip_with_audio, tmp_path):
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", *FAST, "--tile", "8by8")
    err = r.stderr.decode().strip().splitlines()
    assert r.returncode == 2 and "argument --tile: must be WxH or 'auto', got '8by8'" in err[-1]
