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
from dataclasses import dataclass
from pathlib import Path

from ..errors import SteadyscaleError
from .encoders import CONTAINER_NAMES, holds

log = logging.getLogger("steadyscale.encode")

CONTAINERS = {".mkv": "matroska", ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".webm": "webm", ".nut": "nut"}
TEXT_SUBS = {"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"}
_STREAM = re.compile(r"Stream #\d+:(\d+)(?:\[\w+\])?(?:\(\w+\))?: (Audio|Subtitle): (\w+)")


#: the video encoders each container holds (encoders.py's table)
HOLDS = {c: holds(c) for c in CONTAINER_NAMES}


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


def _audio_fits(fmt: str, codec: str) -> bool:
    """Whether ``fmt`` holds ``codec`` audio in a way players play: WebM takes Opus/Vorbis only;
    MP4 takes PCM and TrueHD only as ffmpeg extensions that players, phones and browsers refuse."""
    if fmt == "webm":
        return codec in ("opus", "vorbis")
    if fmt == "mp4":
        return not (codec.startswith("pcm_") or codec in ("truehd", "mlp"))
    return True


@dataclass(frozen=True)
class StreamChoice:
    """Which of the input's audio and subtitle streams to carry: ``audio`` None for all, else
    the 1-based audio track numbers (empty: none); ``subtitles`` whether to carry them."""

    audio: tuple[int, ...] | None = None
    subtitles: bool = True

    @property
    def keeps_any(self) -> bool:
        """Whether any audio or subtitle stream may be carried (else there is nothing to mux)."""
        return self.audio != () or self.subtitles

    @classmethod
    def parse(cls, audio_tracks: str = "all", subtitles: bool = True) -> "StreamChoice":
        text = str(audio_tracks).strip().lower()
        if text == "all":
            return cls(None, subtitles)
        if text == "none":
            return cls((), subtitles)
        try:
            tracks = tuple(int(t) for t in text.split(","))
        except ValueError:
            tracks = ()
        if not tracks or min(tracks) < 1:
            raise SteadyscaleError("encode", f"audio_tracks must be 'all', 'none' or track numbers from 1 such "
                                             f"as '1,3', got {audio_tracks!r}")
        return cls(tracks, subtitles)


def check_choice(ffmpeg: str, src: str, choice: StreamChoice) -> None:
    """Refuse audio track numbers that ``src`` does not have (before anything is rendered)."""
    n_audio = sum(kind == "audio" for kind, _ in probe_streams(ffmpeg, src))
    missing = [t for t in choice.audio or () if t > n_audio]
    if missing:
        raise SteadyscaleError("encode", f"audio_tracks {','.join(map(str, missing))}: {src} has "
                                         f"{n_audio} audio track(s)")


def stream_args(ffmpeg: str, src: str, out: Path, input_index: int = 1, cut: bool = False,
                choice: StreamChoice = StreamChoice(), reencode: bool = False) -> list[str]:
    """``-map``/codec options carrying ``src``'s audio and subtitles into ``out`` (video is map 0).

    ``cut``: the audio input is a range (``-ss``/``-t``). Copied audio can only be cut at its
    packets (20-90 ms each), so Matroska would play a stretch of audio before the first frame
    and after the last; a range's audio is decoded, cut to the sample, and encoded again (FLAC
    where the container takes it, else AAC 256 kb/s), with one warning. ``reencode``: the same
    for every audio stream (a damaged stream that cannot be copied is decoded past its errors).
    ``choice``: the audio tracks and subtitles to keep."""
    fmt = container_of(out)
    args: list[str] = []
    audio = subs = kept = kept_audio = 0
    streams = probe_streams(ffmpeg, src)
    check_choice(ffmpeg, src, choice)
    for kind, codec in streams:
        if kind == "audio":
            audio += 1
            if choice.audio is not None and audio not in choice.audio:
                continue
            args += ["-map", f"{input_index}:a:{audio - 1}"]
            k = kept_audio
            if cut or reencode or not _audio_fits(fmt, codec):
                enc = RANGE_AUDIO[fmt]
                args += [f"-c:a:{k}", enc[0]] + ([f"-b:a:{k}", enc[1]] if len(enc) > 1 else [])
                if enc[0] != "flac":
                    why = "cut to the rendered range" if cut else ("damaged" if reencode else f"for {fmt}")
                    log.warning("steadyscale: %s audio re-encoded to %s (%s)", codec, enc[0], why)
            else:
                args += [f"-c:a:{k}", "copy"]
            kept_audio += 1
            continue
        subs += 1
        if not choice.subtitles:
            continue
        text = codec in TEXT_SUBS
        target = {"matroska": "srt" if codec == "mov_text" else "copy", "nut": "copy",
                  "mp4": "mov_text" if text else None, "mov": "mov_text" if text else None,
                  "webm": "webvtt" if text else None}[fmt]
        if target is None:
            log.warning("steadyscale: %s subtitles dropped: %s cannot hold them (use .mkv to keep them)", codec, fmt)
        else:
            args += ["-map", f"{input_index}:s:{subs - 1}", f"-c:s:{kept}", target]
            kept += 1
    if reencode and kept_audio:
        args += ["-af", "aresample=async=1"]  # a damaged stretch becomes silence: the rest keeps its place
    return args


def video_tag_args(out: Path, encoder: str) -> list[str]:
    """HEVC in MP4/MOV tagged ``hvc1`` (parameter sets in the sample description), the tag Apple
    devices and browsers require; ffmpeg's default ``hev1`` plays only elsewhere."""
    return ["-tag:v", "hvc1"] if encoder == "libx265" and container_of(out) in ("mp4", "mov") else []
