"""A .vpy from docs/ piped through vspipe into ffmpeg gives the right frames and size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av

from vs_plugin.encode import find_ffmpeg

ROOT = Path(__file__).resolve().parents[1]
VSPIPE = Path(sys.executable).parent / "vspipe"


def test_vspipe_resize_example_into_ffmpeg(tmp_path):
    out = tmp_path / "out.mkv"
    pipe = subprocess.Popen([str(VSPIPE), "-a", "frames=7", "-c", "y4m",
                             str(ROOT / "docs/examples/resize_uhd.vpy"), "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    enc = subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-f", "yuv4mpegpipe",
                          "-i", "-", "-c:v", "ffv1", str(out)], stdin=pipe.stdout, capture_output=True)
    pipe.stdout.close()
    assert pipe.wait() == 0, pipe.stderr.read().decode()
    assert enc.returncode == 0, enc.stderr.decode()
    with av.open(str(out)) as c:
        frames = list(c.decode(video=0))
    assert len(frames) == 7
    assert (frames[0].width, frames[0].height) == (3840, 2160)
    assert frames[0].format.name == "yuv420p"
