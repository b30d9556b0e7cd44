"""Realistic *video* degradations for training: how footage really arrives.

A clip's degradation is drawn once (:func:`draw_real`) and applied to every frame of the clip
(:func:`apply_real`), as one camera, one scaler and one encoder would: blur kernel, downscale
filter, noise level and codec settings are shared by the frames, while the noise itself and the
codec's block decisions differ per frame. Two orders, as Real-ESRGAN (Wang et al. 2021) does:
blur -> downscale -> noise -> (JPEG) and, with some probability, a second, milder
blur -> noise pass, then the whole clip goes through a real codec round trip (libx264 or
libx265 through PyAV, 4:2:0, random CRF and preset), so the temporal prediction artefacts
of real video (I/P-frame differences, smeared motion) are in the training data.

Everything is a pure function of the ``numpy.random.Generator`` passed in: seeded and
reproducible. Frames are ``(H, W, 3)`` float32 RGB in [0, 1]; the low-resolution size is the
high-resolution size divided by ``scale`` (floored), kept even for 4:2:0.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from .vsr_data import jpeg_roundtrip

log = logging.getLogger(__name__)

#: downscale filters a scaler in the wild may have used ("aa-cubic": antialiased bicubic, as
#: MATLAB imresize and most video scalers; the others as cheap scalers and camera binning do)
_RESIZE = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC, "aa-cubic": None}
CODECS = ("libx264", "libx265")
PRESETS = ("ultrafast", "veryfast", "fast", "medium")


@dataclass(frozen=True)
class RealDegradation:
    """The degradation of one clip (see the module docstring); ``0`` switches a stage off."""

    blur_sigma: tuple[float, float] = (0.0, 0.0)  # first-order Gaussian kernel, x and y
    blur_angle: float = 0.0  # degrees, for anisotropic kernels
    resize: str = "area"  # first-order downscale filter
    noise: float = 0.0  # Gaussian sigma (first order)
    poisson: float = 0.0  # Poisson (shot) noise scale, 0 = off
    grey_noise: bool = False  # the same noise in R, G and B (luma noise)
    jpeg: int = 0  # first-order JPEG quality, 0 = none
    blur2: float = 0.0  # second-order isotropic blur sigma
    noise2: float = 0.0  # second-order Gaussian sigma
    codec: str = "libx264"  # final codec round trip ("" = none)
    crf: int = 28
    preset: str = "medium"

    def to_dict(self) -> dict:
        return asdict(self)


def draw_real(rng: np.random.Generator, *, strength: float = 1.0) -> RealDegradation:
    """A random clip degradation; ``strength`` scales blur and noise (0.5 = milder)."""
    s = strength
    if rng.random() < 0.85:  # sigmas in high-resolution pixels: 0.4-4 is 0.1-1 low-resolution pixel
        if rng.random() < 0.6:  # isotropic
            sig = rng.uniform(0.4, 4.0) * s
            sigma, angle = (sig, sig), 0.0
        else:
            sigma = (rng.uniform(0.4, 4.0) * s, rng.uniform(0.4, 4.0) * s)
            angle = float(rng.uniform(0, 180))
    else:
        sigma, angle = (0.0, 0.0), 0.0
    second = rng.random() < 0.4
    return RealDegradation(
        blur_sigma=(float(sigma[0]), float(sigma[1])), blur_angle=angle,
        resize=str(rng.choice(list(_RESIZE))),
        noise=float(rng.uniform(0.002, 0.025) * s) if rng.random() < 0.5 else 0.0,
        poisson=float(rng.uniform(0.05, 1.5) * s) if rng.random() < 0.2 else 0.0,
        grey_noise=bool(rng.random() < 0.4),
        jpeg=int(rng.integers(35, 95)) if rng.random() < 0.25 else 0,
        blur2=float(rng.uniform(0.2, 0.8) * s) if second and rng.random() < 0.7 else 0.0,
        noise2=float(rng.uniform(0.002, 0.01) * s) if second and rng.random() < 0.5 else 0.0,
        codec=str(rng.choice(CODECS)) if rng.random() < 0.9 else "",
        crf=int(rng.integers(18, 39)),
        preset=str(rng.choice(PRESETS)),
    )


def _gaussian_kernel(sx: float, sy: float, angle: float) -> np.ndarray:
    """A normalised, possibly anisotropic and rotated, Gaussian kernel."""
    r = int(np.ceil(3 * max(sx, sy, 0.3)))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1].astype(np.float32)
    a = np.deg2rad(angle)
    u = xx * np.cos(a) + yy * np.sin(a)
    v = -xx * np.sin(a) + yy * np.cos(a)
    k = np.exp(-0.5 * ((u / max(sx, 1e-3)) ** 2 + (v / max(sy, 1e-3)) ** 2))
    return (k / k.sum()).astype(np.float32)


def _noise(img: np.ndarray, sigma: float, poisson: float, grey: bool, rng: np.random.Generator) -> np.ndarray:
    if poisson:
        peak = 255.0 / poisson  # photons at white: fewer = noisier
        img = rng.poisson(np.clip(img, 0, 1) * peak).astype(np.float32) / peak
    if sigma:
        shape = img.shape[:2] + ((1,) if grey else (3,))
        img = img + rng.normal(0, sigma, shape).astype(np.float32)
    return np.clip(img, 0, 1)


def _aa_cubic(img: np.ndarray, h: int, w: int) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]
    out = F.interpolate(t, size=(h, w), mode="bicubic", antialias=True, align_corners=False)
    return out[0].numpy().transpose(1, 2, 0).clip(0, 1)


def lr_size(hr_shape: tuple[int, ...], scale: int) -> tuple[int, int]:
    """``(h, w)`` of the low-resolution frames: divided by ``scale`` and made even (4:2:0)."""
    h, w = hr_shape[0] // scale, hr_shape[1] // scale
    return h - h % 2, w - w % 2


def apply_real(hr: list[np.ndarray], scale: int, d: RealDegradation,
               rng: np.random.Generator, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """Low-resolution frames of the high-resolution clip ``hr`` degraded by ``d``; ``size``
    ``(h, w)`` (even) overrides the size ``hr / scale`` (a non-integer downscale)."""
    h, w = size or lr_size(hr[0].shape, scale)
    kernel = _gaussian_kernel(*d.blur_sigma, d.blur_angle) if max(d.blur_sigma) > 0 else None
    out = []
    for f in hr:
        if kernel is not None:
            f = cv2.filter2D(f, -1, kernel, borderType=cv2.BORDER_REFLECT101)
        if d.resize == "aa-cubic":
            f = _aa_cubic(f, h, w)
        else:
            f = cv2.resize(f, (w, h), interpolation=_RESIZE[d.resize])
        f = _noise(f, d.noise, d.poisson, d.grey_noise, rng)
        if d.jpeg:
            f = jpeg_roundtrip(f, d.jpeg)
        if d.blur2:
            f = cv2.GaussianBlur(f, (0, 0), d.blur2)
        if d.noise2:
            f = _noise(f, d.noise2, 0.0, d.grey_noise, rng)
        out.append(f)
    if d.codec:
        out = codec_roundtrip(out, d.codec, d.crf, d.preset)
    return out


#: attempts of one encode and decode in this process: libx265 (through PyAV 19) fails now and
#: then with "Invalid argument ... returned 22" on a clip it then encodes fine (15 samples of a
#: 14-minute face training run, about 14,000 samples; in a loop over small random clips, 1
#: libx265 clip of 200, then 0 of 400). Once it has started, it can fail on every small clip for
#: a while (16 of 306 encodes of face-training pairs, in runs of consecutive samples); the last
#: attempt is then made in a fresh process. Padded to 64 pixels, the same small clip also
#: encoded to different bytes now and then (12 of 148 two-frame clips encoded twice; never with
#: libx264), with timestamps set, without assembly or without B-frames and lookahead alike;
#: padded to whole CTUs of at least :data:`X265_MIN_SIDE` it did not (0 in 600 pairs), but the
#: failures went on.
CODEC_ATTEMPTS = 4

#: the smallest side libx265 is given (see :data:`CODEC_ATTEMPTS`)
X265_MIN_SIDE = 128


def codec_roundtrip(frames: list[np.ndarray], codec: str = "libx264", crf: int = 28,
                    preset: str = "medium", rate: int = 25) -> list[np.ndarray]:
    """The clip encoded as 4:2:0 video with ``codec`` at ``crf`` and decoded again (PyAV, one
    thread: the same bytes on every machine for the same input). Sizes must be even. An encoder
    error is retried (:data:`CODEC_ATTEMPTS` in all): the result does not depend on the attempt."""
    if codec not in CODECS:
        raise ValueError(f"codec_roundtrip: codec must be one of {'|'.join(CODECS)}, got {codec!r}")
    h, w = frames[0].shape[:2]
    if h % 2 or w % 2:
        raise ValueError(f"codec_roundtrip: frame size must be even for 4:2:0, got {w}x{h}")
    for attempt in range(1, CODEC_ATTEMPTS + 1):
        try:
            if attempt == CODEC_ATTEMPTS:
                return _encode_decode_in_fresh_process(frames, codec, crf, preset, rate)
            return _encode_decode(frames, codec, crf, preset, rate)
        except Exception as e:  # noqa: BLE001 - any encoder error; the last one propagates
            if attempt == CODEC_ATTEMPTS:
                raise
            log.warning("codec_roundtrip: %s failed on a %dx%d clip of %d frames (%s: %s); attempt %d of %d",
                        codec, w, h, len(frames), type(e).__name__, e, attempt + 1, CODEC_ATTEMPTS)
    raise AssertionError("unreachable")


def _encode_decode_in_fresh_process(frames: list[np.ndarray], codec: str, crf: int, preset: str,
                                    rate: int) -> list[np.ndarray]:
    """:func:`_encode_decode` in a new Python process (frames in and out as ``.npy``): an
    encoder whose state in this process has gone bad starts clean there."""
    buf = io.BytesIO()
    np.save(buf, np.stack(frames).astype(np.float32))
    code = ("import io, sys, numpy as np; from vs_plugin.training.degrade import _encode_decode; "
            "f = np.load(io.BytesIO(sys.stdin.buffer.read())); "
            f"out = _encode_decode(list(f), {codec!r}, {int(crf)}, {preset!r}, {int(rate)}); "
            "b = io.BytesIO(); np.save(b, np.stack(out)); sys.stdout.buffer.write(b.getvalue())")
    root = str(Path(__file__).resolve().parents[2])  # where vs_plugin imports from
    res = subprocess.run([sys.executable, "-c", code], input=buf.getvalue(), capture_output=True, cwd=root,
                         check=False)
    if res.returncode:
        raise RuntimeError(f"codec_roundtrip: {codec} failed in a fresh process too: "
                           f"{res.stderr.decode(errors='replace').strip().splitlines()[-1:]}")
    return list(np.load(io.BytesIO(res.stdout)))


def _encode_decode(frames: list[np.ndarray], codec: str, crf: int, preset: str, rate: int) -> list[np.ndarray]:
    import av  # an extra of the training/test setup, not of the plugin

    h, w = frames[0].shape[:2]
    # libx265 corrupts memory on frames under one 64-pixel CTU, and encodes small ones
    # differently from run to run (see CODEC_ATTEMPTS): pad (edge) to whole CTUs, at least
    # X265_MIN_SIDE, and crop back
    ph, pw = (max(X265_MIN_SIDE, -(-n // 64) * 64) - n for n in (h, w)) if codec == "libx265" else (0, 0)
    if ph or pw:
        frames = [np.pad(f, ((0, ph), (0, pw), (0, 0)), mode="edge") for f in frames]
    buf = io.BytesIO()
    with av.open(buf, "w", format="matroska") as out:
        st = out.add_stream(codec, rate=rate)
        st.width, st.height, st.pix_fmt = w + pw, h + ph, "yuv420p"
        opts = {"crf": str(crf), "preset": preset, "threads": "1"}
        if codec == "libx265":
            opts["x265-params"] = "log-level=error:pools=none:frame-threads=1"
        st.options = opts
        for fr in frames:
            img = (np.clip(fr, 0, 1) * 255 + 0.5).astype(np.uint8)
            for pkt in st.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    buf.seek(0)
    with av.open(buf) as inp:
        dec = [f.to_ndarray(format="rgb24")[:h, :w].astype(np.float32) / 255 for f in inp.decode(video=0)]
    if len(dec) != len(frames):
        raise RuntimeError(f"codec_roundtrip: {codec} returned {len(dec)} frames for {len(frames)}")
    return dec


def eval_chain(hr: list[np.ndarray], crf: int = 28, scale: int = 4) -> list[np.ndarray]:
    """The fixed evaluation degradation: x``scale`` MATLAB-style bicubic (antialiased), Gaussian
    blur sigma 0.5, H.264 (libx264, preset medium) at ``crf``, 4:2:0, through PyAV."""
    from .vsr_data import downscale

    h, w = lr_size(hr[0].shape, scale)
    lr = [cv2.GaussianBlur(downscale(f[:h * scale, :w * scale], scale), (0, 0), 0.5) for f in hr]
    return codec_roundtrip(lr, "libx264", crf, "medium")
