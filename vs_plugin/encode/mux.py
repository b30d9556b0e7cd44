"""Put the input's audio and subtitles beside a finished video, without ever losing the video.

The video is encoded on its own first; the input's other streams are added afterwards by a
stream copy of that video. A source whose audio is damaged (a broadcast ``.ts`` with a broken
AAC stretch) then costs the audio, not hours of rendering: a copy that fails is retried with the
audio decoded past its errors and encoded again, and if that fails too the video is kept alone,
each time with a warning that says why.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from .ffmpeg import EncodeError, ffmpeg_reason
from .streams import StreamChoice, stream_args

log = logging.getLogger("steadyscale.encode")


def mux(ffmpeg: str, video_input: list[str], out: Path, *, audio_input: list[str] | None = None,
        video_offset: float = 0.0, choice: StreamChoice = StreamChoice(), video_args: list[str] = ()) -> None:
    """Write the first video stream of ``video_input`` (ffmpeg input options ending in ``-i X``)
    to ``out`` by stream copy, with the audio and subtitles of ``audio_input`` (``-ss ... -i IN``)
    chosen by ``choice``; ``video_offset``: seconds the video starts after the audio's timeline.
    Raises :class:`EncodeError` only when the video itself cannot be written."""
    cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y"]
    if video_offset:
        cmd += ["-itsoffset", f"{video_offset:.6f}"]
    cmd += list(video_input)
    video = ["-map", "0:v:0", "-c:v", "copy", *video_args]
    attempts: list[tuple[str, list[str]]] = []
    if audio_input:
        src, cut = audio_input[-1], "-t" in audio_input
        copy = stream_args(ffmpeg, src, out, cut=cut, choice=choice)
        again = stream_args(ffmpeg, src, out, cut=cut, choice=choice, reencode=True)
        attempts.append(("copy", list(audio_input) + video + copy))
        if again != copy:  # the same when no audio is kept: nothing to retry
            attempts.append(("re-encoded", list(audio_input) + video + again))
    attempts.append(("video only", video))
    reasons = []
    for how, args in attempts:
        r = subprocess.run(cmd + args + [str(out)], capture_output=True, text=True)
        if r.returncode == 0:
            if reasons:
                log.warning("steadyscale: the audio of %s could not be copied (%s); %s", audio_input[-1],
                            reasons[0], "it was decoded past its errors and encoded again" if how == "re-encoded"
                            else "the video was written without its audio and subtitles")
            return
        reasons.append(ffmpeg_reason(r.stderr, r.returncode))
        log.info("muxing (%s) failed: %s", how, reasons[-1])
    out.unlink(missing_ok=True)
    raise EncodeError(f"writing {out.name} failed: {reasons[-1]}")
