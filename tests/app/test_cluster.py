"""Distributed rendering on a local Ray cluster (head + a second worker node on loopback):
bit-identical to a single-machine render, survives a killed worker, resumes after a killed
driver without re-rendering finished chunks, refuses to splice other settings."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from vs_plugin.app.cluster import plan_chunks
from vs_plugin.encode import find_ffmpeg

pytest.importorskip("ray", reason="Ray is the optional extra steadyscale[cluster] (make setup installs it)")

BIN = Path(sys.executable).parent
EXE, RAY = str(BIN / "steadyscale"), str(BIN / "ray")
# the built-in network at a small size: slow enough (about 0.1 s a frame) to kill things mid-job
ARGS = ["--model", "builtin-clean", "--width", "480", "--height", "272", "--fit", "stretch", "--encoder", "ffv1", "-q"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``ray start --head`` on a free loopback port plus a second worker node, one CPU each."""
    port = _free_port()
    tmp = tmp_path_factory.mktemp("ray")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    common = ["--num-cpus=1", "--disable-usage-stats"]
    subprocess.run([RAY, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
                    "--include-dashboard=false", f"--temp-dir={tmp}", *common],
                   check=True, capture_output=True, env=env)
    try:
        subprocess.run([RAY, "start", f"--address=127.0.0.1:{port}", *common], check=True, capture_output=True,
                       env=env)
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([RAY, "stop", "--force"], capture_output=True, env=env)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """2 s of a 120x68 test pattern at 24 fps with a scene cut at 1 s and AAC audio."""
    p = tmp_path_factory.mktemp("src") / "in.mp4"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=120x68:rate=24:duration=1",
                    "-f", "lavfi", "-i", "smptebars=size=120x68:rate=24:duration=1",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
                    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", "-map", "2:a",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(p)], check=True)
    return p


@pytest.fixture(scope="module")
def local_render(clip, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "local.mkv"
    r = subprocess.run([EXE, "upscale", clip, "-o", out, *ARGS], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def decode(path: Path) -> tuple[list[np.ndarray], list[int], int]:
    """Video frames, their timestamps, and the number of audio streams."""
    with av.open(str(path)) as c:
        audio = len(c.streams.audio)
        frames = [(f.to_ndarray(), f.pts) for f in c.decode(video=0)]
    return [f for f, _ in frames], [p for _, p in frames], audio


def assert_identical(a: Path, b: Path) -> None:
    fa, ta, aa = decode(a)
    fb, tb, ab = decode(b)
    assert len(fa) == len(fb) == 48
    assert ta == tb
    assert aa == ab == 1
    for n, (x, y) in enumerate(zip(fa, fb)):
        assert np.array_equal(x, y), f"frame {n} differs"


def test_plan_chunks_prefers_scene_cuts_and_bounds_length():
    assert plan_chunks(0, 48, 16) == [(0, 16), (16, 32), (32, 48)]
    assert plan_chunks(0, 48, 16, [24]) == [(0, 16), (16, 24), (24, 40), (40, 48)]
    assert plan_chunks(0, 48, 16, [3]) == [(0, 16), (16, 32), (32, 48)]  # too early in a chunk to use
    assert plan_chunks(5, 9, 100) == [(5, 9)]


def test_ray_render_is_identical_to_a_local_render(cluster, clip, local_render, tmp_path):
    out = tmp_path / "ray.mkv"
    r = subprocess.run([EXE, "-v", "upscale", clip, "-o", out, *ARGS, "--ray", cluster, "--segment-frames", "16"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert re.search(r"chunk \[16, 24\) done", r.stderr)  # the chunk ends at the scene cut
    pids = set(re.findall(r"pid (\d+)", r.stderr))
    assert len(pids) == 2  # both worker nodes rendered
    assert_identical(local_render, out)
    assert not (tmp_path / ".ray.mkv.parts").exists()


def _wait_for(pred, timeout: float = 120.0, step: float = 0.05):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting")


def _busy_workers() -> list[int]:
    r = subprocess.run(["pgrep", "-f", "ray::render_chunk"], capture_output=True, text=True)
    return [int(p) for p in r.stdout.split()]


def test_a_worker_killed_mid_job_is_retried_and_the_output_is_identical(cluster, clip, local_render, tmp_path):
    out = tmp_path / "killed.mkv"
    driver = subprocess.Popen([EXE, "-v", "upscale", clip, "-o", out, *ARGS, "--ray", cluster,
                               "--segment-frames", "12"], stderr=subprocess.PIPE, text=True)
    victim = _wait_for(_busy_workers)[0]
    os.kill(victim, signal.SIGKILL)
    _, err = driver.communicate(timeout=600)
    assert driver.returncode == 0, err
    assert str(victim) not in re.findall(r"pid (\d+)", err)  # its chunk was finished by another worker
    assert_identical(local_render, out)


def test_resume_after_the_driver_dies_renders_only_the_missing_chunks(cluster, clip, local_render, tmp_path):
    out = tmp_path / "resumed.mkv"
    parts = tmp_path / ".resumed.mkv.parts"
    cmd = [EXE, "-v", "upscale", clip, "-o", out, *ARGS, "--ray", cluster, "--segment-frames", "8", "--resume"]
    driver = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, start_new_session=True)
    _wait_for(lambda: len(list(parts.glob("seg_*.nut"))) >= 2)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    time.sleep(1.0)  # the cluster cancels the dead driver's tasks
    kept = {f.name: f.stat().st_mtime_ns for f in parts.glob("seg_*.nut")}
    assert 2 <= len(kept) < 6 and not out.exists()

    changed = subprocess.run(cmd + ["--crf", "30", "--encoder", "libx264"], capture_output=True, text=True)
    assert changed.returncode == 2
    assert "were made with other settings (encode.crf, encode.encoder differ)" in changed.stderr

    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    done = {f"seg_{int(s):08d}_{int(e):08d}.nut" for s, e in re.findall(r"chunk \[(\d+), (\d+)\) done", r.stderr)}
    assert done and not done & set(kept)  # only the missing chunks were rendered
    assert len(done) + len(kept) == 6  # 8-frame chunks; frame 24 (the cut) starts one
    assert_identical(local_render, out)
