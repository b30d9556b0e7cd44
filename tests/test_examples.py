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


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory) -> Path:
    """12 frames of the synthetic two-faces clip as H.264 (a file every example can open)."""
    import av
    import numpy as np
    from faces_clip import two_faces

    p = tmp_path_factory.mktemp("ex") / "small.mp4"
    with av.open(str(p), "w") as c:
        st = c.add_stream("libx264", rate=24)
        st.width, st.height, st.pix_fmt = 320, 180, "yuv420p"
        for f in two_faces(12, 320, 180):
            for pkt in st.encode(av.VideoFrame.from_ndarray((f * 255 + 0.5).astype(np.uint8), format="rgb24")):
                c.mux(pkt)
        for pkt in st.encode():
            c.mux(pkt)
    return p


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    import torch
    from safetensors.torch import save_file
    from spandrel.architectures.Compact import Compact

    torch.manual_seed(0)
    p = tmp_path_factory.mktemp("model") / "tiny_x4.safetensors"
    save_file({k: v.contiguous() for k, v in Compact(num_feat=8, num_conv=2, upscale=4).state_dict().items()}, str(p))
    return p


@pytest.mark.parametrize("name, extra, frames", [
    ("upscale.vpy", [], 2), ("resize_uhd.vpy", [], 2), ("upscale_faces.vpy", [], 2),
    ("custom_model.vpy", ["model"], 2), ("region.vpy", ["-a", "start=3", "-a", "end=5"], 2)])
def test_every_example_runs_under_vspipe_on_a_small_clip(small_clip, tiny_model, name, extra, frames):
    extra = ["-a", f"model={tiny_model}"] if extra == ["model"] else extra
    r = subprocess.run([VSPIPE, "-a", f"src={small_clip}", *extra, "-s", "0", "-e", str(frames - 1), "-c", "y4m",
                        str(ROOT / "docs/examples" / name), "-"], capture_output=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    header, count = _y4m_frames(r.stdout)
    assert b" W3840 H2160 " in header and count == frames
