"""The .vpy examples in docs/ run under vspipe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VSPIPE = str(Path(sys.executable).parent / "vspipe")


def _y4m_frames(data: bytes) -> tuple[bytes, int]:
    header, _, body = data.partition(b"\n")
    return header, body.count(b"FRAME\n")


def test_upscale_example_through_vspipe_into_ffmpeg(tmp_path):
    import av

    from vs_plugin.encode import find_ffmpeg
    out = tmp_path / "out.mkv"
    pipe = subprocess.Popen([VSPIPE, "-a", "frames=3", "-c", "y4m", str(ROOT / "docs/examples/upscale.vpy"), "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    enc = subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-f", "yuv4mpegpipe", "-i", "-",
                          "-c:v", "ffv1", str(out)], stdin=pipe.stdout, capture_output=True)
    pipe.stdout.close()
    assert pipe.wait() == 0, pipe.stderr.read().decode()
    assert enc.returncode == 0, enc.stderr.decode()
    with av.open(str(out)) as c:
        frames = list(c.decode(video=0))
    assert len(frames) == 3 and (frames[0].width, frames[0].height) == (3840, 2160)


@pytest.mark.parametrize("name", ["upscale_faces.vpy", "custom_model.vpy", "region.vpy"])
def test_examples_compile(name):
    compile((ROOT / "docs/examples" / name).read_text(), name, "exec")
