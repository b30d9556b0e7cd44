"""SR backends for tests: tiny random networks and a deliberately flickering upscaler."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import torch

from vs_plugin.core.vsr_net import FlowVSR
from vs_plugin.models.backends import TorchSR


def random_flowvsr(scale: int = 2, frames: int = 5, seed: int = 0, tile=None) -> TorchSR:
    """A randomly initialised FlowVSR (tail not zero, so it really changes the picture)."""
    torch.manual_seed(seed)
    net = FlowVSR(scale, frames, channels=8, blocks=2)
    torch.nn.init.normal_(net.tail.weight, std=0.05)
    return TorchSR(net, scale, f"random FlowVSR x{scale}", multi_frame=frames > 1, frames=frames,
                   device="cpu", tile=tile, halo=16)


class FlickerSR:
    """Lanczos plus fresh random fine texture every frame, like a generative per-frame enhancer.

    The texture is seeded by the frame's content, so the backend is still a pure function.
    """

    frames = 1

    def __init__(self, scale: int = 2, amplitude: float = 0.06):
        self.scale, self.amplitude, self.name = scale, amplitude, "flicker"

    def clean(self, centre: np.ndarray) -> np.ndarray:
        h, w = centre.shape[:2]
        return cv2.resize(centre, (w * self.scale, h * self.scale), interpolation=cv2.INTER_LANCZOS4)

    def __call__(self, centre, warped=(), conf=()):
        seed = int.from_bytes(hashlib.sha256(centre.tobytes()).digest()[:8], "little")
        rng = np.random.default_rng(seed)
        up = self.clean(centre)
        noise = rng.normal(0, self.amplitude, up.shape[:2] + (1,)).astype(np.float32)
        return np.clip(up + noise, 0, 1)
