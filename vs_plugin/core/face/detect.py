"""Face detection: YuNet (``cv2.FaceDetectorYN``) with a Haar-cascade fallback.

Detections are in the coordinates of the image given: box ``(x, y, w, h)``, five landmarks
(right eye, left eye, nose tip, right and left mouth corner; image x, y) and a score.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..digest import sha256_file

log = logging.getLogger("steadyscale.faces")

YUNET_SHA256 = {
    "ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0": "face_detection_yunet_2026may.onnx",
    "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4": "face_detection_yunet_2023mar.onnx",
}
ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Detection:
    box: tuple[float, float, float, float]
    landmarks: np.ndarray  # (5, 2)
    score: float

    @property
    def eye_distance(self) -> float:
        return float(np.linalg.norm(self.landmarks[0] - self.landmarks[1]))


def yunet_candidates() -> list[Path]:
    """Where the YuNet file is looked for, in order: $STEADYSCALE_MODELS, the user model cache,
    the repository's models/, and the shared data folder beside the checkout (CI)."""
    dirs = []
    if os.environ.get("STEADYSCALE_MODELS"):
        dirs.append(Path(os.environ["STEADYSCALE_MODELS"]))
    try:
        import platformdirs
        dirs.append(Path(platformdirs.user_cache_dir("steadyscale")) / "models")
    except ImportError:  # pragma: no cover
        pass
    dirs += [ROOT / "models", ROOT.parent / "shared" / "data" / "models"]
    return [p for d in dirs if d.is_dir() for p in sorted(d.glob("face_detection_yunet*.onnx"))]


def find_yunet() -> Path | None:
    """The first YuNet file whose sha256 is a known release; None if there is none."""
    for p in yunet_candidates():
        digest = sha256_file(p)
        if digest in YUNET_SHA256:
            return p
        log.warning("steadyscale.faces: ignoring %s: unknown sha256 %s", p, digest)
    return None


def _u8_bgr(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR)


class YuNetDetector:
    """YuNet on a copy downscaled so the long side is at most ``max_side`` (its sweet spot for
    10-300 px faces); results are mapped back to the input's coordinates."""

    name = "yunet"

    def __init__(self, path: Path, score: float = 0.7, max_side: int = 640):
        self.path, self.score, self.max_side = Path(path), score, max_side
        self._local = threading.local()

    def _net(self, w: int, h: int):
        net = getattr(self._local, "net", None)
        if net is None:
            net = self._local.net = cv2.FaceDetectorYN.create(str(self.path), "", (w, h), self.score, 0.3, 50)
        net.setInputSize((w, h))
        return net

    def __call__(self, img: np.ndarray) -> list[Detection]:
        h, w = img.shape[:2]
        f = min(1.0, self.max_side / max(h, w))
        sw, sh = max(1, round(w * f)), max(1, round(h * f))
        small = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA) if f < 1 else img
        _, faces = self._net(sw, sh).detect(_u8_bgr(small))
        out = []
        for row in (faces if faces is not None else []):
            k = np.array([w / sw, h / sh], np.float32)
            box = (row[0] * k[0], row[1] * k[1], row[2] * k[0], row[3] * k[1])
            lm = row[4:14].reshape(5, 2) * k
            out.append(Detection(tuple(float(v) for v in box), lm.astype(np.float32), float(row[14])))
        return sorted(out, key=lambda d: (d.box[0], d.box[1]))


class HaarDetector:
    """OpenCV's bundled Haar cascades: frontal faces, eyes inside them for the eye landmarks;
    nose and mouth corners are placed by face proportions. Less accurate than YuNet."""

    name = "haar"

    def __init__(self):
        base = Path(cv2.data.haarcascades)
        self.face_file, self.eye_file = base / "haarcascade_frontalface_default.xml", base / "haarcascade_eye.xml"
        if not self.face_file.exists():
            raise FileNotFoundError(f"OpenCV's Haar cascades are missing ({self.face_file}); "
                                    "install opencv-python-headless 4.x")
        self._local = threading.local()

    def _cascades(self):
        c = getattr(self._local, "c", None)
        if c is None:
            c = self._local.c = (cv2.CascadeClassifier(str(self.face_file)), cv2.CascadeClassifier(str(self.eye_file)))
        return c

    def __call__(self, img: np.ndarray) -> list[Detection]:
        face_c, eye_c = self._cascades()
        grey = cv2.cvtColor(_u8_bgr(img), cv2.COLOR_BGR2GRAY)
        out = []
        for x, y, w, h in face_c.detectMultiScale(grey, 1.1, 5, minSize=(24, 24)):
            eyes = eye_c.detectMultiScale(grey[y:y + h // 2, x:x + w], 1.1, 3)
            centres = sorted([(x + ex + ew / 2, y + ey + eh / 2) for ex, ey, ew, eh in eyes])
            if len(centres) >= 2:  # image-left eye is the person's right eye
                re, le = np.array(centres[0]), np.array(centres[-1])
            else:
                re, le = np.array([x + 0.32 * w, y + 0.40 * h]), np.array([x + 0.68 * w, y + 0.40 * h])
            mid = (re + le) / 2
            d = le - re
            perp = np.array([-d[1], d[0]])
            nose = mid + perp * 0.6
            mouth = mid + perp * 1.1
            lm = np.stack([re, le, nose, mouth - d * 0.4, mouth + d * 0.4]).astype(np.float32)
            out.append(Detection((float(x), float(y), float(w), float(h)), lm, 0.8))
        return sorted(out, key=lambda d: (d.box[0], d.box[1]))


def make_detector(kind: str = "auto"):
    """``yunet`` (needs its model file), ``haar``, or ``auto`` (YuNet if found, else Haar with
    a warning)."""
    if kind in ("auto", "yunet"):
        path = find_yunet()
        if path is not None:
            return YuNetDetector(path)
        if kind == "yunet":
            raise FileNotFoundError("the YuNet model file was not found; put face_detection_yunet_2023mar.onnx "
                                    "in $STEADYSCALE_MODELS (see 'steadyscale models') or use detector='haar'")
        log.warning("steadyscale.faces: YuNet model file not found; falling back to Haar cascades "
                    "(fewer faces found, rougher landmarks). Set STEADYSCALE_MODELS to the folder holding "
                    "face_detection_yunet_2023mar.onnx.")
    return HaarDetector()
