"""Frame timestamps of the input, kept on the output.

VapourSynth clips and y4m pipes are constant-rate: the encoder numbers frames at the clip's
average rate. A variable-frame-rate input (phone video, screen captures, game recordings) would
come out with every frame moved to ``n / average_fps`` (0.24 s off for a clip that is slow in
one half and fast in the other), out of sync with its own audio. So the input's presentation
times are read from its container (packets only, no decoding) and written back onto the
encoded video packets by a lossless remux (:func:`retime`); constant-rate input is untouched.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

log = logging.getLogger("steadyscale.encode")


@dataclass(frozen=True)
class Timeline:
    """Presentation times in seconds of frames ``0..N-1`` and the end of the last (``N + 1``
    values, the first 0), or constant-rate ``fps``."""

    fps: Fraction
    times: tuple[Fraction, ...] | None = None

    @property
    def variable(self) -> bool:
        return self.times is not None

    def at(self, n: int) -> Fraction:
        """When frame ``n`` starts (``n == N``: when the last one ends)."""
        return Fraction(n) / self.fps if self.times is None else self.times[n]

    def window(self, start: int, end: int) -> "Timeline":
        """The timeline of frames ``[start, end)``, starting at 0."""
        if self.times is None:
            return self
        t0 = self.times[start]
        return Timeline(self.fps, tuple(t - t0 for t in self.times[start:end + 1]))


def read_timeline(path: str | os.PathLike, frames: int, fps: Fraction) -> Timeline:
    """``path``'s video timeline if its frame durations vary beyond the container's rounding,
    else constant-rate ``fps``. A file whose packet count is not ``frames`` (the source's frame
    count) is treated as constant-rate, with a warning: its packets do not map one to one."""
    import av
    fps = Fraction(fps)
    try:
        with av.open(str(path)) as c:
            st = c.streams.video[0]
            tb = st.time_base
            pts, last_dur = [], 0
            for pkt in c.demux(st):
                if pkt.pts is not None:
                    pts.append(pkt.pts)
                    last_dur = pkt.duration or last_dur
    except (av.FFmpegError, IndexError, OSError):
        return Timeline(fps)
    pts.sort()
    if len(pts) > frames >= 2:  # packets that do not decode (a damaged stretch): the source skips them too
        pts = _decoded_pts(path) or pts
    if len(pts) * 2 == frames:  # an interlaced source bobbed to a frame per field: constant rate
        return Timeline(fps)
    if len(pts) != frames or frames < 2:
        if frames >= 2 and len(pts) > 1:
            log.warning("steadyscale: %s has %d video packets for %d frames; its timestamps are "
                        "not kept (frames at a constant %s fps)", path, len(pts), frames, fps)
        return Timeline(fps)
    durs = [b - a for a, b in zip(pts, pts[1:])]
    if max(durs) - min(durs) <= 2:  # constant, up to the container's tick rounding
        return Timeline(fps)
    end = pts[-1] + (last_dur or durs[-1])
    times = tuple((p - pts[0]) * tb for p in [*pts, end])
    usual = sorted(durs)[len(durs) // 2]
    gap = max(range(len(durs)), key=durs.__getitem__)
    if durs[gap] > 3.5 * usual:  # 3+ frames missing: a damaged stretch that did not decode, or a paused recording
        log.warning("steadyscale: %s has no frames for %.3f s after frame %d (damaged or paused); "
                    "the gap is kept so the audio stays in sync", path, float(durs[gap] * tb), gap)
    log.info("steadyscale: %s has a variable frame rate (%d frames, %.3f s); its timestamps are kept",
             path, frames, float(times[-1]))
    return Timeline(fps, times)


def _decoded_pts(path: str | os.PathLike) -> list[int]:
    """Sorted presentation times of the video frames that really decode (bestsource, like any
    FFmpeg decoder, drops the rest), or [] when the file cannot be read. Decodes the whole
    video, so it runs only when the packet count says frames were lost."""
    import av
    log.info("steadyscale: %s has more video packets than decodable frames; decoding it to find the gaps", path)
    pts: list[int] = []
    try:
        with av.open(str(path)) as c:
            st = c.streams.video[0]
            st.thread_type = "AUTO"
            for pkt in c.demux(st):
                try:
                    pts += [f.pts for f in pkt.decode() if f.pts is not None]
                except av.FFmpegError:  # the damaged packets themselves
                    continue
    except (av.FFmpegError, IndexError, OSError):
        return []
    return sorted(pts)


def retime(src: Path, dst: Path, timeline: Timeline) -> None:
    """Remux ``src`` (video encoded at ``timeline.fps``, frame ``i`` at ``first + i / fps``) to
    ``dst`` with frame ``i`` at ``first + timeline.at(i)``; other streams are copied unchanged."""
    import av
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        streams = {}
        for s in inp.streams:
            if s.type in ("video", "audio", "subtitle"):
                streams[s.index] = out.add_stream_from_template(s)
        v = inp.streams.video[0]
        first = None
        n = len(timeline.times) - 1
        step = timeline.times[-1] / n

        def moved(ts: int) -> int:
            i = round((ts - first) * v.time_base * timeline.fps)
            t = timeline.times[i] if 0 <= i < n else timeline.times[0] + i * step  # B-frame dts before 0
            return first + round(t / v.time_base)

        for pkt in inp.demux():
            if pkt.stream.index not in streams or (pkt.pts is None and pkt.dts is None):
                continue
            if pkt.stream.index == v.index:
                if first is None:  # the first packet in decode order is the first frame shown (an I-frame)
                    first = pkt.pts
                pts, dts = pkt.pts, pkt.dts
                if pts is not None:
                    pkt.pts = moved(pts)
                if dts is not None:
                    pkt.dts = moved(dts)
                pkt.duration = 0
            pkt.stream = streams[pkt.stream.index]
            out.mux(pkt)
