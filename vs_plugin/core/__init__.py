"""Pure array code: numpy/torch functions with no VapourSynth dependency."""
