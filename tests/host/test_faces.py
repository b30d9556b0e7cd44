"""detect_faces() and face_layer(): props, determinism, compositing, fallbacks, bad files."""

from __future__ import annotations

import logging
import pickle

import cv2
import numpy as np
import pytest
import vapoursynth as vs
from clips import from_arrays
from determinism import assert_deterministic
from faces_clip import face_patch, two_faces

import vs_plugin
from vs_plugin.core.face import detect as detect_mod
from vs_plugin.core.face.align import TEMPLATE_512, similarity, template
from vs_plugin.host.arrays import frame_to_array

core = vs.core


class SharpenSR:
    """Deterministic stand-in restorer: Lanczos x2 plus a strong unsharp mask (changes faces)."""

    frames, scale, name = 1, 2, "sharpen"

    def __call__(self, crop, warped=(), conf=()):
        h, w = crop.shape[:2]
        up = cv2.resize(crop, (2 * w, 2 * h), interpolation=cv2.INTER_LANCZOS4)
        return np.clip(up + 1.5 * (up - cv2.GaussianBlur(up, (0, 0), 1.5)), 0, 1)


@pytest.fixture(scope="module")
def clip():
    return two_faces(8, 320, 180)


def test_similarity_recovers_a_known_transform():
    ang, s, t = 0.3, 0.7, np.array([12.0, -5.0])
    rot = s * np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    src = TEMPLATE_512
    dst = src @ rot.T + t
    m = similarity(src, dst)
    np.testing.assert_allclose(m[:, :2], rot, atol=1e-9)
    np.testing.assert_allclose(m[:, 2], t, atol=1e-9)
    np.testing.assert_allclose(template(512), TEMPLATE_512, atol=1e-9)


def needs_yunet() -> None:
    """Skip a test whose counts assume YuNet's detections (the Haar fallback finds fewer faces)."""
    if detect_mod.find_yunet() is None:
        pytest.skip("the YuNet model file is not available (../shared/data/models or $STEADYSCALE_MODELS)")


def test_detect_faces_writes_props_and_is_deterministic(clip):
    needs_yunet()
    d = vs_plugin.detect_faces(from_arrays(clip), detector="yunet")
    counts = [d.get_frame(n).props["SteadyscaleFaceCount"] for n in range(8)]
    assert counts[0] >= 1 and counts[-1] == 2
    p = d.get_frame(7).props
    assert len(p["SteadyscaleFaceLandmarks"]) == 20 and len(p["SteadyscaleFaceBoxes"]) == 8
    assert p["SteadyscaleFaceDetector"] == "yunet"
    assert_deterministic(lambda: vs_plugin.detect_faces(from_arrays(clip)))


def test_detect_faces_auto_always_finds_the_faces(clip):
    """With or without the YuNet file: the two faces of the last frame are found."""
    d = vs_plugin.detect_faces(from_arrays(clip))
    assert d.get_frame(0).props["SteadyscaleFaceCount"] >= 1
    assert sum(d.get_frame(n).props["SteadyscaleFaceCount"] for n in range(8)) >= 8


def _layer(clip, output="composite", **kw):
    src = from_arrays(clip)
    up = vs_plugin.upscale(src, 640, 360, model="lanczos")
    return vs_plugin.face_layer(src, up, model=SharpenSR(), output=output, **kw), up


@pytest.mark.parametrize("output", ["composite", "layer", "mask", "debug"])
def test_face_layer_is_deterministic_in_every_mode(clip, output):
    assert_deterministic(lambda: _layer(clip[:5], output)[0])


def test_two_moving_faces_composite_without_seams_or_jumps(clip):
    out, up = _layer(clip, "composite")
    mask, _ = _layer(clip, "mask")
    centroids = []
    for n in range(8):
        o, u = frame_to_array(out.get_frame(n)), frame_to_array(up.get_frame(n))
        a = frame_to_array(mask.get_frame(n))[..., 0]
        diff = np.abs(o - u).max(-1)
        assert diff[a == 0].max() == 0  # outside the mask nothing changes, bit for bit
        assert diff[a > 0.5].mean() > 0.004  # inside it the restored face is really pasted
        # no seam: the change grows smoothly with alpha (no step at the mask edge)
        ring = (a > 1e-4) & (a < 0.05)
        assert diff[ring].max() < 0.06
        # face A (right half) alpha centroid
        ys, xs = np.nonzero(a[:, 320:] > 0.3)
        centroids.append((xs.mean() + 320, ys.mean()))
    c = np.array(centroids)
    accel = np.abs(c[2:] - 2 * c[1:-1] + c[:-2]).max()
    assert accel < 1.5, c  # face A moves at constant speed: its paste must not jump
    # the entering face fades in instead of popping
    left = [frame_to_array(mask.get_frame(n))[:, :200, 0].max() for n in range(8)]
    assert max(np.diff(left)) <= 0.6 + 1e-6, left  # at most 0.6 of full alpha (strength 1) per frame


def test_haar_fallback_runs_and_warns(clip, monkeypatch, caplog):
    monkeypatch.setattr(detect_mod, "find_yunet", lambda: None)
    with caplog.at_level(logging.WARNING, logger="steadyscale.faces"):
        d = vs_plugin.detect_faces(from_arrays(clip))
    assert any("falling back to Haar" in r.getMessage() for r in caplog.records)
    assert d.get_frame(0).props["SteadyscaleFaceDetector"] == "haar"
    assert sum(d.get_frame(n).props["SteadyscaleFaceCount"] for n in range(8)) >= 4
    with pytest.raises(vs.Error, match=r"^steadyscale\.detect_faces: the YuNet model file was not found"):
        vs_plugin.detect_faces(from_arrays(clip), detector="yunet")


def test_not_a_face_model_gives_a_clear_error(clip, tmp_path):
    bad = tmp_path / "notes.pth"
    bad.write_bytes(b"this is not a model")
    src = from_arrays(clip)
    up = vs_plugin.upscale(src, 640, 360, model="lanczos")
    with pytest.raises(vs.Error, match=r"^steadyscale\.face_layer: model '.*notes\.pth': cannot load notes\.pth"):
        vs_plugin.face_layer(src, up, model=str(bad))


class _Payload:
    def __reduce__(self):
        import os
        return (os.system, ("touch /tmp/steadyscale_pwned",))


def test_a_pickled_payload_is_refused(tmp_path):
    import os
    evil = tmp_path / "evil.pth"
    evil.write_bytes(pickle.dumps({"params": _Payload()}))
    if os.path.exists("/tmp/steadyscale_pwned"):
        os.remove("/tmp/steadyscale_pwned")
    src = core.std.BlankClip(width=64, height=48, format=vs.RGB24, length=1)
    with pytest.raises(vs.Error, match=r"^steadyscale\.upscale: model '.*evil\.pth': cannot load evil\.pth"):
        vs_plugin.upscale(src, 128, 96, model=str(evil))
    assert not os.path.exists("/tmp/steadyscale_pwned")


def test_face_layer_errors(clip):
    src = from_arrays(clip)
    with pytest.raises(vs.Error, match=r"^steadyscale\.face_layer: up \(640x640\) is not src \(320x180\) scaled"):
        vs_plugin.face_layer(src, core.std.BlankClip(src, width=640, height=640), model=SharpenSR())
    with pytest.raises(vs.Error, match=r"^steadyscale\.face_layer: output must be one of 'composite'"):
        vs_plugin.face_layer(src, src, model=SharpenSR(), output="alpha")


def _talking_clip(noise: float) -> tuple[list[np.ndarray], tuple[slice, slice]]:
    """A still face whose mouth region brightens by 0.15 from frame 3 on (an expression change),
    with per-frame low-frequency noise (codec-like flicker) of standard deviation ``noise``."""
    rng = np.random.default_rng(11)
    patch = face_patch(110)
    h, w = 180, 320
    base = np.full((h, w, 3), 0.45, np.float32)
    base[35:145, 105:105 + patch.shape[1]] = patch
    mouth = (slice(112, 124), slice(146, 176))
    frames = []
    for t in range(7):
        f = base.copy()
        if t >= 3:
            f[mouth] += 0.15
        n = cv2.GaussianBlur(rng.normal(0, 1, (h, w, 3)).astype(np.float32), (0, 0), 3)
        frames.append(np.clip(f + noise * n / n.std(), 0, 1))
    return frames, mouth


def test_coarse_band_is_averaged_over_time_but_expressions_are_not(monkeypatch):
    """The coarse band of a face is averaged with its aligned neighbours only where they agree
    with frame n: codec-like flicker falls, a mouth that just opened is not blended back."""
    from vs_plugin.core.face import layer as layer_mod
    noisy, mouth = _talking_clip(0.012)
    clean, _ = _talking_clip(0.0)

    def frame3(frames, stability, output="composite"):
        src = from_arrays(frames)
        up = vs_plugin.upscale(src, 640, 360, model="lanczos")
        return frame_to_array(vs_plugin.face_layer(src, up, model=SharpenSR(), stability=stability,
                                                   strength=1.0, output=output).get_frame(3))

    truth = frame3(clean, 0.0)
    face = frame3(clean, 0.0, "mask")[..., 0] > 0.95  # inside the paste
    averaged = frame3(noisy, 0.7)
    monkeypatch.setattr(layer_mod, "COARSE_TOLERANCE", 0.0)
    detail_only = frame3(noisy, 0.7)
    m_up = (slice(2 * mouth[0].start, 2 * mouth[0].stop), slice(2 * mouth[1].start, 2 * mouth[1].stop))
    face[m_up] = False
    err = lambda o: float(np.sqrt(np.mean(cv2.GaussianBlur(o - truth, (0, 0), 4)[face] ** 2)))  # noqa: E731
    assert err(averaged) < 0.75 * err(detail_only), (err(averaged), err(detail_only))
    # the mouth keeps its new brightness at the first frame of the change (no ghost of frames 1-2)
    assert abs(float((averaged[m_up] - truth[m_up]).mean())) < 0.01


def _degraded_talking_clip(frames: int = 7, w: int = 512, h: int = 288):
    """The sample portrait (in no training set) moving over a soft background, as ground truth,
    and its x4 real-footage degradation (bicubic, blur 0.5, H.264 CRF 28); the face box per frame."""
    from vs_plugin.training.degrade import eval_chain
    rng = np.random.default_rng(5)
    bg = cv2.GaussianBlur(rng.random((h, w + 64, 3)).astype(np.float32), (0, 0), 8)
    bg = 0.3 + 0.4 * (bg - bg.min()) / (bg.max() - bg.min())
    face = face_patch(240)
    gt, boxes = [], []
    for t in range(frames):
        x, y = 150 + 1.0 * t, 30 + 0.5 * t
        warped = cv2.warpAffine(face, np.float32([[1, 0, x], [0, 1, y]]), (w, h), flags=cv2.INTER_LINEAR,
                                borderValue=(-1, -1, -1))
        gt.append(np.clip(np.where(warped[..., :1] >= 0, warped, bg[:, t:t + w]), 0, 1).astype(np.float32))
        boxes.append((int(x + 0.25 * face.shape[1]), int(y + 48), int(x + 0.75 * face.shape[1]), int(y + 180)))
    return gt, eval_chain(gt, 28), boxes


def test_the_built_in_restorer_improves_a_degraded_face_over_upscale_alone():
    """On a face it never saw, degraded as real footage is: face_layer() over the default upscale
    is closer to the truth in the face box (lower GMSD, higher Y-PSNR), and fusing in aligned face
    space keeps its frame-to-frame change well under the same restorer run per frame."""
    from vs_plugin.core import flow as flowlib
    from vs_plugin.core import metrics
    gt, lr, boxes = _degraded_talking_clip()
    src = from_arrays(lr)
    up = vs_plugin.upscale(src, 512, 288, format=vs.RGBS)
    runs = {"up": up, "layer": vs_plugin.face_layer(src, up),
            "per_frame": vs_plugin.face_layer(src, up, stability=0.0)}
    crop = lambda a, b: a[b[1]:b[3], b[0]:b[2]]  # noqa: E731
    res = {}
    for name, clip in runs.items():
        out = [np.clip(frame_to_array(clip.get_frame(n)), 0, 1) for n in range(2, 5)]
        g, b = gt[2:5], boxes[2:5]
        diffs = []
        for t in range(2):
            fw = flowlib.dis_flow(g[t], g[t + 1])
            diffs.append(np.mean((crop(out[t], b[t]) - crop(flowlib.backward_warp(out[t + 1], fw), b[t])) ** 2))
        res[name] = (np.mean([metrics.psnr_y(crop(o, bb), crop(x, bb)) for o, x, bb in zip(out, g, b)]),
                     np.mean([metrics.gmsd(crop(o, bb), crop(x, bb)) for o, x, bb in zip(out, g, b)]),
                     float(np.mean(diffs)))
    assert res["layer"][1] < res["up"][1], res
    assert res["layer"][0] > res["up"][0], res
    assert res["layer"][2] < 0.7 * res["per_frame"][2], res


class NearestSR:
    """Stand-in super-resolution restorer: each pixel repeated 2x2 (no new detail)."""

    frames, scale, name = 1, 2, "nearest"

    def __call__(self, crop, warped=(), conf=()):
        return np.repeat(np.repeat(crop, 2, 0), 2, 1)


def test_an_sr_restorer_works_on_the_frames_own_pixel_grid(clip):
    """A super-resolution restorer gets whole low-resolution pixels and its output lands on the
    upscaled frame's grid: restoring faces with pixel repetition over a pixel-repeated frame
    changes nothing (any rotation or sub-pixel resampling of the crop would blur its edges)."""
    needs_yunet()
    src = from_arrays(clip[:3])
    up = from_arrays([np.repeat(np.repeat(f, 2, 0), 2, 1) for f in clip[:3]])
    out = vs_plugin.face_layer(src, up, model=NearestSR(), stability=0.0, strength=1.0)
    mask = vs_plugin.face_layer(src, up, model=NearestSR(), stability=0.0, strength=1.0, output="mask")
    for n in range(3):
        a = frame_to_array(mask.get_frame(n))[..., 0]
        assert (a > 0.99).sum() > 2000  # both faces are pasted
        diff = np.abs(frame_to_array(out.get_frame(n)) - frame_to_array(up.get_frame(n))).max()
        assert diff < 1e-5, diff


def test_restoration_cache_is_bounded_and_returns_what_the_restorer_returns():
    from vs_plugin.core.face.restore_cache import RestorationCache
    calls = []

    def restorer(crop):
        calls.append(crop.shape)
        return np.repeat(np.repeat(crop * 0.5, 2, 0), 2, 1)
    restorer.scale = 2
    cache = RestorationCache(restorer, max_bytes=3 * 64 * 64 * 3 * 4)  # three 64x64 outputs
    crops = [np.full((32, 32, 3), v, np.float32) for v in (0.1, 0.2, 0.3, 0.4)]
    first = [cache(c) for c in crops]
    again = cache(crops[3].copy())  # same content, another array: a hit
    assert np.array_equal(again, first[3]) and len(calls) == 4 and cache.hits == 1
    assert not again.flags.writeable
    cache(crops[0])  # evicted (the oldest of four, over the bound): restored again
    assert len(calls) == 5 and cache.store.nbytes <= cache.store.max_bytes
    assert cache.scale == 2


class CountingSR(NearestSR):
    """NearestSR that records the crops it is given."""

    def __init__(self):
        self.crops = []

    def __call__(self, crop, warped=(), conf=()):
        self.crops.append(crop.shape)
        return super().__call__(crop)


def test_each_frames_face_is_restored_once_in_a_render():
    """A render fuses each face with its restorations at six neighbours, yet restores every
    face of every frame once: a frame's face is restored on its own box, whichever frame is
    being rendered, and its neighbours take it from the cache."""
    needs_yunet()
    frames = two_faces(12, 320, 180)[4:]  # both faces inside the frame throughout
    src = vs_plugin.detect_faces(from_arrays(frames))
    assert [src.get_frame(n).props["SteadyscaleFaceCount"] for n in range(len(frames))] == [2] * len(frames)
    up = vs_plugin.upscale(src, 640, 360, model="lanczos", format=vs.RGBS)
    restorer = CountingSR()
    out = vs_plugin.face_layer(src, up, model=restorer, radius=3)
    for n in range(len(frames)):
        out.get_frame(n)
    assert len(restorer.crops) == 2 * len(frames), restorer.crops


def test_each_pair_of_frames_flow_is_computed_once_in_a_render(monkeypatch):
    """Frame n's render aligns frame k's face to its own and frame k's render the reverse: the
    flow between the two is computed on boxes placed from each frame's own detection, the same
    in both renders, so a render computes each pair once (both directions come from it)."""
    needs_yunet()
    from vs_plugin.core import flow as flowlib
    from vs_plugin.core.face import layer as layer_mod
    computed, asked = [], []
    real_pair, real_crop_flow = flowlib.flow_pair, layer_mod._crop_flow

    def counting_pair(a, b, preset=flowlib.DEFAULT_PRESET, extra=None):
        computed.append(frozenset((hash(a.tobytes()), hash(b.tobytes()))))
        return real_pair(a, b, preset)

    def counting_crop_flow(*args):
        asked.append(1)
        return real_crop_flow(*args)
    monkeypatch.setattr(flowlib, "flow_pair", counting_pair)
    monkeypatch.setattr(layer_mod, "_crop_flow", counting_crop_flow)
    frames = two_faces(12, 320, 180)[4:]  # both faces inside the frame throughout
    src = vs_plugin.detect_faces(from_arrays(frames))
    up = vs_plugin.upscale(src, 640, 360, model="lanczos", format=vs.RGBS)
    out = vs_plugin.face_layer(src, up, model=NearestSR(), radius=3)
    for n in range(len(frames)):
        out.get_frame(n)
    assert len(set(computed)) == len(computed)  # no pair twice, in either direction
    pairs = sum(len(frames) - d for d in (1, 2, 3))  # frames 1, 2 and 3 apart: 7 + 6 + 5 a face
    assert len(asked) >= 4 * pairs and len(computed) <= 0.55 * len(asked), (len(computed), len(asked))


class CountingX1:
    """A stand-in x1 face restorer (as GFPGAN or CodeFormer: aligned 512 crops in and out) that
    records how often it runs."""

    frames, scale, name = 1, 1, "x1"

    def __init__(self):
        self.calls = 0

    def __call__(self, crop, warped=(), conf=()):
        self.calls += 1
        return np.clip(crop + 0.5 * (crop - cv2.GaussianBlur(crop, (0, 0), 2.0)), 0, 1)


def test_an_x1_restorer_restores_each_frames_face_once_in_a_render_and_twice_at_most():
    """Fusing with four neighbours costs an aligned face restorer (GFPGAN, CodeFormer) no more
    than two restorations per face and frame: frame n's crop follows the smoothed track, and
    its neighbours' crops are aligned from their own detections, so each is restored once and
    reused from the cache."""
    frames = two_faces(10, 320, 180)[4:]  # both faces inside the frame throughout
    src = vs_plugin.detect_faces(from_arrays(frames))
    up = vs_plugin.upscale(src, 640, 360, model="lanczos", format=vs.RGBS)
    restorer = CountingX1()
    out = vs_plugin.face_layer(src, up, model=restorer, radius=2)
    for n in range(len(frames)):
        out.get_frame(n)
    assert restorer.calls <= 2 * 2 * len(frames), restorer.calls  # 4.3 per face and frame before


def test_fusing_on_the_masks_rectangle_gives_the_whole_crops_pixels(clip, monkeypatch):
    """The face layer fuses and pastes only the face mask's bounding rectangle (plus the paste's
    interpolation reach): the same composite as working on the whole crop, but for float
    rounding (a blur of a smaller array sums in another order: differences of about 1e-7)."""
    from vs_plugin.core.face import layer as layer_mod
    frames = [frame_to_array(_layer(clip[:5])[0].get_frame(n)) for n in range(5)]
    monkeypatch.setattr(layer_mod, "MASK_MARGIN", 10**6)  # the rectangle is the whole crop
    whole = [frame_to_array(_layer(clip[:5])[0].get_frame(n)) for n in range(5)]
    for a, b in zip(frames, whole):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert any(np.abs(f - frame_to_array(_layer(clip[:5])[1].get_frame(n))).max() > 0.05
               for n, f in enumerate(frames))  # faces were pasted


def test_a_misplaced_detection_falls_back_to_the_upscale_not_to_blur(clip, monkeypatch):
    """Each frame's face is restored on a box placed from that frame's own detection; where a
    wrong detection leaves part of the face outside that box, the face keeps the upscale's own
    detail there (not its low-pass): with pixel repetition over a pixel-repeated frame the
    composite is still the frame itself."""
    needs_yunet()
    from vs_plugin.core.face import layer as layer_mod
    monkeypatch.setattr(layer_mod, "_own_landmarks", lambda track, k, fallback: fallback + 25.0)
    src = from_arrays(clip[:3])
    up = from_arrays([np.repeat(np.repeat(f, 2, 0), 2, 1) for f in clip[:3]])
    out = vs_plugin.face_layer(src, up, model=NearestSR(), stability=0.0, strength=1.0)
    for n in range(3):
        diff = np.abs(frame_to_array(out.get_frame(n)) - frame_to_array(up.get_frame(n))).max()
        assert diff < 1e-5, diff


def test_whole_pixel_translations_are_copied_not_resampled():
    """The layer copies pixels (and fills the border) where a warp is a translation by whole
    pixels (the built-in restorer's boxes, and its output on an exactly x4 frame): the same
    values as OpenCV's warp, inside the image, across its border and far outside it."""
    from vs_plugin.core.face.layer import _warp
    rng = np.random.default_rng(3)
    borders = (cv2.BORDER_REFLECT101, cv2.BORDER_REPLICATE, cv2.BORDER_CONSTANT)
    flags = (cv2.INTER_CUBIC, cv2.INTER_LINEAR, cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)
    for img in (rng.random((40, 50, 3), dtype=np.float32), rng.random((30, 20), dtype=np.float32)):
        for _ in range(150):
            m = np.array([[1, 0, rng.integers(-60, 60)], [0, 1, rng.integers(-60, 60)]], np.float64)
            size, f, b = tuple(int(v) for v in rng.integers(1, 70, 2)), flags[rng.integers(3)], borders[rng.integers(3)]
            assert np.array_equal(_warp(img, m, size, f, b), cv2.warpAffine(img, m, size, flags=f, borderMode=b)), m
    for m in ([[1, 0, -7.5], [0, 1, -5]], [[2, 0, -7], [0, 2, -5]]):  # half a pixel, a scale: OpenCV's warp
        m = np.array(m, np.float64)
        expected = cv2.warpAffine(img, m, (20, 16), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        assert np.array_equal(_warp(img, m, (20, 16), cv2.INTER_LINEAR, cv2.BORDER_CONSTANT), expected)


def test_the_face_mask_is_warped_only_where_it_is_not_zero():
    """The paste mask is warped on the rectangle its template ellipse (with the feather's blur)
    lands on, for any face size and roll: the same mask as warping the whole crop, but for the
    warp's 1/32-pixel position rounding, and nothing of it left out."""
    from vs_plugin.core.face import layer as layer_mod
    from vs_plugin.core.face.align import face_mask, scale_points, to_aligned
    rng = np.random.default_rng(0)
    five = np.array([[30.3, 40.2], [55.1, 40.7], [42.6, 52.0], [33.0, 62.0], [52.0, 62.5]])
    for _ in range(40):
        a, s = rng.uniform(-0.6, 0.6), rng.uniform(0.5, 2.5)
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        lm = (five - 45) @ rot.T * s + 100 + rng.uniform(-3, 3, 2)
        S = layer_mod._crop_size(float(np.linalg.norm(lm[0] - lm[1])), 4, 8)
        _, m_up, mask = layer_mod._geometry(lm, S, 4, 4.0, 4.0)
        to_al = to_aligned(scale_points(lm, 4.0, 4.0), 4 * S) @ np.vstack([cv2.invertAffineTransform(m_up), [0, 0, 1]])
        whole = cv2.warpAffine(face_mask(4 * S), to_al, (4 * S, 4 * S), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        assert mask.dtype == np.float32 and mask.shape == whole.shape
        assert np.abs(mask - whole).max() < 0.01
        assert whole[mask == 0].max(initial=0) < 1e-6  # only the blur's far tails, if anything


@pytest.mark.parametrize("radius", [3, 5])
def test_the_fusion_takes_the_restored_detail_of_every_frame_in_the_window(radius, monkeypatch):
    """``radius`` is how far the fusion reaches: frame n's faces take the restored detail of all
    ``2 * radius`` neighbours (two faces here, in every frame and in agreement)."""
    needs_yunet()
    from vs_plugin.core.face import layer as layer_mod
    pulls = []
    real_pull = layer_mod._pull_detail

    def counting_pull(*args):
        pulls.append(1)
        return real_pull(*args)
    monkeypatch.setattr(layer_mod, "_pull_detail", counting_pull)
    frames = two_faces(16, 320, 180)[4:]  # both faces inside the frame throughout
    src = vs_plugin.detect_faces(from_arrays(frames))
    up = vs_plugin.upscale(src, 640, 360, model="lanczos", format=vs.RGBS)
    vs_plugin.face_layer(src, up, model=NearestSR(), radius=radius).get_frame(6)
    assert len(pulls) == 2 * 2 * radius
