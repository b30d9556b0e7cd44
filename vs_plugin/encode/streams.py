"""Which of the input's audio and subtitle streams an output container can carry, and how.

Containers differ: Matroska takes almost anything but not MP4's ``mov_text`` subtitles as they
are; MP4/MOV take only ``mov_text`` subtitles; WebM takes only WebVTT subtitles and
Opus/Vorbis audio. Text subtitles are converted where the container needs it, image subtitles
(PGS, DVD) are dropped with a warning where it cannot hold them, and audio is re-encoded to
Opus only for WebM when the source's codec is not allowed there.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import subprocess
from pathlib import Path

from ..errors import SteadyscaleError

log = logging.getLogger("steadyscale.encode")

CONTAINERS = {".mkv": "matroska", ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".webm": "webm", ".nut": "nut"}
TEXT_SUBS = {"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"}
_STREAM = re.compile(r"Stream #\d+:(\d+)(?:\[\w+\])?(?:\(\w+\))?: (Audio|Subtitle): (\w+)")


#: the video encoders each container holds (WebM takes only VP8/VP9/AV1, none of ours)
HOLDS = {"matroska": ("libx265", "libx264", "ffv1", "prores"), "nut": ("libx265", "libx264", "ffv1", "prores"),
         "mp4": ("libx265", "libx264"), "mov": ("libx265", "libx264", "prores"), "webm": ()}


def container_of(path: Path, encoder: str | None = None) -> str:
    """The container for an output file name; a one-line error for an extension ffmpeg would
    guess at, or a container that cannot hold ``encoder``'s video."""
    ext = Path(path).suffix.lower()
    if ext not in CONTAINERS:
        raise SteadyscaleError("upscale", f"-o {path}: unknown container {ext or '(no extension)'!r}; "
                                          f"use one of {', '.join(sorted(CONTAINERS))}")
    fmt = CONTAINERS[ext]
    if encoder is not None and encoder not in HOLDS[fmt]:
        fits = [e for e, c in sorted(CONTAINERS.items()) if encoder in HOLDS[c]]
        raise SteadyscaleError("upscale", f"-o {path}: {ext} cannot hold {encoder} video; use "
                                          f"{', '.join(fits)} or another --encoder")
    return fmt


def _describe(ffmpeg: str, src: str) -> str:
    """``ffmpeg -i src``'s description of the file, read once per file version (a render asks
    for its streams and its video offset, for the encode and again for the join)."""
    st = os.stat(src)
    return _describe_cached(ffmpeg, os.path.abspath(src), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=16)
def _describe_cached(ffmpeg: str, src: str, mtime_ns: int, size: int) -> str:
    return subprocess.run([ffmpeg, "-hide_banner", "-i", src], capture_output=True, text=True).stderr


def probe_streams(ffmpeg: str, src: str) -> list[tuple[str, str]]:
    """``(kind, codec)`` of the audio and subtitle streams of ``src``, in order (from ffmpeg -i)."""
    return [(m.group(2).lower(), m.group(3).lower()) for m in _STREAM.finditer(_describe(ffmpeg, src))]


_VIDEO_START = re.compile(r"Stream #\d+:\d+\S*: Video: .*?, start (-?[\d.]+)")
_CONTAINER_START = re.compile(r"Duration: [^,]+, start: (-?[\d.]+)")


def video_start_offset(ffmpeg: str, src: str) -> float:
    """Seconds from the container's start to the first video frame (0.852 for a concert clip
    whose video starts after its audio): the rendered video must keep that place, or the audio
    copied from ``src`` plays early by as much."""
    text = _describe(ffmpeg, src)
    v, c = _VIDEO_START.search(text), _CONTAINER_START.search(text)
    if not v:
        return 0.0
    return max(0.0, float(v.group(1)) - (float(c.group(1)) if c else 0.0))


#: the audio codec a range is re-encoded to, per container: lossless where the container takes it
RANGE_AUDIO = {"matroska": ["flac"], "nut": ["flac"], "mp4": ["aac", "256k"], "mov": ["aac", "256k"],
               "webm": ["libopus", "160k"]}


def stream_args(ffmpeg: str, src: str, out: Path, input_index: int = 1, cut: bool = False) -> list[str]:
    """``-map``/codec options carrying ``src``'s audio and subtitles into ``out`` (video is map 0).

    ``cut``: the audio input is a range (``-ss``/``-t``). Copied audio can only be cut at its
    packets (20-90 ms each), so Matroska would play a stretch of audio before the first frame
    and after the last; a range's audio is decoded, cut to the sample, and encoded again (FLAC
    where the container takes it, else AAC 256 kb/s), with one warning."""
    fmt = container_of(out)
    args: list[str] = []
    audio = subs = kept = 0
    for kind, codec in probe_streams(ffmpeg, src):
        if kind == "audio":
            args += ["-map", f"{input_index}:a:{audio}"]
            if cut or (fmt == "webm" and codec not in ("opus", "vorbis")):
                enc = RANGE_AUDIO[fmt]
                args += [f"-c:a:{audio}", enc[0]] + ([f"-b:a:{audio}", enc[1]] if len(enc) > 1 else [])
                if enc[0] != "flac":
                    log.warning("steadyscale: %s audio re-encoded to %s (%s)", codec, enc[0],
                                "cut to the rendered range" if cut else "for WebM")
            else:
                args += [f"-c:a:{audio}", "copy"]
            audio += 1
            continue
        text = codec in TEXT_SUBS
        target = {"matroska": "srt" if codec == "mov_text" else "copy", "nut": "copy",
                  "mp4": "mov_text" if text else None, "mov": "mov_text" if text else None,
                  "webm": "webvtt" if text else None}[fmt]
        if target is None:
            log.warning("steadyscale: %s subtitles dropped: %s cannot hold them (use .mkv to keep them)", codec, fmt)
        else:
            args += ["-map", f"{input_index}:s:{subs}", f"-c:s:{kept}", target]
            kept += 1
        subs += 1
    return args
