"""The render pipeline behind ``steadyscale upscale``: source, graph, encode, resume.

With ``resume`` the range is cut into a fixed grid of segments, each encoded on its own and
kept once complete; a later run skips finished segments and joins all of them losslessly
(stream copy). This is sound only because every output frame is a pure function of its input
window: a segment rendered today equals the same segment rendered tomorrow.
"""

from __future__ import annotations

import logging
import shlex
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import vapoursynth as vs

from ..encode import EncodeError, encode, find_ffmpeg
from ..encode.encoders import ENCODERS
from ..encode.ffmpeg import finish, partial_path
from ..encode.mux import mux
from ..encode.streams import StreamChoice, check_choice, video_tag_args
from ..encode.timestamps import Timeline, read_timeline
from ..errors import SteadyscaleError
from ..host.deinterlace import deinterlace
from ..host.upscale import upscale
from .segments import open_segments, parts_dir
from .source import open_source

core = vs.core
log = logging.getLogger("steadyscale.render")


@dataclass
class RenderJob:
    """Everything ``steadyscale upscale`` needs; ``upscale``/``encode`` hold validated values."""

    input: str
    output: Path
    upscale: dict = field(default_factory=dict)
    encode: dict = field(default_factory=dict)
    start: int = 0
    end: int | None = None
    resume: bool = False
    max_segments: int | None = None
    faces: dict | None = None  # face_layer() values, or None for no face layer
    fps: str | None = None  # frame rate of an image-sequence input (video files keep their own)
    deinterlace: str = "auto"  # host/deinterlace.py MODES


def encoder_bits(encoder: str, bits: int = 0) -> int:
    """The bit depth asked for, or (0) the encoder's usual one (encoders.py: 8 for H.264, whose
    10-bit profile most hardware decoders and browsers cannot play; 10 for the others)."""
    if bits == 0:
        return ENCODERS[encoder].usual_bits
    if bits < 8:
        raise SteadyscaleError("upscale", f"--bits must be 0 (the encoder's usual depth) or 8 to 16, got {bits}")
    return bits


def output_format(clip: vs.VideoNode, encoder: str, bits: int) -> int:
    """The pixel format handed to the encoder (y4m carries YUV and GRAY only, so RGB sources,
    e.g. image sequences, leave as YUV 4:4:4); ``bits`` 0: :func:`encoder_bits`."""
    bits = encoder_bits(encoder, bits)
    if encoder == "prores":
        return core.query_video_format(vs.YUV, vs.INTEGER, max(bits, 10), 1, 0).id
    if ENCODERS[encoder].bits:
        supported = ENCODERS[encoder].bits
        if bits not in supported:
            depths = f"{', '.join(map(str, supported[:-1]))} or {supported[-1]}"
            raise SteadyscaleError("upscale", f"--bits {bits} with {encoder}: it encodes {depths} bits; "
                                              "use --encoder ffv1 (or prores) for more")
        return core.query_video_format(vs.YUV, vs.INTEGER, bits, 1, 1).id
    fam = clip.format.color_family
    if fam == vs.RGB:
        return core.query_video_format(vs.YUV, vs.INTEGER, bits, 0, 0).id
    ss = (clip.format.subsampling_w, clip.format.subsampling_h) if fam == vs.YUV else (0, 0)
    return core.query_video_format(fam, vs.INTEGER, bits, *ss).id


def frame_range(total: int, start: int, end: int | None) -> tuple[int, int]:
    end = total if end is None else end
    if not 0 <= start < total:
        raise SteadyscaleError("upscale", f"--start must be in [0, {total - 1}], got {start}")
    if not start < end <= total:
        raise SteadyscaleError("upscale", f"--end must be in [{start + 1}, {total}], got {end}")
    return start, end


def build(job: RenderJob) -> tuple[vs.VideoNode, vs.VideoNode]:
    """(source clip, output clip in the encoder's format) for the whole input.

    The range is cut *after* the graph so frames near --start/--end see the same neighbours
    as in a full render.
    """
    src = deinterlace(open_source(job.input, job.fps), job.deinterlace)
    params = dict(job.upscale)
    fmt = output_format(src, encode_value(job, "encoder"), encode_value(job, "bits"))
    params.setdefault("format", fmt)  # upscale() converts with the right matrix and tags it
    out = upscale(src, **params)
    if job.faces is not None:
        from ..host.face import face_layer
        out = face_layer(src, out, **job.faces)
    if out.format.id != fmt:
        out = core.resize.Point(out, format=fmt, dither_type="none")
    return src, out


def stream_choice(job: RenderJob) -> StreamChoice:
    """The input's audio tracks and subtitles the job keeps."""
    e = job.encode
    return StreamChoice.parse(e.get("audio_tracks", "all"), e.get("subtitles", True))


def encode_value(job: RenderJob, name: str):
    """The job's value of encode parameter ``name``, else the ENCODE descriptor's default (the
    one place defaults live)."""
    from ..effects.encode import ENCODE
    return job.encode.get(name, next(p.default for p in ENCODE.params if p.name == name))


def encode_args(job: RenderJob) -> dict:
    """``encode()``'s video arguments for ``job``: the same for a whole render, a local segment
    and a Ray chunk (so segments made anywhere join losslessly)."""
    return dict(encoder=encode_value(job, "encoder"), crf=encode_value(job, "crf"),
                extra_args=shlex.split(encode_value(job, "encoder_args")))


def _audio_args(src_path: str, start: int, end: int, total: int, timeline: Timeline, offset: float = 0.0) -> list[str]:
    """Input options that make the audio of IN match the rendered range (``offset``: where IN's
    video starts on its timeline, see :func:`_video_offset`)."""
    if start == 0 and end == total:
        return ["-i", src_path]
    t0, dur = offset + float(timeline.at(start)), timeline.at(end) - timeline.at(start)
    return ["-ss", f"{t0:.6f}", "-t", f"{float(dur):.6f}", "-i", src_path]


def timeline_of(job: RenderJob, out: vs.VideoNode) -> Timeline:
    """The input's frame times (variable-rate files keep theirs; see :mod:`..encode.timestamps`)."""
    if job.fps is not None or not Path(job.input).is_file():
        return Timeline(Fraction(out.fps))
    return read_timeline(job.input, out.num_frames, Fraction(out.fps))


def _video_offset(job: RenderJob, start: int, end: int, total: int) -> tuple[float, float]:
    """(seconds IN's video starts after its audio timeline, the -itsoffset the rendered video
    needs): a full render keeps the offset; a range seeks the audio to it instead."""
    from ..encode.streams import video_start_offset
    offset = video_start_offset(find_ffmpeg(), job.input) if Path(job.input).is_file() else 0.0
    return offset, (offset if start == 0 and end == total else 0.0)


def render(job: RenderJob, progress: Callable[[int, int], None] | None = None) -> Path:
    """Render ``job``; the output appears under its final name only when complete."""
    choice = stream_choice(job)  # a bad audio_tracks value fails here, before the graph is built
    if Path(job.input).is_file():
        check_choice(find_ffmpeg(), job.input, choice)
    src, out = build(job)
    start, end = frame_range(out.num_frames, job.start, job.end)
    part = out[start:end]
    has_audio = Path(job.input).is_file()
    if not job.resume:
        timeline = timeline_of(job, out)
        offset, shift = _video_offset(job, start, end, out.num_frames)
        audio = _audio_args(job.input, start, end, out.num_frames, timeline, offset) if has_audio else None
        return encode(part, job.output, progress=progress, **encode_args(job), audio_input_args=audio,
                      video_offset=shift, timeline=timeline.window(start, end), streams=choice)
    return _render_segments(job, out, start, end, has_audio, progress)


def segments(start: int, end: int, size: int) -> list[tuple[int, int]]:
    """The fixed segment grid of a range (independent of where a previous run stopped)."""
    return [(s, min(end, s + size)) for s in range(start, end, size)]


def _render_segments(job: RenderJob, out: vs.VideoNode, start: int, end: int, has_audio: bool,
                     progress: Callable[[int, int], None] | None) -> Path:
    pdir = parts_dir(job.output)
    segs = open_segments(job, pdir, segments(start, end, int(encode_value(job, "segment_frames"))), keep=True)
    done_frames = segs.done_frames()
    rendered = 0
    for s, e, f in segs.todo():
        if job.max_segments is not None and rendered >= job.max_segments:
            raise EncodeError(f"stopped after {rendered} new segment(s) as asked; "
                              f"run again with --resume to continue ({pdir})")
        base = done_frames
        cb = (lambda d, t, b=base: progress(b + d, end - start)) if progress else None
        encode(out[s:e], f, progress=cb, **encode_args(job))
        log.info("segment [%d, %d) rendered", s, e)
        done_frames += e - s
        rendered += 1
    join_segments(segs.files, job, out, start, end, has_audio)
    segs.clean_up(own_folder=True)
    return job.output


def join_segments(files: list[Path], job: RenderJob, out: vs.VideoNode, start: int, end: int, has_audio: bool) -> None:
    """Concatenate finished segments by stream copy (lossless), adding IN's audio/subtitles."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as lst:
        for f in files:
            s, e = (int(v) for v in f.stem.split("_")[1:3])
            quoted = str(f.resolve()).replace("'", "'\\''")  # the concat list's quoting of '
            # each segment's exact length: the demuxer's own guess from a NUT file ends at its
            # last frame's start, one frame short
            lst.write(f"file '{quoted}'\nduration {(e - s) / out.fps:.9f}\n")
    tmp = partial_path(job.output)
    timeline = timeline_of(job, out)
    offset, shift = _video_offset(job, start, end, out.num_frames) if has_audio else (0.0, 0.0)
    audio = _audio_args(job.input, start, end, out.num_frames, timeline, offset) if has_audio else None
    try:
        mux(find_ffmpeg(), ["-f", "concat", "-safe", "0", "-i", lst.name], tmp, audio_input=audio,
            video_offset=shift, choice=stream_choice(job),
            video_args=video_tag_args(job.output, encode_value(job, "encoder")))
    except EncodeError as e:
        raise EncodeError(f"joining segments failed: {e}") from None
    finally:
        Path(lst.name).unlink(missing_ok=True)
    finish(tmp, job.output, timeline.window(start, end))
