"""The frame server: a FUSE mount and an HTTP front end whose bytes equal 'upscale -o -',
read in any order, by several readers, with bounded memory; errors as EIO / 500; clean stops."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from vs_plugin.encode import find_ffmpeg

EXE = str(Path(sys.executable).parent / "steadyscale")
FAST = ["--model", "lanczos", "--width", "640", "--height", "360"]
FRAMES = 24

needs_fuse = pytest.mark.skipif(not (os.path.exists("/dev/fuse") and shutil.which("fusermount3")),
                                reason="FUSE is not available (.ci/run installs Debian's fuse3)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("src") / "talk.mp4"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=160x90:rate=24:duration={FRAMES / 24}", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(p)], check=True)
    return p


@pytest.fixture(scope="module")
def reference(clip) -> bytes:
    r = subprocess.run([EXE, "upscale", clip, "-o", "-", *FAST], capture_output=True, check=True)
    return r.stdout


class Server:
    def __init__(self, args: list, mount: Path | None, port: int | None):
        self.mount, self.port = mount, port
        self.proc = subprocess.Popen([EXE, "serve", *map(str, args)], stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)
        t0 = time.time()
        while time.time() - t0 < 120:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.proc.stderr.read()}")
            if (mount is None or (mount / "talk.y4m").exists()) and (port is None or self._up()):
                return
            time.sleep(0.1)
        raise AssertionError("server did not come up")

    def _up(self) -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2).read()
            return True
        except (urllib.error.URLError, ConnectionError):
            return False

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self, sig=signal.SIGINT) -> tuple[int, str]:
        self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # never leave a server (and its mount) behind a failed test
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            if self.mount is not None:
                subprocess.run(["fusermount3", "-u", str(self.mount)], capture_output=True)
            raise
        return self.proc.returncode, err


@pytest.fixture(scope="module")
def served(clip, tmp_path_factory):
    if not (os.path.exists("/dev/fuse") and shutil.which("fusermount3")):
        pytest.skip("FUSE is not available (.ci/run installs Debian's fuse3)")
    mount = tmp_path_factory.mktemp("mnt")
    port = _free_port()
    srv = Server([clip, mount, *FAST, "--http", f"127.0.0.1:{port}", "--cache-mb", "16"], mount, port)
    yield srv
    if srv.proc.poll() is None:
        srv.stop()
    subprocess.run(["fusermount3", "-u", str(mount)], capture_output=True)


@needs_fuse
def test_shuffled_reads_by_offset_equal_upscale_to_stdout(served, reference):
    path = served.mount / "talk.y4m"
    assert path.stat().st_size == len(reference)  # the exact size, known up front
    rng = np.random.default_rng(5)
    cuts = np.sort(rng.choice(np.arange(1, len(reference)), 60, replace=False))
    pieces = list(zip(np.r_[0, cuts], np.r_[cuts, len(reference)]))
    got = {}
    with open(path, "rb", buffering=0) as f:
        for i in rng.permutation(len(pieces)):
            a, b = pieces[i]
            f.seek(int(a))
            got[int(a)] = f.read(int(b - a))
    assert b"".join(got[int(a)] for a, _ in pieces) == reference


@needs_fuse
def test_pyav_seeks_in_the_mounted_file(served, reference, tmp_path):
    ref = tmp_path / "ref.y4m"
    ref.write_bytes(reference)

    def frame_at(path: Path, n: int) -> np.ndarray:
        with av.open(str(path)) as c:
            st = c.streams.video[0]
            c.seek(int(n / (st.average_rate * st.time_base)), stream=st, any_frame=True)
            for fr in c.decode(st):
                if round(fr.pts * st.time_base * st.average_rate) == n:
                    return fr.to_ndarray()
        raise AssertionError(f"frame {n} not found")

    for n in (17, 3, 22, 9):
        assert np.array_equal(frame_at(served.mount / "talk.y4m", n), frame_at(ref, n))


@needs_fuse
def test_image_sequence_holds_the_same_pixels(served, reference, tmp_path):
    files = sorted(os.listdir(served.mount / "talk"))
    assert files == [f"{n:06d}.tif" for n in range(FRAMES)]
    header = reference[:reference.index(b"\n") + 1]
    frame_bytes = 6 + 640 * 360 * 2 * 3 // 2
    for n in (0, 11, 23):
        img = cv2.imread(str(served.mount / "talk" / f"{n:06d}.tif"), cv2.IMREAD_UNCHANGED)
        assert img.dtype == np.uint16 and img.shape == (360, 640, 3)
        # the luma of the TIFF's RGB (BT.601, as the 360p output is tagged) against the served
        # frame's own 10-bit limited-range Y plane: the same picture, independently of chroma filters
        rgb = img[..., ::-1].astype(np.float64) / 65535
        y_tif = rgb @ np.array([0.299, 0.587, 0.114])
        off = len(header) + n * frame_bytes + 6
        y10 = np.frombuffer(reference, np.uint16, 640 * 360, off).reshape(360, 640)
        diff = np.abs(y_tif - (y10.astype(np.float64) - 64) / 876)
        inside = np.all((rgb > 0.005) & (rgb < 0.995), -1)  # the test pattern's saturated colours clip in RGB
        assert inside.mean() > 0.1
        d = diff[inside]
        assert d.mean() < 0.002 and np.percentile(d, 99) < 0.01, (d.mean(), d.max())


@needs_fuse
def test_two_readers_at_once_and_http_ranges_equal_the_file(served, reference):
    results: dict = {}

    def read_all(key: str) -> None:
        if key == "fuse":
            results[key] = (served.mount / "talk.y4m").read_bytes()
        else:
            results[key] = urllib.request.urlopen(f"http://127.0.0.1:{served.port}/talk.y4m", timeout=300).read()

    threads = [threading.Thread(target=read_all, args=(k,)) for k in ("fuse", "http")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["fuse"] == reference and results["http"] == reference
    for rng in ("bytes=100-200", "bytes=700000-", "bytes=-5000", f"bytes=0-{len(reference) + 99}"):
        req = urllib.request.Request(f"http://127.0.0.1:{served.port}/talk.y4m", headers={"Range": rng})
        with urllib.request.urlopen(req, timeout=60) as r:
            body = r.read()
            assert r.status == 206
        a, _, b = rng[6:].partition("-")
        start = len(reference) - int(b) if not a else int(a)
        end = len(reference) if not a or not b else min(len(reference), int(b) + 1)
        assert body == reference[start:end]
    bad = urllib.request.Request(f"http://127.0.0.1:{served.port}/talk.y4m",
                                 headers={"Range": f"bytes={len(reference)}-"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(bad, timeout=60)
    assert e.value.code == 416


@needs_fuse
def test_memory_stays_bounded_while_reading_everything(served):
    with open(served.mount / "talk.y4m", "rb") as f:
        f.read(1 << 20)
    base = served.rss_kb()
    for _ in range(3):  # 3 passes over the whole file and every TIFF: ~100 MB through a 16 MB cache
        with open(served.mount / "talk.y4m", "rb") as f:
            while f.read(1 << 20):
                pass
    for n in range(FRAMES):
        (served.mount / "talk" / f"{n:06d}.tif").read_bytes()
    grown_mb = (served.rss_kb() - base) / 1024
    assert grown_mb < 60, f"server grew {grown_mb:.0f} MB"


@needs_fuse
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sigint_and_sigterm_unmount(clip, tmp_path, sig):
    mount = tmp_path / "m"
    mount.mkdir()
    srv = Server([clip, mount, *FAST, "--http", f"127.0.0.1:{_free_port()}"], mount, None)
    rc, err = srv.stop(sig)
    assert rc == 0 and "stopped serving" in err
    assert not os.path.ismount(mount) and not any(mount.iterdir())


@needs_fuse
def test_a_crashed_server_leaves_a_stale_mount_that_is_explained(clip, tmp_path):
    mount = tmp_path / "m"
    mount.mkdir()
    srv = Server([clip, mount, *FAST], mount, None)
    os.killpg(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    try:
        r = subprocess.run([EXE, "serve", clip, mount, *FAST], capture_output=True, text=True, timeout=120)
        assert r.returncode == 2
        assert r.stderr.strip() == (f"steadyscale: steadyscale.serve: {mount} is a stale FUSE mount left by a "
                                    f"server that crashed; release it with 'fusermount3 -u {mount}' and start again")
    finally:
        subprocess.run(["fusermount3", "-u", str(mount)], capture_output=True)


@needs_fuse
def test_render_errors_are_eio_and_http_500(tmp_path):
    script = tmp_path / "broken.vpy"
    script.write_text(
        "import vapoursynth as vs\n"
        "core = vs.core\n"
        "clip = core.std.BlankClip(format=vs.YUV420P8, width=640, height=480, length=8, color=[80, 128, 128])\n"
        "def bad(n, f):\n"
        "    if n == 5:\n"
        "        raise ValueError('frame 5 is damaged')\n"
        "    return f\n"
        "core.std.ModifyFrame(clip, clip, bad).set_output()\n")
    mount = tmp_path / "m"
    mount.mkdir()
    port = _free_port()
    srv = Server([script, mount, "--http", f"127.0.0.1:{port}", "--readahead", "0"], None, port)
    t0 = time.time()
    while not (mount / "broken.y4m").exists() and time.time() - t0 < 60:
        time.sleep(0.1)
    try:
        frame = 6 + 640 * 480 * 3 // 2  # large enough that the kernel's read-ahead stays inside a frame
        with open(mount / "broken.y4m", "rb", buffering=0) as f:
            header = f.read(200).partition(b"\n")[0] + b"\n"
            f.seek(len(header) + 4 * frame)
            assert f.read(4096) == b"FRAME\n" + bytes([80]) * 4090  # frame 4 is fine
            f.seek(len(header) + 5 * frame)
            with pytest.raises(OSError) as e:
                f.read(100)
            assert e.value.errno == errno.EIO
        start = len(header) + 5 * frame
        req = urllib.request.Request(f"http://127.0.0.1:{port}/broken.y4m", headers={"Range": f"bytes={start}-"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=60)
        assert e.value.code == 500
    finally:
        rc, err = srv.stop()
    assert "frame 5" in err and "damaged" in err


def test_http_alone_serves_without_fuse_and_stops_on_sigterm(clip, reference):
    port = _free_port()
    srv = Server([clip, *FAST, "--http", f"127.0.0.1:{port}"], None, port)
    req = urllib.request.Request(f"http://127.0.0.1:{port}/talk.y4m", headers={"Range": "bytes=0-99999"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.read() == reference[:100000]
    rc, err = srv.stop(signal.SIGTERM)
    assert rc == 0 and "stopped serving" in err
