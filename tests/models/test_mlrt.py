"""upscale(backend=...): the built-in networks on vs-mlrt's runtimes (OpenVINO, ONNX Runtime,
ncnn on software Vulkan), against torch on real footage, and their refusals."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import vapoursynth as vs
from backends import random_flowvsr
from clips import from_arrays, textured_scene
from determinism import assert_deterministic

import vs_plugin
from vs_plugin.core import metrics
from vs_plugin.core.digest import sha256_file
from vs_plugin.host.arrays import frame_to_array
from vs_plugin.models import mlrt, registry
from vs_plugin.models.manifest import load_manifest

core = vs.core


def _plugin(name: str) -> None:
    if not mlrt.installed(name):
        r = mlrt.RUNTIMES[name]
        pytest.skip(f"vs-mlrt's {r.namespace} plugin is not installed (pip install 'steadyscale[{r.extra}]')")


def _vid4(data_dir, frames: int = 6):
    seq = "calendar"
    read = lambda p: cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB).astype(np.float32) / 255  # noqa: E731
    lr = [read(p) for p in sorted((data_dir / "eval" / "vid4" / "BIx4" / seq).iterdir())[:frames]]
    gt = [read(p) for p in sorted((data_dir / "eval" / "vid4" / "GT" / seq).iterdir())[:frames]]
    return lr, gt


def _render(lr, gt, **kw):
    h, w = gt[0].shape[:2]
    out = vs_plugin.upscale(from_arrays(lr), w, h, model="builtin", format=vs.RGBS, **kw)
    return [frame_to_array(out.get_frame(n)) for n in range(out.num_frames)]


def _run_or_skip(fn):
    """ncnn without a Vulkan device fails at its first frame: that is a skip, with the reason."""
    try:
        return fn()
    except vs.Error as e:
        if "get_gpu_device" in str(e) or "vulkan" in str(e).lower():
            pytest.skip(f"no Vulkan device (CI installs Debian's mesa-vulkan-drivers): {e}")
        raise


@pytest.mark.parametrize("backend", ["ov-cpu", "ort-cpu", "ncnn"])
def test_a_vs_mlrt_backend_gives_torchs_picture_on_real_footage(backend, data_dir):
    _plugin(backend)
    lr, gt = _vid4(data_dir)
    torch_out = _render(lr, gt, precision="fp32")
    out = _run_or_skip(lambda: _render(lr, gt, precision="fp32", backend=backend))
    db = lambda frames: np.mean([metrics.psnr_y(o, g) for o, g in zip(frames, gt)])  # noqa: E731
    assert abs(db(out) - db(torch_out)) < 0.05
    assert max(float(np.abs(o - t).max()) for o, t in zip(out, torch_out)) < 1e-5  # fp32 on both sides
    if backend == "ov-cpu":  # the default precision: bf16 on CPUs that do it natively, on both sides
        assert abs(db(_render(lr, gt, backend=backend)) - db(_render(lr, gt))) < 0.05


def test_a_vs_mlrt_backend_keeps_frame_accurate_random_access():
    _plugin("ort-cpu")
    frames = textured_scene(6, 64, 48, seed=4)
    assert_deterministic(lambda: vs_plugin.upscale(from_arrays(frames), 256, 192, model="builtin", format=vs.RGBS,
                                                   backend="ort-cpu", precision="fp32"))


def test_further_passes_odd_sizes_and_strength_follow_torch():
    _plugin("ort-cpu")
    frames = textured_scene(4, 47, 31, seed=5)  # odd: the x2 model's unshuffle needs even sizes (padded)
    for kw in (dict(width=376, height=248), dict(width=94, height=62), dict(width=188, height=124, strength=0.5)):
        a, b = (vs_plugin.upscale(from_arrays(frames), model="builtin", format=vs.RGBS, precision="fp32",
                                  backend=be, **kw) for be in ("torch", "ort-cpu"))
        diff = max(float(np.abs(frame_to_array(a.get_frame(n)) - frame_to_array(b.get_frame(n))).max())
                   for n in range(4))
        # strength blends toward zimg's bicubic on vs-mlrt and OpenCV's on torch: equal but at the edges
        assert diff < (0.02 if "strength" in kw else 1e-5), (kw, diff)


def test_a_missing_runtime_is_a_one_line_error_and_auto_never_picks_one(monkeypatch):
    src = from_arrays(textured_scene(3, 32, 24, seed=1))
    monkeypatch.setattr(mlrt, "installed", lambda name: name == "torch")
    with pytest.raises(vs.Error, match=r"^steadyscale\.upscale: backend 'ov-cpu' needs vs-mlrt's ov plugin: "
                                       r"pip install 'steadyscale\[ov\]'$"):
        vs_plugin.upscale(src, 128, 96, backend="ov-cpu")
    assert mlrt.resolve("upscale", "auto", "cpu") == "torch"
    assert vs_plugin.upscale(src, 128, 96, backend="auto").num_frames == 3
    with pytest.raises(vs.Error, match=r"backend 'trt' \(NVIDIA TensorRT\) needs an engine built for your GPU"):
        vs_plugin.upscale(src, 128, 96, backend="trt")
    with pytest.raises(vs.Error, match=r"backend must be one of .*, got 'cuda'"):
        vs_plugin.upscale(src, 128, 96, backend="cuda")


def test_third_party_models_and_the_ensemble_stay_on_torch():
    _plugin("ort-cpu")
    src = from_arrays(textured_scene(3, 32, 24, seed=1))
    with pytest.raises(vs.Error, match=r"backend='ort-cpu' runs the built-in models .*needs backend='torch'"):
        vs_plugin.upscale(src, 64, 48, model=random_flowvsr(2, 5), backend="ort-cpu")
    with pytest.raises(vs.Error, match=r"ensemble=True runs on backend='torch' only"):
        vs_plugin.upscale(src, 128, 96, backend="ort-cpu", ensemble=True)


def test_every_built_in_model_ships_an_onnx_export_of_its_current_weights():
    entries = json.loads(mlrt.MANIFEST.read_text())["models"]
    assert set(entries) == set(load_manifest())
    for name, e in entries.items():
        desc = registry.get_descriptor(name)
        assert e["weights_sha256"] == desc.sha256, f"{name}: weights changed; run scripts/export_onnx.py"
        assert sha256_file(mlrt.ONNX_DIR / e["file"]) == e["sha256"]
        assert e["inputs"] == 3 + 4 * (desc.frames - 1) and e["max_abs_diff_vs_torch"] < 1e-5
