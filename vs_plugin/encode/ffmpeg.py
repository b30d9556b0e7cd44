"""Pipe a clip into ffmpeg as y4m; write to a temporary name and rename only when complete."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import vapoursynth as vs

from ..errors import SteadyscaleException, first_line
from .encoders import DEFAULT_ENCODER, ENCODERS
from .streams import StreamChoice, container_of, video_tag_args
from .timestamps import Timeline, retime

log = logging.getLogger("steadyscale.encode")

# VapourSynth's colour enums (H.273 codes) -> ffmpeg's names, for colour tags in the stream
MATRIX = {vs.MATRIX_BT709: "bt709", vs.MATRIX_BT470_BG: "bt470bg", vs.MATRIX_ST170_M: "smpte170m",
          vs.MATRIX_BT2020_NCL: "bt2020nc", vs.MATRIX_BT2020_CL: "bt2020c", vs.MATRIX_RGB: "gbr"}
PRIMARIES = {vs.PRIMARIES_BT709: "bt709", vs.PRIMARIES_BT470_BG: "bt470bg", vs.PRIMARIES_ST170_M: "smpte170m",
             vs.PRIMARIES_BT2020: "bt2020"}
TRANSFER = {vs.TRANSFER_BT709: "bt709", vs.TRANSFER_BT601: "smpte170m", vs.TRANSFER_IEC_61966_2_1: "iec61966-2-1",
            vs.TRANSFER_ST2084: "smpte2084", vs.TRANSFER_ARIB_B67: "arib-std-b67",
            vs.TRANSFER_BT2020_10: "bt2020-10", vs.TRANSFER_BT2020_12: "bt2020-12"}



class EncodeError(SteadyscaleException, RuntimeError):
    """ffmpeg failed or was interrupted; nothing was left under the final name."""


def find_ffmpeg() -> str:
    """The system ffmpeg if on PATH, else the binary that imageio-ffmpeg ships."""
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    try:
        import imageio_ffmpeg
    except ImportError as e:  # pragma: no cover - a dependency
        raise EncodeError("no ffmpeg found: install ffmpeg or the imageio-ffmpeg package") from e
    return imageio_ffmpeg.get_ffmpeg_exe()


def colour_args(clip: vs.VideoNode, props=None) -> list[str]:
    """ffmpeg flags that tag the stream with the colour props of frame 0 (``props``: that
    frame's props, when the caller already has them)."""
    p = clip.get_frame(0).props if props is None else props
    args: list[str] = []
    params: list[str] = []  # setparams: recent ffmpeg takes the encoder's tags from the frames
    for key, table, flag, param in (("_Matrix", MATRIX, "-colorspace", "colorspace"),
                                    ("_Primaries", PRIMARIES, "-color_primaries", "color_primaries"),
                                    ("_Transfer", TRANSFER, "-color_trc", "color_trc")):
        if key in p and int(p[key]) in table:
            args += [flag, table[int(p[key])]]
            params.append(f"{param}={table[int(p[key])]}")
    if "_Range" in p:
        rng = "pc" if int(p["_Range"]) == 1 else "tv"
        args += ["-color_range", rng]
        params.append(f"range={'full' if rng == 'pc' else 'limited'}")
    filters = ["setparams=" + ":".join(params)] if params and clip.format.color_family != vs.RGB else []
    # square pixels, written as SAR 1:1 (an anamorphic source's ratio is resolved by the resize)
    return args + ["-vf", ",".join(filters + ["setsar=1"])]


def hdr10_metadata(props) -> dict[str, str]:
    """The HDR10 static metadata in frame ``props`` (as bestsource reads it) in the x264/x265
    option syntax: ``master-display`` (chromaticities in 1/50000, luminance in 1/10000 cd/m2,
    G, B, R order) and ``cll`` (MaxCLL, MaxFALL); empty when the source has none."""
    out: dict[str, str] = {}
    try:
        px, py = list(props["MasteringDisplayPrimariesX"]), list(props["MasteringDisplayPrimariesY"])
        c = lambda v: round(float(v) * 50000)  # noqa: E731
        r, g, b = ((c(px[i]), c(py[i])) for i in range(3))
        wp = c(props["MasteringDisplayWhitePointX"]), c(props["MasteringDisplayWhitePointY"])
        lum = (round(float(props["MasteringDisplayMaxLuminance"]) * 10000),
               round(float(props["MasteringDisplayMinLuminance"]) * 10000))
        out["master-display"] = "G(%d,%d)B(%d,%d)R(%d,%d)WP(%d,%d)L(%d,%d)" % (*g, *b, *r, *wp, *lum)
    except (KeyError, IndexError, TypeError, ValueError):
        pass
    if "ContentLightLevelMax" in props:
        out["cll"] = f"{int(props['ContentLightLevelMax'])},{int(props.get('ContentLightLevelAverage', 0))}"
    return out


def encoder_params(props, encoder: str) -> list[str]:
    """``-x265-params``/``-x264-params`` for ``encoder``: quiet logging, and the source's HDR10
    mastering display and light levels (which y4m cannot carry, so they go to the encoder),
    from frame 0's ``props``."""
    hdr = hdr10_metadata(props)
    if encoder == "libx265":
        params = ["log-level=error"]
        if hdr:
            params.append("hdr10=1")
            params += [f"{'max-cll' if k == 'cll' else k}={v}" for k, v in hdr.items()]
        return ["-x265-params", ":".join(params)]
    if encoder == "libx264":
        names = {"master-display": "mastering-display", "cll": "cll"}  # x264's spelling
        return ["-x264-params", ":".join(f"{names[k]}={v}" for k, v in hdr.items())] if hdr else []
    if hdr:
        log.warning("steadyscale: the source's HDR10 mastering display and light levels are not kept "
                    "with %s (use --encoder libx265 or libx264 to keep them)", encoder)
    return []


_LOG_TAG = re.compile(r"^(\[[^\]]*@ 0x[0-9a-f]+\] )+")


def ffmpeg_reason(stderr: str, rc: int | None) -> str:
    """Why ffmpeg failed, in one line: the first error it logged (the cause, such as the
    encoder's own complaint about an option; what follows is its consequences), without
    ffmpeg's ``[component @ 0x...]`` tags."""
    for line in stderr.splitlines():
        line = _LOG_TAG.sub("", line.strip())
        if line:
            return line
    return f"exit code {rc}"


def partial_path(path: Path) -> Path:
    """Where an encode in progress is written: a hidden sibling with the same suffix, named for
    this process so that two writers can never share it."""
    return path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")


def finish(tmp: Path, path: Path, timeline: Timeline | None = None) -> Path:
    """Move a complete encode from ``tmp`` to ``path``, with a variable-rate ``timeline``'s frame
    times written onto its video first (removes ``tmp`` either way)."""
    if timeline is not None and timeline.variable:
        retimed = tmp.with_name(f"{tmp.stem}.retimed{tmp.suffix}")
        try:
            retime(tmp, retimed, timeline)
        except BaseException as e:
            retimed.unlink(missing_ok=True)
            tmp.unlink(missing_ok=True)
            if isinstance(e, KeyboardInterrupt):
                raise
            raise EncodeError(f"writing the input's frame times into {path} failed: {e}") from e
        tmp.unlink(missing_ok=True)
        tmp = retimed
    os.replace(tmp, path)
    return path


def encode(clip: vs.VideoNode, path: str | os.PathLike, encoder: str = DEFAULT_ENCODER, crf: float | None = 18,
           extra_args: Sequence[str] = (), audio_from: str | None = None,
           progress: Callable[[int, int], None] | None = None, ffmpeg: str | None = None,
           audio_input_args: Sequence[str] | None = None, video_offset: float = 0.0,
           timeline: Timeline | None = None, streams: StreamChoice = StreamChoice()) -> Path:
    """Encode ``clip`` to ``path``. The file appears under its final name only when complete.

    ``audio_from``: a media file whose audio and subtitle streams are copied
    (``audio_input_args``: the full ``-ss ... -i FILE`` options instead, for a range;
    ``video_offset``: seconds the video starts after the audio's timeline begins;
    ``timeline``: the input's frame times, kept when they vary; ``streams``: which audio tracks
    and subtitles). The video is encoded first and the other streams added by
    :func:`.mux.mux`, so damaged audio never costs the render. Raises :class:`EncodeError` (and
    removes the partial files) when ffmpeg fails or on KeyboardInterrupt.
    """
    path = Path(path)
    if encoder not in ENCODERS:
        raise ValueError(f"steadyscale.encode: encoder must be one of {sorted(ENCODERS)}, got {encoder!r}")
    container_of(path, encoder)  # an unknown extension is a clear error before any frame is rendered
    tmp = partial_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    exe = ffmpeg or find_ffmpeg()
    audio = list(audio_input_args or (["-i", str(audio_from)] if audio_from else [])) if streams.keeps_any else []
    video_tmp = tmp.with_name(f"{tmp.stem}.video{tmp.suffix}") if audio else tmp
    cmd = [exe, "-hide_banner", "-loglevel", "error", "-y"]
    if video_offset and not audio:  # the video starts this late in the source: keep its place
        cmd += ["-itsoffset", f"{video_offset:.6f}"]
    cmd += ["-f", "yuv4mpegpipe", "-i", "pipe:0"]
    props = clip.get_frame(0).props  # colour tags and HDR10 metadata: one frame request, not two
    tag = video_tag_args(path, encoder)
    cmd += list(ENCODERS[encoder].args) + encoder_params(props, encoder) + tag
    if crf is not None and ENCODERS[encoder].crf:
        cmd += ["-crf", f"{crf:g}"]
    cmd += colour_args(clip, props) + list(extra_args) + [str(video_tmp)]
    log.info("encoding %d frames: %s", clip.num_frames, " ".join(cmd))
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        try:
            clip.output(proc.stdin, y4m=True, progress_update=progress)
        finally:
            proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace")
        rc = proc.wait()
        if rc != 0:
            raise EncodeError(f"ffmpeg failed writing {path}: {ffmpeg_reason(err, rc)}")
        if audio:
            from .mux import mux
            mux(exe, ["-i", str(video_tmp)], tmp, audio_input=audio, video_offset=video_offset, choice=streams,
                video_args=tag)
    except BaseException as e:
        exited = proc.poll() not in (None, 0)  # ffmpeg gave up first: its own words say why
        video_tmp.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
        if exited and not isinstance(e, (EncodeError, KeyboardInterrupt)):
            err = proc.stderr.read().decode(errors="replace")
            raise EncodeError(f"ffmpeg failed writing {path}: {ffmpeg_reason(err, proc.returncode)}") from None
        proc.kill()
        proc.wait()
        if isinstance(e, EncodeError):
            raise
        if isinstance(e, KeyboardInterrupt):  # the CLI reports it and exits 130, as shells expect
            raise
        raise EncodeError(f"encoding failed: {first_line(e)}; nothing was written to {path}") from e
    if video_tmp != tmp:
        video_tmp.unlink(missing_ok=True)
    return finish(tmp, path, timeline)
