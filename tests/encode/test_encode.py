"""Encoding: ffmpeg's errors, bit depths, containers, subtitles, audio sync, timestamps, HDR10."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from commands import FAST, decode, run

from vs_plugin.encode import find_ffmpeg


@pytest.mark.parametrize("args, cause", [
    ("-bogus 1", "Unrecognized option 'bogus'."),
    ("-preset nonsense", "Error setting preset/tune nonsense/(null)."),  # the encoder's own line, not the last
])
def test_ffmpeg_failures_say_why(clip_with_audio, tmp_path, args, cause):
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", *FAST, "--end", 2, f"--encoder-args={args}")
    assert r.returncode == 2
    assert r.stderr.decode().strip() == f"steadyscale: ffmpeg failed writing {tmp_path / 'o.mkv'}: {cause}"
    assert not list(tmp_path.iterdir())


def _ts_with_broken_audio(folder: Path) -> Path:
    """A 3 s MPEG-TS (H.264 + AAC) whose AAC is garbled for a stretch in the middle, as a
    damaged broadcast recording is: its audio cannot be stream-copied (ffmpeg stops with 183)."""
    good = folder / "good.ts"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=160x90:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(good)],
                   check=True)
    data = bytearray(good.read_bytes())
    pid = lambda i: ((data[i + 1] & 0x1F) << 8) | data[i + 2]  # noqa: E731
    audio = [i for i in range(0, len(data), 188) if pid(i) == 0x101]  # ffmpeg's first audio PID
    rng = np.random.default_rng(0)
    for i in audio[len(audio) // 3: len(audio) // 3 + 6]:
        data[i + 4:i + 188] = rng.integers(0, 256, 184, dtype=np.uint8).tobytes()
    bad = folder / "bad.ts"
    bad.write_bytes(bytes(data))
    copy = subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(bad), "-map", "0:a",
                           "-c", "copy", str(folder / "a.mkv")], capture_output=True)
    assert copy.returncode != 0  # really damaged
    return bad


def test_broken_audio_costs_the_audio_not_the_render(tmp_path):
    bad = _ts_with_broken_audio(tmp_path)
    out = tmp_path / "o.mkv"
    r = run("upscale", bad, "-o", out, *FAST)
    assert r.returncode == 0, r.stderr.decode()
    assert "could not be copied (Error parsing ADTS frame header!)" in r.stderr.decode()
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]
        assert c.streams.audio[0].codec_context.name == "flac"  # decoded past the damage, encoded again
    assert len(decode(out)) == 72
    assert not list(tmp_path.glob(".*partial*"))


def test_audio_tracks_and_subtitles_can_be_chosen(clip_with_subtitles, tmp_path):
    kept = {}
    for name, flags in {"none": ["--no-audio"], "first": ["--audio-tracks", "1"], "nosubs": ["--no-subs"]}.items():
        out = tmp_path / f"{name}.mkv"
        r = run("upscale", clip_with_subtitles, "-o", out, *FAST, "--end", 4, *flags)
        assert r.returncode == 0, r.stderr.decode()
        with av.open(str(out)) as c:
            kept[name] = [s.type for s in c.streams]
    assert kept == {"none": ["video", "subtitle"], "first": ["video", "audio", "subtitle"],
                    "nosubs": ["video", "audio"]}
    r = run("upscale", clip_with_subtitles, "-o", tmp_path / "x.mkv", *FAST, "--audio-tracks", "2")
    assert r.returncode == 2 and not (tmp_path / "x.mkv").exists()
    assert r.stderr.decode().strip() == (f"steadyscale: steadyscale.encode: audio_tracks 2: {clip_with_subtitles} "
                                         "has 1 audio track(s)")


@pytest.mark.parametrize("name, encoder, tag", [("o.mp4", "libx265", "hvc1"), ("o.mov", "libx265", "hvc1"),
                                                ("o.mp4", "libx264", "avc1")])
def test_mp4_and_mov_carry_the_video_tag_apple_devices_play(clip_with_audio, tmp_path, name, encoder, tag):
    out = tmp_path / name
    r = run("upscale", clip_with_audio, "-o", out, *FAST, "--end", 3, "--encoder", encoder)
    assert r.returncode == 0, r.stderr.decode()
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.codec_tag == tag


def test_h264_is_8_bit_unless_asked_and_pcm_audio_becomes_aac_in_mp4(tmp_path):
    src = tmp_path / "pcm.mov"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=160x90:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", "0.5", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", str(src)], check=True)
    got = {}
    for name, flags in {"fast.mp4": ["--preset", "fast"], "ten.mp4": ["--encoder", "libx264", "--bits", "10"],
                        "pcm.mov": ["--encoder", "libx264"]}.items():
        r = run("upscale", src, "-o", tmp_path / "out" / name, *FAST, *flags)
        assert r.returncode == 0, r.stderr.decode()
        with av.open(str(tmp_path / "out" / name)) as c:
            got[name] = (c.streams.video[0].codec_context.pix_fmt, c.streams.audio[0].codec_context.name)
    assert got == {"fast.mp4": ("yuv420p", "aac"), "ten.mp4": ("yuv420p10le", "aac"),
                   "pcm.mov": ("yuv420p", "pcm_s16le")}  # MOV (QuickTime) plays PCM as it is


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


def test_an_mp4_with_frames_lost_in_the_middle_keeps_the_gap(tmp_path):
    """MP4 keeps every packet in its index, so damaged frames are packets that do not decode:
    the source has 93 frames for 96 packets and the rest must keep their times (they were
    re-timed at the constant rate, up to 55 ms off after the gap)."""
    good = tmp_path / "good.mp4"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=320x180:rate=24", "-t", "4", "-c:v", "libx264", "-g", "24", str(good)], check=True)
    with av.open(str(good)) as c:
        packets = [(p.pos, p.size) for p in c.demux(c.streams.video[0]) if p.pos is not None]
    data = bytearray(good.read_bytes())
    rng = np.random.default_rng(1)
    for pos, size in packets[50:53]:
        data[pos:pos + size] = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    out = tmp_path / "o.mkv"
    r = run("upscale", bad, "-o", out, *FAST)
    assert r.returncode == 0, r.stderr.decode()
    assert "damaged or paused" in r.stderr.decode()
    got = _video_times(out)
    want = [n / 24 for n in range(96) if n not in (49, 50, 51)]  # the three frames that no longer decode
    assert len(got) == 93 and max(abs(a - b) for a, b in zip(got, want)) < 0.0015


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
