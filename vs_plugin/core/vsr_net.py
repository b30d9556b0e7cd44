"""The built-in flow-aligned video super-resolution network (pure torch).

``FlowVSR`` sees frame *n* and its neighbours *already warped onto n* by the flow node, each with
its flow confidence. A neighbour enters only as ``confidence * (warped - centre)``, so a neighbour
that is switched off (confidence 0: scene cut, occlusion, clip end, single-frame mode) is exactly
zero input: the same weights are the single-frame baseline. The output is a residual over a
bicubic upsample, predicted at low resolution and rearranged with pixel-shuffle.

``unshuffle=2`` folds each 2x2 block of input pixels into channels first (space-to-depth), so
the body runs on a quarter of the pixels with four times the input information each: an x2
network for 1080p input with a 32-channel, 6-layer body.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class FlowVSR(nn.Module):
    """Multi-frame x2/x4 SR network.

    Args:
        scale: 2 or 4.
        frames: window length (1, 3 or 5); neighbours are ``frames - 1``.
        channels: feature width.
        blocks: number of 3x3 conv + PReLU layers in the body.
        unshuffle: space-to-depth factor of the input (1 = none); input sizes must be multiples.
    """

    def __init__(self, scale: int = 4, frames: int = 3, channels: int = 32, blocks: int = 6,
                 unshuffle: int = 1):
        super().__init__()
        if scale not in (2, 3, 4):
            raise ValueError(f"FlowVSR: scale must be 2, 3 or 4, got {scale}")
        if unshuffle not in (1, 2):
            raise ValueError(f"FlowVSR: unshuffle must be 1 or 2, got {unshuffle}")
        self.scale, self.frames, self.channels, self.blocks = scale, frames, channels, blocks
        self.unshuffle = unshuffle
        neighbours = frames - 1
        # per neighbour: gated RGB difference (3) + confidence (1)
        self.head = nn.Conv2d((3 + 4 * neighbours) * unshuffle ** 2, channels, 3, padding=1)
        body: list[nn.Module] = [nn.PReLU(channels)]
        for _ in range(blocks):
            body += [nn.Conv2d(channels, channels, 3, padding=1), nn.PReLU(channels)]
        self.body = nn.Sequential(*body)
        self.tail = nn.Conv2d(channels, 3 * (scale * unshuffle) ** 2, 3, padding=1)
        self.shuffle = nn.PixelShuffle(scale * unshuffle)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, centre: torch.Tensor, warped: torch.Tensor | None = None,
                conf: torch.Tensor | None = None) -> torch.Tensor:
        """Upscale ``centre``: the bicubic upsample plus :meth:`residual`.

        Args:
            centre: ``(B, 3, H, W)`` RGB in [0, 1].
            warped: ``(B, K, 3, H, W)`` neighbours warped onto ``centre`` (K = frames - 1), or None
                for single-frame use.
            conf: ``(B, K, 1, H, W)`` their confidences in [0, 1], or None.

        Returns:
            ``(B, 3, s*H, s*W)``, not clamped.
        """
        base = F.interpolate(centre, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return base + self.residual(centre, warped, conf)

    def residual(self, centre: torch.Tensor, warped: torch.Tensor | None = None,
                 conf: torch.Tensor | None = None) -> torch.Tensor:
        """The predicted detail over the bicubic upsample (inference adds a faster OpenCV
        bicubic, equal to 3e-7: torch's CPU bicubic is a fifth of the network's time at UHD)."""
        return self.shuffle(self.residual_lr(centre, warped, conf))

    def residual_lr(self, centre: torch.Tensor, warped: torch.Tensor | None = None,
                    conf: torch.Tensor | None = None) -> torch.Tensor:
        """:meth:`residual` before pixel-shuffle: ``(B, 3*f*f, H/u, W/u)`` with ``f = s*u``
        (``u`` = unshuffle), channel ``c*f*f + i*f + j`` holding output pixel ``(f*y + i, f*x + j)``
        of colour ``c`` (so inference can shuffle while it writes the output planes)."""
        b, _, h, w = centre.shape
        k = self.frames - 1
        if k > 0:
            if warped is None or conf is None:
                diff = centre.new_zeros((b, k * 3, h, w))
                c = centre.new_zeros((b, k, h, w))
            else:
                diff = ((warped - centre.unsqueeze(1)) * conf).reshape(b, k * 3, h, w)
                c = conf.reshape(b, k, h, w)
            x = torch.cat([centre, diff, c], dim=1)
        else:
            x = centre
        if self.unshuffle > 1:
            x = F.pixel_unshuffle(x, self.unshuffle)
        return self.features_lr(x)

    def features_lr(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`residual_lr` from its packed input: centre, gated differences and confidences
        concatenated (in that order) and unshuffled, ``(B, (3 + 4K) * u * u, H/u, W/u)``."""
        return self.tail(self.body(self.head(x)))

    def config(self) -> dict:
        """Constructor arguments, as recorded in the model manifest."""
        cfg = {"scale": self.scale, "frames": self.frames, "channels": self.channels,
               "blocks": self.blocks}
        if self.unshuffle != 1:  # recorded only when used: older manifests stay valid
            cfg["unshuffle"] = self.unshuffle
        return cfg


def deepen_state(state: dict[str, torch.Tensor], blocks: int) -> dict[str, torch.Tensor]:
    """Weights of a shallower FlowVSR grown to ``blocks`` body layers, computing the same function.

    The new layers are appended as identity convolutions followed by PReLU with slope 1, so a
    deeper network starts exactly where the trained one stopped and fine-tuning can only add to it
    (function-preserving deepening, as in Net2Net).
    """
    convs = sorted(int(k.split(".")[1]) for k in state if k.startswith("body.") and k.endswith(".bias"))
    have = len(convs)
    if blocks < have:
        raise ValueError(f"deepen_state: cannot shrink {have} body layers to {blocks}")
    grown = dict(state)
    channels = state["body.0.weight"].shape[0]
    eye = torch.zeros(channels, channels, 3, 3)
    eye[torch.arange(channels), torch.arange(channels), 1, 1] = 1.0
    for b in range(have, blocks):
        grown[f"body.{2 * b + 1}.weight"] = eye.clone()
        grown[f"body.{2 * b + 1}.bias"] = torch.zeros(channels)
        grown[f"body.{2 * b + 2}.weight"] = torch.ones(channels)
    return grown


def widen_state(state: dict[str, torch.Tensor], channels: int, seed: int = 0,
                init_scale: float = 0.1) -> dict[str, torch.Tensor]:
    """Weights of a narrower FlowVSR grown to ``channels`` features, computing the same function.

    The new feature channels get small random incoming weights and zero outgoing weights (into
    the old channels and the tail), so the wider network starts exactly where the trained one
    stopped while the new channels already carry gradients (function-preserving widening, as in
    Net2Net).
    """
    have = state["head.weight"].shape[0]
    if channels < have:
        raise ValueError(f"widen_state: cannot narrow {have} channels to {channels}")
    if channels == have:
        return dict(state)
    gen = torch.Generator().manual_seed(seed)
    new = channels - have

    def grow_out(w: torch.Tensor) -> torch.Tensor:  # append output rows: small random, fan-in scaled
        fan_in = w[0].numel() if w.dim() > 1 else 1
        extra = torch.randn((new, *w.shape[1:]), generator=gen) * (init_scale / fan_in ** 0.5)
        return torch.cat([w, extra.to(w.dtype)])

    grown = dict(state)
    convs = sorted(int(k.split(".")[1]) for k in state if k.startswith("body.") and k.endswith(".bias"))
    grown["head.weight"] = grow_out(state["head.weight"])
    grown["head.bias"] = torch.cat([state["head.bias"], state["head.bias"].new_zeros(new)])
    for key in [k for k in state if k.startswith("body.") and state[k].dim() == 1 and not k.endswith(".bias")]:
        grown[key] = torch.cat([state[key], state[key].new_full((new,), 0.25)])  # PReLU slopes
    for i in convs:
        w = state[f"body.{i}.weight"]
        w = torch.cat([w, w.new_zeros((w.shape[0], new, *w.shape[2:]))], dim=1)  # old rows ignore new inputs
        grown[f"body.{i}.weight"] = grow_out(w)
        grown[f"body.{i}.bias"] = torch.cat([state[f"body.{i}.bias"], state[f"body.{i}.bias"].new_zeros(new)])
    tw = state["tail.weight"]
    grown["tail.weight"] = torch.cat([tw, tw.new_zeros((tw.shape[0], new, *tw.shape[2:]))], dim=1)
    return grown


def unshuffle_state(state: dict[str, torch.Tensor], unshuffle: int) -> dict[str, torch.Tensor]:
    """Weights of a FlowVSR turned into an ``unshuffle``-times space-to-depth one of the same
    width, depth and output channels: each input channel's weights are shared equally by its
    ``u*u`` phases, so the new network starts as the old one run on the ``u x u`` block average
    of its input (a warm start: an x4 network at 540p becomes an x2 one at 1080p)."""
    u2 = unshuffle * unshuffle
    grown = dict(state)
    grown["head.weight"] = state["head.weight"].repeat_interleave(u2, dim=1) / u2  # channel c*u*u + phase
    return grown
