"""Per-frame super-resolution backends behind one typed interface, :class:`SRBackend`.

* :class:`TorchSR` runs a torch module: the built-in :class:`~vs_plugin.core.vsr_net.FlowVSR`
  (multi-frame: it also takes aligned neighbours) or any single-frame model spandrel loads, with
  the size rules (padding to a multiple, a minimum, square) and tiling policy of its spandrel
  descriptor.
* :class:`LanczosSR` is the non-AI path.
* :class:`CallableSR` adapts any object with ``scale``/``frames``/``__call__`` (a user's own
  backend) and holds it to the same contract.

The backend owns everything between the frame and the network: padding, size multiples,
tiling and clamping. All take the centre frame ``(H, W, 3)`` float32 RGB in [0, 1], plus (for
multi-frame backends) neighbours already warped onto it and their confidences ``(H, W)``; they
return ``(s*H, s*W, 3)`` float32 clamped to [0, 1], or write it into ``out`` (R, G, B planes).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..core import profile
from ..core.tiling import run_tiled
from ..core.vsr_net import FlowVSR
from . import registry
from .device import resolve_device, resolve_dtype
from .ensemble import self_ensemble

if TYPE_CHECKING:  # spandrel is imported when a third-party file is loaded: 2 s off every start
    from spandrel import ModelTiling, SizeRequirements

log = logging.getLogger("steadyscale.models")

@runtime_checkable
class SRBackend(Protocol):
    """What the SR node calls for each frame (see the module docstring for the contract)."""

    #: integer upscaling factor
    scale: int
    #: frames the model reads: 1, or the centre plus ``frames - 1`` aligned neighbours
    frames: int
    #: shown in logs and errors
    name: str

    def __call__(self, centre: np.ndarray, warped: Sequence[np.ndarray] = (), conf: Sequence[np.ndarray] = (),
                 out: list[np.ndarray] | None = None) -> np.ndarray | list[np.ndarray]: ...


def _into(result: np.ndarray, out: list[np.ndarray] | None):
    """``result`` returned, or copied into the ``out`` planes and those returned."""
    if out is None:
        return result
    for c, plane in enumerate(out):
        np.copyto(plane, result[..., c])
    return out


class LanczosSR:
    """Lanczos (OpenCV, 8-tap) upscaling by an integer factor."""

    frames = 1

    def __init__(self, scale: int):
        self.scale, self.name = scale, f"lanczos x{scale}"

    def __call__(self, centre, warped=(), conf=(), out=None):
        h, w = centre.shape[:2]
        result = cv2.resize(centre, (w * self.scale, h * self.scale), interpolation=cv2.INTER_LANCZOS4)
        return _into(np.clip(result, 0, 1), out)


class SingleFrame:
    """A backend used single-frame: a multi-frame one gets its neighbours switched off
    (confidence 0), which for FlowVSR is exactly its single-frame baseline. Repeated upscale
    passes run this way, and so does "upscale() alone" on a still image in the evaluations."""

    frames = 1

    def __init__(self, backend):
        self.backend, self.scale, self.name = backend, backend.scale, backend.name

    def __call__(self, centre, warped=(), conf=(), out=None):
        if self.backend.frames <= 1:
            return self.backend(centre, out=out)
        k = self.backend.frames - 1
        h, w = centre.shape[:2]
        return self.backend(centre, [centre] * k, [np.zeros((h, w), np.float32)] * k, out=out)


class Strength:
    """A backend's output blended toward the bicubic base it starts from: ``strength`` 1 is the
    backend itself, 0 the base alone (nothing restored, nothing invented), values between scale
    the detail the network adds. One generic blend, so spandrel models get it too."""

    def __init__(self, backend, strength: float):
        self.backend, self.strength = backend, float(strength)
        self.scale, self.frames = backend.scale, backend.frames
        self.name = f"{backend.name} at strength {strength:g}"

    def __call__(self, centre, warped=(), conf=(), out=None):
        result = self.backend(centre, warped, conf, out=out)
        h, w = centre.shape[:2]
        size, s = (w * self.scale, h * self.scale), self.strength
        if out is None:  # one H x W x 3 array
            base = cv2.resize(np.ascontiguousarray(centre), size, interpolation=cv2.INTER_CUBIC)
            return np.clip(s * result + (1.0 - s) * base, 0, 1).astype(np.float32)
        for c, plane in enumerate(out):  # the output planes, blended in place
            base = cv2.resize(np.ascontiguousarray(centre[..., c]), size, interpolation=cv2.INTER_CUBIC)
            cv2.addWeighted(plane, s, base, 1.0 - s, 0.0, dst=plane)
            cv2.threshold(plane, 1.0, 1.0, cv2.THRESH_TRUNC, dst=plane)  # the base's overshoot clamped
            cv2.threshold(plane, 0.0, 0.0, cv2.THRESH_TOZERO, dst=plane)
        return out


def with_strength(backend, strength: float):
    """``backend`` itself at full strength (no extra pass), else wrapped in :class:`Strength`."""
    return backend if strength >= 1.0 else Strength(backend, strength)


class CallableSR:
    """A user's own backend (any object with ``scale``, ``frames`` and ``__call__(centre[,
    warped, conf])``) held to the :class:`SRBackend` contract: its result must be the right
    size and is clamped to [0, 1]; a wrong size is an error naming the backend and the sizes."""

    def __init__(self, backend):
        self.backend = backend
        self.scale, self.frames = int(backend.scale), int(backend.frames)
        self.name = str(getattr(backend, "name", type(backend).__name__))

    def __call__(self, centre, warped=(), conf=(), out=None):
        result = self.backend(centre, warped, conf) if self.frames > 1 else self.backend(centre)
        result = np.asarray(result, dtype=np.float32)
        want = (centre.shape[0] * self.scale, centre.shape[1] * self.scale, 3)
        if result.shape != want:
            raise ValueError(f"backend {self.name} returned {result.shape} for a "
                             f"{centre.shape[1]}x{centre.shape[0]} frame at x{self.scale}; expected {want}")
        return _into(np.clip(result, 0, 1), out)


@dataclass(frozen=True)
class MultipleOf:
    """The size rule of this project's own networks: width and height a multiple of
    ``multiple_of`` (the same interface as spandrel's SizeRequirements, which third-party files
    bring, without importing spandrel for the built-in models)."""

    multiple_of: int = 1

    def get_padding(self, width: int, height: int) -> tuple[int, int]:
        return -width % self.multiple_of, -height % self.multiple_of

    def check(self, width: int, height: int) -> bool:
        return self.get_padding(width, height) == (0, 0)


def check_finite(module: torch.nn.Module, name: str) -> None:
    """Refuse a network whose weights hold NaN or Inf: it renders garbage (a solid colour) for
    every frame, which should be a clear error at graph build, not a finished video."""
    for key, t in list(module.state_dict().items()):
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise ValueError(f"model {name} has non-finite weights (NaN or Inf in {key}); "
                             "the file is damaged or its training diverged")


def check_output_finite(result: torch.Tensor, name: str) -> None:
    """Stop a render whose network output is NaN or Inf (one sum: either propagates through it)."""
    if not bool(torch.isfinite(result.sum())):
        raise ValueError(f"steadyscale.upscale: model {name} produced NaN or Inf on this frame; "
                         "try precision='fp32' or another model")


class TorchSR:
    """A torch SR module on a device, in a precision, tiled on a fixed grid when asked."""

    def __init__(self, module: torch.nn.Module, scale: int, name: str, *, multi_frame: bool,
                 frames: int = 1, device: str = "auto", precision: str = "auto",
                 fp16: bool = True, bf16: bool = True, size: SizeRequirements | MultipleOf | None = None,
                 tiling: ModelTiling | None = None,
                 tile: tuple[int, int] | None = None, overlap: int = 16, halo: int = 16,
                 channels_last: bool = False, ensemble: bool = False):
        check_finite(module, name)
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(precision, self.device, fp16, bf16)
        self.module = module.eval().to(self.device, self.dtype)
        # NHWC: oneDNN's fast layout for convolution-only networks (about 20% faster on CPU for
        # FlowVSR, and the HWC result then needs no transposing copy)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        if channels_last:
            self.module = self.module.to(memory_format=torch.channels_last)
        self.scale, self.name, self.multi_frame = scale, name, multi_frame
        self.frames = frames if multi_frame else 1
        self.size = size or MultipleOf(1)
        policy = getattr(tiling, "name", "SUPPORTED")  # spandrel's ModelTiling; None: supported
        if tile is not None and policy == "INTERNAL":
            log.info("steadyscale: %s tiles internally; tile=%s is not applied", name, tile)
            tile = None
        elif tile is not None and policy == "DISCOURAGED":
            log.warning("steadyscale: %s is tiled as asked (tile=%s), but its authors discourage tiling "
                        "(seams or lost context possible)", name, tile)
        self.tile, self.overlap, self.halo = tile, overlap, halo  # the tiling policy is applied above
        self.ensemble = ensemble  # x8 geometric self-ensemble (eight runs averaged)
        # a FlowVSR predicts a residual over bicubic: run only that, add OpenCV's bicubic
        self._residual = isinstance(module, FlowVSR)
        if self._residual:
            self._head_packed = packed_head(self.module)
        self._lock = threading.Lock()  # one inference at a time: bounded memory, no oversubscription

    def _inputs(self, crops: list[np.ndarray]) -> tuple:
        """The network's input tensors (centre, warped, conf) on its device, padded to its size
        multiple; call under inference mode."""
        h, w = crops[0].shape[:2]
        pw, ph = self.size.get_padding(w, h)  # the model's multiple, minimum and squareness
        to = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None]  # noqa: E731
        centre = to(crops[0]).to(self.device, self.dtype, memory_format=self.memory_format)
        if ph or pw:
            centre = F.pad(centre, (0, pw, 0, ph), mode="replicate")
        if not self.multi_frame:
            return (centre,)
        k = (len(crops) - 1) // 2
        if not k:
            return centre, None, None
        warped = torch.stack([to(c) for c in crops[1:1 + k]], 1).to(self.device, self.dtype)
        conf = torch.stack([to(c[..., None]) for c in crops[1 + k:]], 1).to(self.device, self.dtype)
        if ph or pw:
            warped = F.pad(warped.flatten(0, 1), (0, pw, 0, ph), mode="replicate").unflatten(0, (1, k))
            conf = F.pad(conf.flatten(0, 1), (0, pw, 0, ph), mode="replicate").unflatten(0, (1, k))
        return centre, warped, conf

    def _run(self, crops: list[np.ndarray]) -> np.ndarray:
        h, w = crops[0].shape[:2]
        with torch.inference_mode():
            out = self._net(*self._inputs(crops))
            check_output_finite(out, self.name)
            out = out[0, :, : h * self.scale, : w * self.scale].float().cpu().numpy().transpose(1, 2, 0)
        out = np.ascontiguousarray(out)
        if self._residual:
            s = self.scale
            base = cv2.resize(crops[0], (w * s, h * s), interpolation=cv2.INTER_CUBIC)
            out = cv2.add(base, out, dst=base)
        return np.clip(out, 0, 1, out=out)

    def _packed_input(self, crops: list[np.ndarray]) -> torch.Tensor:
        """FlowVSR's packed, unshuffled input built in NHWC numpy, the layout the channels-last
        network reads (in torch that took a fifth of the x2 network's time at 1080p in
        temporaries and layout changes). It is written straight into the unshuffled layout,
        one pass, with the channels in (i, j, c) order, which numpy writes in runs of whole
        pixels; :attr:`_head_packed` is the head with its input channels permuted to match
        (pixel_unshuffle's order is (c, i, j); a transposing copy into it cost 0.09 s at 1080p)."""
        centre = crops[0]
        h, w = centre.shape[:2]
        k = (len(crops) - 1) // 2
        u = self.module.unshuffle
        channels = 3 + 4 * k  # a count the network was not built for fails in its head, loudly
        x = np.empty((h // u, w // u, u, u, channels), np.float32)

        def view(a: np.ndarray) -> np.ndarray:  # pixel (u*y + i, u*x + j) at [y, x, i, j]
            return a.reshape(h // u, u, w // u, u, *a.shape[2:]).swapaxes(1, 2)

        x[..., :3] = view(centre)
        diff = np.empty_like(centre)
        for i in range(k):
            np.subtract(crops[1 + i], centre, out=diff)
            np.multiply(diff, crops[1 + k + i][..., None], out=diff)  # contiguous: 5x faster than into the view
            x[..., 3 + 3 * i:6 + 3 * i] = view(diff)
            x[..., 3 + 3 * k + i] = view(crops[1 + k + i])
        x = x.reshape(h // u, w // u, u * u * channels)
        return torch.from_numpy(x).permute(2, 0, 1)[None].to(self.device, self.dtype)

    def _run_into(self, crops: list[np.ndarray], planes: list[np.ndarray]) -> None:
        """:meth:`_run` for a FlowVSR, written straight into the R, G, B output planes: the
        pixel-shuffle happens in the same pass that adds the bicubic base, so the UHD result
        is neither shuffled, nor transposed, nor copied into the frame separately (equal to :meth:`_run`
        within 2.4e-7: OpenCV's one-plane bicubic rounds a little differently from its RGB one)."""
        h, w = crops[0].shape[:2]
        s, u = self.scale, self.module.unshuffle
        f, hu, wu = s * u, h // u, w // u  # the network's grid is the input's / unshuffle
        with torch.inference_mode():
            with profile.stage("steadyscale.sr: pack input"):
                x = self._packed_input(crops)
            with profile.stage("steadyscale.sr: network"):
                m = self.module
                res = m.tail(m.body(self._head_packed(x)))  # features_lr with the (i, j, c) head
            check_output_finite(res, self.name)
            res = res[0, :, :hu, :wu].float().cpu().permute(1, 2, 0).numpy()  # (hu, wu, 3*f*f), a view
        res = res.reshape(hu, wu, 3, f, f)
        with profile.stage("steadyscale.sr: bicubic base + shuffle"):
            self._base_plus_residual(crops[0], res, planes)

    def _base_plus_residual(self, centre: np.ndarray, res: np.ndarray, planes: list[np.ndarray]) -> None:
        h, w = centre.shape[:2]
        hu, wu, _, f, _ = res.shape
        s = self.scale
        crops = [centre]
        for c, plane in enumerate(planes):
            dst = plane if plane.flags.c_contiguous else None
            base = cv2.resize(np.ascontiguousarray(crops[0][..., c]), (w * s, h * s), dst=dst,
                              interpolation=cv2.INTER_CUBIC)
            tiles = base.reshape(hu, f, wu, f)  # output pixel (f*y + i, f*x + j) at [y, i, x, j]
            np.add(tiles, res[:, :, c].transpose(0, 2, 1, 3), out=tiles)
            cv2.threshold(base, 1.0, 1.0, cv2.THRESH_TRUNC, dst=base)  # clamp to [0, 1]
            cv2.threshold(base, 0.0, 0.0, cv2.THRESH_TOZERO, dst=base)
            if dst is None:
                np.copyto(plane, base)

    def _net(self, *inputs):
        run = self.module.residual if self._residual else self.module
        if not self.ensemble:
            return run(*inputs)
        return self_ensemble(run, *inputs)

    def __call__(self, centre: np.ndarray, warped=(), conf=(), out: list[np.ndarray] | None = None):
        """The upscaled frame ``(s*H, s*W, 3)``, or, with ``out`` (R, G, B planes of that size),
        written into those planes and returned as them."""
        inputs = [centre]
        if self.multi_frame:
            inputs += list(warped) + list(conf)
        direct = (out is not None and self._residual and self.tile is None and not self.ensemble
                  and self.memory_format == torch.channels_last
                  and self.size.check(centre.shape[1], centre.shape[0]))  # no padding needed
        with self._lock:
            if direct:
                self._run_into(inputs, out)
                return out
            result = run_tiled(self._run, inputs, self.scale, self.tile, self.overlap, self.halo)
        return _into(np.ascontiguousarray(result, dtype=np.float32), out)


def packed_head(net: FlowVSR) -> torch.nn.Conv2d:
    """``net``'s head taking its unshuffled input channels in (i, j, c) order (sub-pixel row,
    column, then input channel) instead of pixel_unshuffle's (c, i, j): the same convolution
    with its input channels permuted (``net.head`` itself when ``net`` does not unshuffle)."""
    u = net.unshuffle
    if u == 1:
        return net.head
    head = copy.deepcopy(net.head)
    c = head.in_channels // (u * u)
    order = [ch * u * u + i * u + j for i in range(u) for j in range(u) for ch in range(c)]
    with torch.no_grad():
        head.weight.copy_(net.head.weight[:, order])
    return head


def builtin_backend(desc, device="auto", precision="auto", tile=None, ensemble: bool = False) -> TorchSR:
    net = registry.load_builtin(desc)
    return TorchSR(net, desc.scale, desc.name, multi_frame=desc.frames > 1, frames=desc.frames,
                   device=device, precision=precision, fp16=desc.supports_fp16,
                   bf16=desc.supports_bf16, size=MultipleOf(desc.size_multiple), tile=tile, halo=16,
                   channels_last=True, ensemble=ensemble)


def flowvsr_file(path: str | Path):
    """A FlowVSR network from a safetensors file written by ``scripts/train_vsr.py`` (its
    metadata holds the constructor arguments), or None if the file is something else."""
    path = Path(path)
    if path.suffix.lower() != ".safetensors" or not path.is_file():
        return None
    from safetensors import safe_open
    from safetensors.torch import load_file
    try:
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
            keys = set(f.keys())
    except Exception:
        return None
    if not {"scale", "frames", "channels", "blocks"} <= set(meta) or "head.weight" not in keys:
        return None
    net = FlowVSR(**{k: int(meta[k]) for k in ("scale", "frames", "channels", "blocks", "unshuffle") if k in meta})
    net.load_state_dict(load_file(str(path)), strict=True)
    return net.eval()


def load_model_file(path: str | Path):
    """Load a third-party SR model file through spandrel (safe loading only).

    Raises ValueError with the reason for a missing, corrupt, unsupported or non-SR file.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"model file not found: {path}")
    if path.suffix.lower() not in (".pth", ".pt", ".safetensors", ".ckpt"):
        raise ValueError(f"model file must be .pth, .pt, .ckpt or .safetensors, got {path.name}")
    try:
        import spandrel
    except ImportError as e:  # pragma: no cover - a dependency
        raise ValueError("loading model files needs the spandrel package") from e
    try:  # CodeFormer and friends, where installed (the faces extra)
        import spandrel_extra_arches
        spandrel_extra_arches.install(ignore_duplicates=True)
    except ImportError:
        pass
    try:
        desc = spandrel.ModelLoader().load_from_file(str(path))
    except Exception as e:  # spandrel raises many kinds; all mean "cannot use this file"
        raise ValueError(f"cannot load {path.name}: {type(e).__name__}: {e}") from None
    if not isinstance(desc, spandrel.ImageModelDescriptor):
        raise ValueError(f"{path.name} is not an image-to-image model ({type(desc).__name__})")
    return desc


def spandrel_backend(path: str | Path, device="auto", precision="auto", tile=None,
                     ensemble: bool = False) -> TorchSR:
    """A model file: a FlowVSR checkpoint of this project, else anything spandrel loads."""
    net = flowvsr_file(path)
    if net is not None:
        return TorchSR(net, net.scale, f"FlowVSR x{net.scale} ({Path(path).name})", multi_frame=net.frames > 1,
                       frames=net.frames, device=device, precision=precision, tile=tile, halo=16,
                       size=MultipleOf(net.unshuffle),
                       channels_last=True, ensemble=ensemble)
    desc = load_model_file(path)
    if desc.input_channels != 3 or desc.output_channels != 3:
        raise ValueError(f"{Path(path).name}: need a 3-channel RGB model, got "
                         f"{desc.input_channels}->{desc.output_channels} channels")
    return TorchSR(desc.model, int(desc.scale), f"{desc.architecture.name} x{desc.scale} ({Path(path).name})",
                   multi_frame=False, device=device, precision=precision, fp16=bool(desc.supports_half),
                   bf16=bool(desc.supports_bfloat16), size=desc.size_requirements, tiling=desc.tiling,
                   tile=tile, halo=32, ensemble=ensemble)


class FaceCall(torch.nn.Module):
    """Calls a face restorer the way it was trained: [-1, 1] in and out for GFPGAN and
    CodeFormer, GFPGAN's noise injection off (no fresh texture per frame), CodeFormer's fidelity
    weight fixed; other architectures through spandrel's own call."""

    def __init__(self, desc, fidelity: float = 0.5):
        super().__init__()
        self.model, self.arch, self.fidelity = desc.model, desc.architecture.name, fidelity
        self.desc = desc

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.arch == "GFPGAN":
            return (self.model(x * 2 - 1, return_rgb=False, randomize_noise=False)[0] + 1) / 2
        if self.arch == "CodeFormer":
            return (self.model(x * 2 - 1, weight=self.fidelity, adain=True)[0] + 1) / 2
        return self.desc(x)


def face_backend(path: str | Path, device="auto", precision="auto", fidelity: float = 0.5) -> TorchSR:
    """A user face model file through spandrel (CodeFormer needs spandrel-extra-arches):
    GFPGAN/CodeFormer/RestoreFormer run in fp32 or bf16, never fp16; any RGB SR model works too."""
    if flowvsr_file(path) is not None:
        return spandrel_backend(path, device, precision)
    desc = load_model_file(path)
    arch = desc.architecture.name
    face_arches = ("GFPGAN", "CodeFormer", "RestoreFormer")
    if desc.input_channels != 3 or desc.output_channels != 3:
        raise ValueError(f"{Path(path).name} is not an RGB face or SR model ({arch})")
    if arch in face_arches and precision == "fp16":
        raise ValueError(f"{arch} breaks in fp16; use precision 'bf16' or 'fp32'")
    prec = "fp32" if precision == "auto" else precision
    module = FaceCall(desc, fidelity) if arch in face_arches else desc.model
    return TorchSR(module, int(desc.scale), f"{arch} ({Path(path).name})", multi_frame=False,
                   device=device, precision=prec, fp16=False, bf16=bool(desc.supports_bfloat16),
                   size=desc.size_requirements, tiling=desc.tiling)
