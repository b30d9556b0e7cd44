"""Encoding: VapourSynth clips piped as y4m into an ffmpeg subprocess."""

from .ffmpeg import EncodeError, encode, find_ffmpeg

__all__ = ["EncodeError", "encode", "find_ffmpeg"]
