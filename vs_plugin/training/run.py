"""What every training script of the project does around its loss: the run's record
(``run.json``), the schedule, the log, atomic checkpoints that make an interrupted run resume
where it stopped, and the exported weights (safetensors with the network's constructor
arguments, which the model manager and ``models/MODELS.toml`` read)."""

from __future__ import annotations

import json
import math
import subprocess
import time
from pathlib import Path

import torch
from safetensors.torch import save_file


def write_run_record(out: Path, argv: list[str], params: int, args: dict | None = None) -> None:
    """``out/run.json``: the command, the code's commit and the parameter count (and ``args``)."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    record = {"argv": argv, **({"args": {k: str(v) for k, v in args.items()}} if args is not None else {}),
              "commit": commit, "params": params}
    (out / "run.json").write_text(json.dumps(record, indent=1))


def cosine_lr(base: float, progress: float, floor: float) -> float:
    """Cosine decay from ``base`` to ``floor * base`` over ``progress`` in [0, 1]."""
    p = min(max(progress, 0.0), 1.0)
    return base * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * p)))


def progress(t0: float, minutes: float, it: int, iters: int) -> float:
    """How far a run is: by its planned time when it has one, else by iterations."""
    return (time.time() - t0) / (minutes * 60) if minutes else it / iters


def save_atomic(state: dict, path: Path) -> None:
    """``torch.save`` under a temporary name, then renamed: a stop mid-write keeps the old file."""
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def export_weights(net: torch.nn.Module, path: Path) -> None:
    """The network's weights as safetensors with its ``config()`` as metadata."""
    save_file({k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}, str(path),
              metadata={k: str(v) for k, v in net.config().items()})


def log_record(log, record: dict) -> None:
    """One JSON line in the run's log, flushed (a run may be stopped at any time)."""
    log.write(json.dumps(record) + "\n")
    log.flush()
