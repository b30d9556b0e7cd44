"""Training losses for the built-in SR networks.

``luma`` weights the error the way the output is seen and delivered: full-resolution luma, and
chroma averaged over 2x2 blocks at a quarter of the weight. Video leaves the pipeline as YUV
4:2:0, which keeps one chroma sample per 2x2 block, and the eye resolves far less colour detail
than brightness detail; a small network should not spend its capacity on chroma detail that
the encoder discards. ``l1`` is the plain per-channel RGB error.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: BT.601 luma and colour-difference rows (the benchmark's Y is this luma, studio-swing scaled)
_YCBCR = torch.tensor([[0.299, 0.587, 0.114],
                       [-0.168736, -0.331264, 0.5],
                       [0.5, -0.418688, -0.081312]])

LOSSES = ("l1", "luma")
CHROMA_WEIGHT = 0.25


def ycbcr_difference(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` RGB difference as BT.601 Y, Cb, Cr (a linear map: no offsets needed)."""
    return torch.einsum("ck,bkhw->bchw", _YCBCR.to(out), out - target)


def sr_loss(kind: str, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The training loss ``kind`` (one of :data:`LOSSES`) of ``out`` against ``target``."""
    if kind == "l1":
        return F.l1_loss(out, target)
    if kind == "luma":
        d = ycbcr_difference(out, target)
        chroma = F.avg_pool2d(d[:, 1:], 2)
        return d[:, :1].abs().mean() + CHROMA_WEIGHT * chroma.abs().mean()
    raise ValueError(f"sr_loss: kind must be one of {'|'.join(LOSSES)}, got {kind!r}")


def _luma(x: torch.Tensor) -> torch.Tensor:
    """``(B, 1, H, W)`` BT.601 luma of ``(B, 3, H, W)`` RGB."""
    return torch.einsum("k,bkhw->bhw", _YCBCR[0].to(x), x)[:, None]


def sobel_luma(x: torch.Tensor) -> torch.Tensor:
    """``(B, 2, H, W)`` horizontal and vertical Sobel gradients of BT.601 luma."""
    y = _luma(x)
    k = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=x.dtype, device=x.device) / 8
    w = torch.stack([k, k.t()])[:, None]
    return F.conv2d(F.pad(y, (1, 1, 1, 1), mode="replicate"), w)


def oriented_gradients(g: torch.Tensor) -> torch.Tensor:
    """``(B, 4, H, W)`` absolute directional derivatives at 0, 45, 90 and 135 degrees from the
    ``(B, 2, H, W)`` Sobel pair of :func:`sobel_luma`."""
    gx, gy = g[:, :1], g[:, 1:]
    r = 0.5 ** 0.5
    return torch.cat([gx, (gx + gy) * r, gy, (gx - gy) * r], 1).abs()


def subpixel_bias(x: torch.Tensor, scale: int = 4, block: int = 16) -> torch.Tensor:
    """How much each of the ``scale x scale`` sub-pixel positions of luma differs from its
    block's mean, per ``block``-pixel block: ``(B, scale*scale, H/block, W/block)``. A network that
    ends in a pixel shuffle can add texture energy most cheaply as a fixed pattern per sub-pixel
    position (a grid or stripes of period ``scale``); real texture averages out over a block."""
    y = _luma(x)
    h, w = y.shape[-2] // block * block, y.shape[-1] // block * block
    m = F.avg_pool2d(F.pixel_unshuffle(y[..., :h, :w], scale), block // scale)
    return m - m.mean(1, keepdim=True)


def distill_loss(out: torch.Tensor, gt: torch.Tensor, teacher: torch.Tensor, *, teacher_weight: float = 0.6,
                 grad_weight: float = 1.0, magnitude_weight: float = 0.0, energy_weight: float = 0.0,
                 oriented_weight: float = 0.0, energy_block: int = 8, gradient_target: str = "teacher",
                 grid_weight: float = 0.0, scale: int = 4) -> torch.Tensor:
    """Real-footage loss: the luma loss against the ground truth and against the teacher's output
    (mixed by ``teacher_weight``), an L1 loss on luma Sobel gradients against the teacher, and an
    L1 loss on the gradient *magnitude*. A signed-gradient or pixel L1 under uncertainty about
    where an edge or a texture lies pays best for its average: blur. The magnitude term does not
    care about the sign or the exact phase of a detail, only that the local contrast is as high
    as the teacher's, so it pays for restored sharpness instead. The blockwise energy term pays for
    as much detail per block as the teacher's; its ``oriented`` form asks it per direction, so a
    block cannot be paid with stripes of one orientation where the teacher has texture in all.

    ``gradient_target="gt"`` takes the gradient terms from the ground truth instead: for an x2,
    whose input holds more than the x4 teacher ever saw, the teacher's detail is a floor, not a
    target. ``grid_weight`` holds the output's :func:`subpixel_bias` to the ground truth's, so
    the energy terms cannot be paid with a sub-pixel grid."""
    fid = (1 - teacher_weight) * sr_loss("luma", out, gt) + teacher_weight * sr_loss("luma", out, teacher)
    go, gt_ = sobel_luma(out), sobel_luma(teacher if gradient_target == "teacher" else gt)
    loss = fid + grad_weight * (go - gt_).abs().mean()
    mag = lambda g: (g.pow(2).sum(1, keepdim=True) + 1e-6).sqrt()  # noqa: E731
    if magnitude_weight:
        loss = loss + magnitude_weight * (mag(go) - mag(gt_)).abs().mean()
    if energy_weight:  # texture energy per block: how much detail, not exactly where
        loss = loss + energy_weight * (F.avg_pool2d(mag(go), energy_block)
                                       - F.avg_pool2d(mag(gt_), energy_block)).abs().mean()
    if oriented_weight:  # the same per orientation: texture energy in one direction only (stripes) does not pay
        loss = loss + oriented_weight * (F.avg_pool2d(oriented_gradients(go), energy_block)
                                         - F.avg_pool2d(oriented_gradients(gt_), energy_block)).abs().mean()
    if grid_weight:
        loss = loss + grid_weight * (subpixel_bias(out, scale) - subpixel_bias(gt, scale)).abs().mean()
    return loss


def sharpness_ratio(out: torch.Tensor, ref: torch.Tensor) -> float:
    """Mean luma Sobel magnitude of ``out`` over that of ``ref`` (1 = as sharp as the reference)."""
    go, gr = sobel_luma(out), sobel_luma(ref)
    return float(go.pow(2).sum(1).sqrt().mean() / gr.pow(2).sum(1).sqrt().mean().clamp_min(1e-8))
