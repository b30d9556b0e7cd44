"""The training scripts the shipped models come from run, resume where they stopped, and export
weights the plugin loads (a few iterations of tiny networks on the shared training data)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import vapoursynth as vs

import vs_plugin
from vs_plugin.training.run import cosine_lr

ROOT = Path(__file__).resolve().parents[2]


def _train(script: str, *args) -> None:
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *map(str, args)], capture_output=True,
                       text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]


def _log(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


def test_train_vsr_runs_resumes_and_exports_weights_upscale_loads(data_dir, tmp_path):
    out = tmp_path / "run"
    tiny = ["--data", data_dir, "--scale", 4, "--frames", 3, "--channels", 8, "--blocks", 2, "--batch", 2,
            "--lr-size", 32, "--minutes", 0, "--report-every", 1, "--val-samples", 2, "--out", out]
    _train("train_vsr.py", *tiny, "--iters", 2)
    assert [r["iter"] for r in _log(out)] == [1, 2, 2] and _log(out)[-1]["done"]
    run = json.loads((out / "run.json").read_text())
    assert run["params"] > 0 and run["argv"][0].endswith("train_vsr.py") and len(run["commit"]) == 40
    _train("train_vsr.py", *tiny, "--iters", 3)  # the same command later: it continues at iteration 3
    assert [r["iter"] for r in _log(out)] == [1, 2, 2, 3, 3]
    frames = [np.random.default_rng(n).random((24, 32, 3), dtype=np.float32) for n in range(3)]
    from clips import from_arrays
    up = vs_plugin.upscale(from_arrays(frames), 128, 96, model=str(out / "model.safetensors"), format=vs.RGBS)
    assert (up.width, up.height) == (128, 96) and np.isfinite(np.asarray(up.get_frame(1)[0])).all()


def test_the_learning_rate_decays_by_cosine_to_its_floor():
    assert cosine_lr(1e-3, 0.0, 0.02) == 1e-3
    assert abs(cosine_lr(1e-3, 0.5, 0.02) - 1e-3 * (0.02 + 0.98 * 0.5)) < 1e-15
    assert abs(cosine_lr(1e-3, 1.0, 0.02) - 2e-5) < 1e-15 and cosine_lr(1e-3, 7.0, 0.02) == cosine_lr(1e-3, 1.0, 0.02)
