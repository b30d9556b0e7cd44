"""Model manager downloads against a local HTTP server on 127.0.0.1: atomic and verified."""

from __future__ import annotations

import hashlib
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from vs_plugin.models import manager

ROOT = Path(__file__).resolve().parents[2]

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):  # keep test output clean
        pass

    def do_GET(self):
        if self.path == "/model.bin":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)
        elif self.path == "/broken.bin":  # promises 1 MiB, sends 100 KiB, hangs up
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[:100_000])
            self.wfile.flush()
            self.connection.close()
        else:
            self.send_error(404)


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("STEADYSCALE_MODELS", str(tmp_path / "store"))
    return tmp_path / "store"


GOOD = hashlib.sha256(PAYLOAD).hexdigest()


def test_good_download_is_kept_and_indexed(server, store):
    path = manager.fetch(f"{server}/model.bin", GOOD)
    assert path == store / "model.bin" and path.read_bytes() == PAYLOAD
    assert manager.read_index(store)["model.bin"]["sha256"] == GOOD
    assert sorted(p.name for p in store.iterdir()) == ["index.json", "model.bin"]


def test_wrong_checksum_keeps_nothing(server, store):
    with pytest.raises(manager.DownloadError, match="checksum mismatch"):
        manager.fetch(f"{server}/model.bin", "0" * 64)
    assert not any(store.glob("*model.bin*"))


def test_interrupted_transfer_keeps_nothing(server, store):
    with pytest.raises(manager.DownloadError):
        manager.fetch(f"{server}/broken.bin", GOOD)
    assert not any(store.glob("*broken.bin*"))


def test_url_without_checksum_is_refused(server, store):
    with pytest.raises(manager.DownloadError, match="needs --sha256"):
        manager.fetch(f"{server}/model.bin")


def test_cli_fetch_and_list(server, store):
    exe = str(Path(sys.executable).parent / "steadyscale")
    r = subprocess.run([exe, "models", "fetch", f"{server}/model.bin", "--sha256", "1" * 64],
                       capture_output=True, text=True,
                       env={**os.environ, "STEADYSCALE_MODELS": str(store)})
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].startswith("steadyscale: checksum mismatch")
    r = subprocess.run([exe, "models", "list"], capture_output=True, text=True,
                       env={**os.environ, "STEADYSCALE_MODELS": str(store)})
    assert r.returncode == 0 and "catalogue" in r.stdout and "yunet" in r.stdout


def test_add_refuses_a_file_that_is_not_a_model(tmp_path, store):
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="cannot load x.safetensors"):
        manager.add(bad)
    assert not store.exists() or not any(store.iterdir())


def test_a_model_added_to_the_store_is_used_by_name_and_verified(tmp_path, store):
    import torch
    import vapoursynth as vs
    from safetensors.torch import save_file
    from spandrel.architectures.Compact import Compact  # noqa: I001 - a tiny real SR architecture

    import vs_plugin
    from vs_plugin.host.arrays import frame_to_array

    torch.manual_seed(0)
    net = Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=2)
    src_file = tmp_path / "tiny_compact_x2.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(src_file))
    manager.add(src_file)
    src_file.unlink()  # only the store's copy is left
    clip = vs.core.std.BlankClip(width=32, height=24, format=vs.RGBS, length=2, color=[0.3, 0.4, 0.5])
    out = vs_plugin.upscale(clip, 64, 48, model="tiny_compact_x2", radius=0)
    assert frame_to_array(out.get_frame(0)).shape == (48, 64, 3)
    (store / "tiny_compact_x2.safetensors").write_bytes(b"tampered")
    with pytest.raises(vs.Error, match="does not match the sha256 recorded in the store"):
        vs_plugin.upscale(clip, 64, 48, model="tiny_compact_x2")


def _flowvsr_file(path: Path, poison: float | None = None, gain: float = 1.0) -> Path:
    """The shipped clean x2 saved again, with one weight set to ``poison`` or every body weight
    multiplied by ``gain``."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file
    shipped = ROOT / "models" / "builtin_clean_x2.safetensors"
    with safe_open(str(shipped), "pt") as f:
        meta = f.metadata()
    state = load_file(str(shipped))
    if poison is not None:
        state["body.3.weight"][0, 0, 0, 0] = poison
    for k in state:
        if k.startswith("body.") and state[k].dim() == 4:
            state[k] *= gain
    save_file(state, str(path), metadata=meta)
    return path


@pytest.mark.parametrize("poison", [float("nan"), float("inf")])
def test_weights_with_nan_or_inf_are_refused_at_load_and_by_models_add(tmp_path, store, poison):
    import vapoursynth as vs

    import vs_plugin
    bad = _flowvsr_file(tmp_path / "bad.safetensors", poison=poison)
    clip = vs.core.std.BlankClip(width=32, height=24, format=vs.RGBS, length=2)
    with pytest.raises(vs.Error, match=r"has non-finite weights \(NaN or Inf in body.3.weight\); the file is damaged"):
        vs_plugin.upscale(clip, 64, 48, model=str(bad))
    with pytest.raises(ValueError, match="model bad.safetensors has non-finite weights"):
        manager.add(bad)
    assert not (store / "bad.safetensors").exists()


def test_a_network_output_that_overflows_stops_the_render_with_a_clear_error(tmp_path):
    import vapoursynth as vs

    import vs_plugin
    huge = _flowvsr_file(tmp_path / "huge.safetensors", gain=1e8)  # finite weights, an output that overflows
    clip = vs.core.std.BlankClip(width=32, height=24, format=vs.RGBS, length=2, color=[0.3, 0.4, 0.5])
    out = vs_plugin.upscale(clip, 64, 48, model=str(huge), radius=0)
    with pytest.raises(vs.Error, match=r"model FlowVSR x2 \(huge.safetensors\) produced NaN or Inf on this frame"):
        out.get_frame(0)


def test_models_add_refuses_a_different_model_of_the_same_name_without_force(tmp_path, store):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _flowvsr_file(tmp_path / "a" / "m.safetensors")
    second = _flowvsr_file(tmp_path / "b" / "m.safetensors", gain=0.5)
    manager.add(first)
    assert manager.add(first) == store / "m.safetensors"  # the same file again is fine
    with pytest.raises(ValueError, match=r"models add: the store already holds a different m.safetensors "
                                         r"\(sha256 [0-9a-f]{12}\.\.\.\); pass --force to replace it"):
        manager.add(second)
    assert manager.sha256_of(store / "m.safetensors") == manager.sha256_of(first)
    manager.add(second, force=True)
    assert manager.sha256_of(store / "m.safetensors") == manager.sha256_of(second)
