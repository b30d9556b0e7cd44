"""Where a network runs and in which precision: the device and dtype policy of every backend.

``precision="auto"`` is the fastest precision that keeps the picture: on CUDA fp16 where the
model supports it (else bf16); on a CPU with native bf16 arithmetic (AVX-512 BF16 or AMX),
bf16, which runs the built-in networks about twice as fast as fp32 there with a drift far below
what 8- or 10-bit output can show (docs/benchmarks.md); fp32 on other CPUs, where bf16 is
emulated and slower. Native bf16 is detected (torch's own CPU capability probes, else the
kernel's CPU flags), never guessed from the CPU's name.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch

PRECISIONS = ("auto", "fp32", "fp16", "bf16")
#: the kernel's names for native bf16 arithmetic (/proc/cpuinfo flags)
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU does bf16 arithmetic in hardware (``precision="fp32"`` opts out)."""
    probes = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if any(p is not None for p in probes):
        return any(p() for p in probes if p is not None)
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return any(f in flags for f in BF16_FLAGS)


def resolve_device(device: str) -> torch.device:
    """``auto`` -> first CUDA device if any, else CPU; ``cpu``, ``cuda``, ``cuda:N`` as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device must be an available device, got {device!r} (no CUDA here)")
    return dev


def resolve_dtype(precision: str, device: torch.device, fp16: bool, bf16: bool) -> torch.dtype:
    """The dtype for ``precision`` on ``device`` for a model that supports ``fp16``/``bf16``
    (``auto``: see the module docstring); an explicit precision the model lacks is an error."""
    if precision == "auto":
        if device.type == "cpu":
            return torch.bfloat16 if bf16 and cpu_has_native_bf16() else torch.float32
        return torch.float16 if fp16 else (torch.bfloat16 if bf16 else torch.float32)
    if precision == "fp32":
        return torch.float32
    if precision == "fp16":
        if not fp16:
            raise ValueError("precision 'fp16' is not supported by this model; use 'bf16' or 'fp32'")
        return torch.float16
    if not bf16:
        raise ValueError("precision 'bf16' is not supported by this model; use 'fp32'")
    return torch.bfloat16
