"""Adversarial training parts for the built-in face restorer: a patch discriminator of our own
(no pretrained network is available offline) and realistic single-face degradations.

The discriminator judges ``(B, 3, H, W)`` RGB in [0, 1] high-resolution face crops as real or
restored, one logit per 16x16 patch, so it rewards plausible local texture (lashes, lip lines,
hair strands) rather than a face-level look; spectral normalisation keeps it from overpowering
a small generator on CPU budgets.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .degrade import apply_real, draw_real


class PatchDiscriminator(nn.Module):
    """Four stride-2 conv stages (32-64-128-128 channels) and a 1-channel logit map."""

    def __init__(self, width: int = 32):
        super().__init__()
        c = [3, width, 2 * width, 4 * width, 4 * width]
        layers: list[nn.Module] = []
        for i in range(4):
            layers += [spectral_norm(nn.Conv2d(c[i], c[i + 1], 4, 2, 1)), nn.LeakyReLU(0.2)]
            layers += [spectral_norm(nn.Conv2d(c[i + 1], c[i + 1], 3, 1, 1)), nn.LeakyReLU(0.2)]
        layers.append(spectral_norm(nn.Conv2d(c[-1], 1, 3, 1, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2 - 1)


def degrade_face_clip(hr: list[np.ndarray], lr_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``(lr_size, lr_size, 3)`` inputs for an x4 restorer from clean ``(4*lr, 4*lr, 3)`` frames
    of one face: the face's true resolution is ``hr / f`` with ``f`` in [2, 8] (a camera further
    away or a worse scaler), degraded by :func:`.degrade.draw_real` (blur, noise, JPEG, x264/x265;
    one draw for the clip, fresh noise per frame, the frames encoded as one clip), then brought
    to the restorer's input grid by bicubic interpolation. One frame is an I-frame."""
    f = float(np.exp(rng.uniform(np.log(2.0), np.log(8.0))))
    side = max(8, int(round(hr[0].shape[0] / f / 2)) * 2)
    lrs = apply_real(hr, 4, draw_real(rng, strength=0.7), rng, size=(side, side))
    return [np.clip(cv2.resize(lr, (lr_size, lr_size), interpolation=cv2.INTER_CUBIC), 0, 1) for lr in lrs]
