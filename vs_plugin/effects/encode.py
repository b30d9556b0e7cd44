"""Descriptor of the encode step (CLI options and the ``[encode]`` table of presets)."""

from __future__ import annotations

from ..encode.encoders import DEFAULT_ENCODER, ENCODERS
from .descriptor import ClipSpec, Effect, Param
from .registry import register

ENCODE = register(Effect(
    identifier="steadyscale.encode", label="Encode", version="1.0",
    doc="Encode the output with ffmpeg (frames piped as y4m); written under a temporary name.",
    clips=(ClipSpec("clip", "clip to encode"),),
    params=(
        Param("encoder", "choice", DEFAULT_ENCODER, "video encoder", choices=tuple(ENCODERS)),
        Param("crf", "float", 18.0, "constant rate factor (x264/x265)", min=0, max=51),
        Param("bits", "int", 0, "output bit depth (x264: 8 or 10; x265: 8, 10 or 12; ffv1/prores up to 16); "
              "0: 8 for x264 (what hardware decoders and browsers play), 10 otherwise", min=0, max=16),
        Param("encoder_args", "str", "", "extra ffmpeg output arguments, e.g. '-preset slow'"),
        Param("audio_tracks", "str", "all", "the input's audio tracks to keep: 'all', 'none', or numbers from 1 "
              "such as '1,3'"),
        Param("subtitles", "bool", True, "keep the input's subtitles"),
        Param("segment_frames", "int", 240, "frames per segment for --resume", min=1, max=100000),
    ),
))
