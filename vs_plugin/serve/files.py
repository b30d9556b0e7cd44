"""The virtual files of a served render: ``<stem>.y4m`` and ``<stem>/NNNNNN.tif``.

``<stem>.y4m`` holds exactly the bytes ``steadyscale upscale IN -o -`` writes (VapourSynth's
own y4m header, then ``FRAME`` + planes per frame), so its size is known before any frame but
the first is rendered, and byte ``k`` maps to one frame. The image sequence holds one
uncompressed 16-bit RGB TIFF per frame (the same size each), numbered from 000000: the format
DaVinci Resolve, Natron, Nuke and After Effects import seekably.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
import vapoursynth as vs

from .frames import FrameStore

core = vs.core


def _y4m_parts(clip: vs.VideoNode) -> tuple[bytes, bytes]:
    """VapourSynth's y4m header for ``clip`` and frame 0's bytes (``FRAME`` line included)."""
    buf = io.BytesIO()
    clip[0].output(buf, y4m=True)
    data = buf.getvalue()
    cut = data.index(b"FRAME")
    header = data[:cut]
    # VapourSynth writes the clip length into the header (XLENGTH); here the one-frame clip's
    fixed = header.replace(b" XLENGTH=1\n", f" XLENGTH={clip.num_frames}\n".encode())
    if fixed == header and b"XLENGTH" in header:
        raise RuntimeError(f"unexpected y4m header from VapourSynth: {header!r}")
    return fixed, data[cut:]


def y4m_frame(frame: vs.VideoFrame) -> bytes:
    """One frame as y4m carries it: ``FRAME\\n`` and the planes, rows packed, native sample bytes."""
    parts = [b"FRAME\n"]
    parts += [np.ascontiguousarray(np.asarray(frame[p])).tobytes() for p in range(frame.format.num_planes)]
    return b"".join(parts)


def tiff_bytes(rgb48: np.ndarray) -> bytes:
    """``(H, W, 3)`` uint16 RGB as an uncompressed TIFF (a fixed size for a given frame size)."""
    ok, enc = cv2.imencode(".tif", np.ascontiguousarray(rgb48[..., ::-1]), [cv2.IMWRITE_TIFF_COMPRESSION, 1])
    if not ok:
        raise RuntimeError("TIFF encoding failed")
    return enc.tobytes()


@dataclass(frozen=True)
class View:
    """A read-only virtual file: ``size`` bytes, ``read(offset, length)``."""

    size: int
    read: object


class ServedRender:
    """The files of one render (``clip`` as the encoder would get it) behind one frame store."""

    def __init__(self, clip: vs.VideoNode, stem: str, cache_mb: float = 512, readahead: int = 4):
        self.clip, self.stem = clip, stem
        n = clip.num_frames
        header, first = _y4m_parts(clip)
        self.header, self.frame_size = header, len(first)
        kw = {}
        if clip.format.color_family == vs.YUV:
            kw["matrix_in"] = int(clip.get_frame(0).props.get("_Matrix", 1)) or 1
        self._rgb = core.resize.Bicubic(clip, format=vs.RGB48, **kw)
        self.tiff_size = len(tiff_bytes(np.zeros((clip.height, clip.width, 3), np.uint16)))
        self.store = FrameStore(n, {"y4m": lambda i: y4m_frame(clip.get_frame(i)),
                                    "tif": self._tiff}, cache_mb=cache_mb, readahead=readahead)
        self.files: dict[str, View] = {f"/{stem}.y4m": View(len(header) + n * self.frame_size, self._read_y4m)}
        for i in range(n):
            self.files[f"/{stem}/{i:06d}.tif"] = View(self.tiff_size, lambda off, ln, i=i: self._read_tif(i, off, ln))
        self.dirs = {"/": [f"{stem}.y4m", stem], f"/{stem}": [f"{i:06d}.tif" for i in range(n)]}

    def _tiff(self, i: int) -> bytes:
        f = self._rgb.get_frame(i)
        return tiff_bytes(np.stack([np.asarray(f[p]) for p in range(3)], -1))

    def _read_tif(self, i: int, offset: int, length: int) -> bytes:
        return self.store.get("tif", i)[offset:offset + length]

    def _read_y4m(self, offset: int, length: int) -> bytes:
        size = len(self.header) + self.clip.num_frames * self.frame_size
        end = min(size, offset + length)
        out = []
        pos = offset
        if pos < len(self.header):
            out.append(self.header[pos:end])
            pos = min(end, len(self.header))
        while pos < end:
            n, within = divmod(pos - len(self.header), self.frame_size)
            data = self.store.get("y4m", n)
            piece = data[within:within + (end - pos)]
            out.append(piece)
            pos += len(piece)
        return b"".join(out)

    def close(self) -> None:
        self.store.close()
