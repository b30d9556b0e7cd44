"""Memory policy of the network pass: how much is free, and the tile size ``tile='auto'`` picks."""

from __future__ import annotations

import os


def available_memory(device: str) -> int:
    """Free bytes on the device the model runs on (CUDA: the card, else host RAM)."""
    import torch
    if device.startswith("cuda") or (device == "auto" and torch.cuda.is_available()):
        try:
            return int(torch.cuda.mem_get_info()[0])
        except Exception:  # noqa: BLE001 - no usable CUDA after all
            pass
    try:  # MemAvailable counts the page cache the kernel would give back; "free" pages do not
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 4 << 30


def auto_tile(tile, width: int, height: int, device: str = "auto", scale: int = 4):
    """``tile='auto'``: the whole frame if its activations fit in a quarter of the free memory,
    else the largest square tile (multiple of 16) that does; any other value is returned as is."""
    if tile != "auto":
        return tile
    bytes_per_px = 4 * (64 * 6 + 3 * scale * scale * 4)  # generous: features + outputs + copies
    budget = available_memory(device) // 4
    if width * height * bytes_per_px <= budget:
        return None
    side = max(64, int((budget / bytes_per_px) ** 0.5) // 16 * 16)
    return (min(width, side), min(height, side))
