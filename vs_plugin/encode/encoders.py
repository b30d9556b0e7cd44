"""The video encoders steadyscale drives through ffmpeg: one table that the encode descriptor,
the ffmpeg command, the containers, the bit depths and the job defaults all read, so adding an
encoder is one row."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Encoder:
    name: str
    #: ffmpeg output arguments selecting it
    args: tuple[str, ...]
    #: bit depths it encodes (ffmpeg's builds); () = any the format carries (8 to 16)
    bits: tuple[int, ...]
    #: the depth ``bits=0`` means: what players of its output expect
    usual_bits: int
    #: takes ``-crf``
    crf: bool
    #: containers (ffmpeg muxer names) that hold its video
    containers: tuple[str, ...]


ENCODERS = {e.name: e for e in (
    Encoder("libx265", ("-c:v", "libx265", "-preset", "medium"), (8, 10, 12), 10, True,
            ("matroska", "nut", "mp4", "mov")),
    # 8-bit by default: most hardware decoders and browsers cannot play H.264's 10-bit profile
    Encoder("libx264", ("-c:v", "libx264", "-preset", "medium"), (8, 10), 8, True, ("matroska", "nut", "mp4", "mov")),
    Encoder("ffv1", ("-c:v", "ffv1", "-level", "3"), (), 10, False, ("matroska", "nut")),
    Encoder("prores", ("-c:v", "prores_ks", "-profile:v", "3"), (), 10, False, ("matroska", "nut", "mov")),
)}
#: what a job encodes with unless told otherwise
DEFAULT_ENCODER = "libx265"
#: the containers ffmpeg writes for an output name (WebM takes only VP8/VP9/AV1: none of ours)
CONTAINER_NAMES = ("matroska", "nut", "mp4", "mov", "webm")


def holds(container: str) -> tuple[str, ...]:
    """The encoders whose video ``container`` can hold."""
    return tuple(name for name, e in ENCODERS.items() if container in e.containers)
