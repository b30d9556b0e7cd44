"""The VapourSynth host: turns effects and colour handling into nodes of a VapourSynth graph."""
