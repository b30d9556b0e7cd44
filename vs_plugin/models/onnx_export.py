"""The built-in networks as ONNX in the layout vs-mlrt feeds them, so any vs-mlrt runtime
(TensorRT, MIGraphX, ncnn-Vulkan, OpenVINO, ONNX Runtime) can run them.

vs-mlrt hands a network one tensor: the planes of all its input clips concatenated,
``(1, C, H, W)``. For a FlowVSR the clips are the centre frame (RGB), its K aligned neighbours
(RGB each) and their K confidences (one plane each), in that order: ``C = 3 + 4K``. The exported
graph is the whole per-frame upscale: gated differences, the network, pixel shuffle, the
bicubic base (ONNX ``Resize`` cubic, a = -0.75, half-pixel: OpenCV's and torch's bicubic) and
the clamp to [0, 1]; its output is the RGB frame at ``scale`` times the size. Height and width
are dynamic (multiples of the network's unshuffle factor), so one file serves every input size
and vs-mlrt's tiles.

Exporting needs the ``onnx`` package (``steadyscale[onnx]``); the shipped files are made by
``scripts/export_onnx.py`` and verified there against torch.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..core.vsr_net import FlowVSR

#: ONNX opset of the exported files (Resize with cubic_coeff_a, supported by every vs-mlrt runtime)
OPSET = 17


class PlanarFlowVSR(nn.Module):
    """A FlowVSR taking vs-mlrt's concatenated planes and returning the clamped RGB upscale."""

    def __init__(self, net: FlowVSR):
        super().__init__()
        self.net = net.eval()
        self.k = net.frames - 1

    @property
    def in_channels(self) -> int:
        return 3 + 4 * self.k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, net = self.k, self.net
        centre = x[:, :3]
        parts = [centre]
        for i in range(k):  # slices, not a reshape: H and W stay symbolic in the graph
            parts.append((x[:, 3 + 3 * i:6 + 3 * i] - centre) * x[:, 3 + 3 * k + i:4 + 3 * k + i])
        parts += [x[:, 3 + 3 * k + i:4 + 3 * k + i] for i in range(k)]
        packed = torch.cat(parts, dim=1) if k else centre
        if net.unshuffle > 1:
            packed = F.pixel_unshuffle(packed, net.unshuffle)
        residual = F.pixel_shuffle(net.features_lr(packed), net.scale * net.unshuffle)
        base = F.interpolate(centre, scale_factor=float(net.scale), mode="bicubic", align_corners=False)
        return torch.clamp(base + residual, 0.0, 1.0)


def export_flowvsr(net: FlowVSR, path: Path | None = None, opset: int = OPSET) -> bytes:
    """The ONNX bytes of ``net`` in vs-mlrt's layout (also written to ``path`` if given)."""
    model = PlanarFlowVSR(net.float()).eval()
    u = net.unshuffle
    example = torch.rand(1, model.in_channels, 8 * u, 12 * u)
    buf = io.BytesIO()
    with torch.inference_mode():
        torch.onnx.export(model, (example,), buf, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {2: "height", 3: "width"}, "output": {2: "height_out",
                                                                                       3: "width_out"}},
                          opset_version=opset, dynamo=False, do_constant_folding=True)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data
