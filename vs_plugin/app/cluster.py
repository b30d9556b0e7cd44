"""Distributed rendering on a Ray cluster: chunks rendered anywhere, joined with no seam.

Every output frame is a pure function of a fixed window of input frames, and a chunk
``[s, e)`` is rendered from the *whole* clip's graph (its window reaches into the neighbouring
chunks' source frames; padding happens only at the true clip ends), so each frame equals the
single-machine frame bit for bit wherever it is rendered. Nothing is computed over the whole
clip: scene-change flags and face tracks are functions of each frame's window too, so workers
need no shared state beyond the job itself. Chunk boundaries only decide which encoder
segment a frame lands in; they prefer scene cuts (a closed-GOP segment that starts on a cut
costs no extra key frame) and never exceed ``segment_frames``.

Each chunk is encoded as its own closed-GOP segment into a folder every node sees (NFS, a
cluster file system, or a FUSE-mounted bucket), with the job fingerprint beside the segments;
the driver then joins them by stream copy and muxes audio and subtitles exactly as a local run.
Workers are Ray tasks: a worker process that dies is retried elsewhere (``max_retries``), a
chunk that fails for a real reason (bad input, encoder error) stops the job with its error.
Models load once per worker process (the graph is cached per job), not once per chunk.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..encode import EncodeError
from ..errors import SteadyscaleError, first_line
from .fingerprint import job_fingerprint
from .render import RenderJob, build, encode_value, frame_range, join_segments
from .segments import open_segments, parts_dir

log = logging.getLogger("steadyscale.cluster")

#: retries of a chunk whose worker process or node died (not of chunks that raised)
MAX_RETRIES = 3


def plan_chunks(start: int, end: int, max_frames: int, cuts: list[int] = ()) -> list[tuple[int, int]]:
    """Chunks ``[s, e)`` covering ``[start, end)``, none longer than ``max_frames``; a chunk ends
    at the last scene cut (a frame index that starts a new shot) in its second half, if any,
    else at the length limit. Deterministic, so a resumed job finds the same chunks."""
    if max_frames < 1:
        raise SteadyscaleError("upscale", f"--segment-frames must be >= 1, got {max_frames}")
    cut_set = sorted(c for c in set(cuts) if start < c < end)
    out, s = [], start
    while s < end:
        e = min(end, s + max_frames)
        if e < end:
            inside = [c for c in cut_set if s + max_frames // 2 <= c < e]
            if inside:
                e = inside[-1]
        out.append((s, e))
        s = e
    return out


def scene_cuts(src, start: int, end: int) -> list[int]:
    """Frames in ``(start, end)`` that start a new shot (``_SceneChangePrev``), from the
    project's scene detector on a small grey copy of the source."""
    from ..host.scenes import scene_changes

    flagged = scene_changes(src, force=True)
    return [n for n in range(start + 1, end) if flagged.get_frame(n).props.get("_SceneChangePrev", 0)]


# --- the worker side -------------------------------------------------------------------------

_graph_lock = threading.Lock()
_graph_cache: dict[str, object] = {}  # one job's graph per worker process (bounded: 1 entry)


def _graph(job: RenderJob, key: str, threads: int):
    with _graph_lock:
        if key not in _graph_cache:
            import torch
            import vapoursynth as vs
            vs.core.num_threads = threads
            torch.set_num_threads(threads)
            _graph_cache.clear()
            _graph_cache[key] = build(job)[1]
        return _graph_cache[key]


def render_chunk(job_fields: dict, key: str, s: int, e: int, path: str, threads: int, progress_actor=None) -> dict:
    """Render frames ``[s, e)`` of the job into the segment ``path`` (written under a temporary
    name, renamed when complete). Runs inside a Ray worker."""
    from ..encode import encode
    from .render import encode_args

    t0 = time.time()
    job = RenderJob(**job_fields)
    out = _graph(job, key, threads)
    last = [0.0, 0]

    def cb(done: int, total: int) -> None:
        now = time.time()
        if progress_actor is not None and (now - last[0] > 0.5 or done == total):
            progress_actor.report.remote(s, done)
            last[0] = now
        last[1] = done

    encode(out[s:e], path, progress=cb, **encode_args(job))
    return {"chunk": [s, e], "pid": os.getpid(), "seconds": round(time.time() - t0, 2)}


class _Progress:
    """Frames done per chunk, reported by workers, read by the driver."""

    def __init__(self):
        self.done: dict[int, int] = {}

    def report(self, chunk: int, frames: int) -> None:
        self.done[chunk] = frames

    def total(self) -> int:
        return sum(self.done.values())


# --- the driver side -------------------------------------------------------------------------

#: seconds to wait for a cluster's address to answer before giving up
CONNECT_TIMEOUT = 10.0


def _check_reachable(address: str) -> None:
    """Fail in seconds when a ``HOST:PORT`` (or ``ray://HOST:PORT``) address has nothing
    listening: Ray itself keeps retrying such an address for many minutes."""
    host_port = address.removeprefix("ray://")
    host, sep, port = host_port.rpartition(":")
    if not sep or not port.isdigit():
        return  # 'auto' and other forms are Ray's to resolve (it fails fast when none is running)
    import socket
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as e:
        raise SteadyscaleError("upscale", f"--ray {address}: nothing answers there ({e.strerror or e}); start a "
                                          "cluster with 'ray start --head' or give its address") from None


def _connect(address: str, verbose: bool) -> None:
    import ray

    if ray.is_initialized():
        return
    _check_reachable(address)
    try:
        ray.init(address=address, log_to_driver=verbose, logging_level=logging.WARNING,
                 configure_logging=False, include_dashboard=False)
    except Exception as e:  # noqa: BLE001 - Ray raises ConnectionError, RuntimeError, ValueError...
        raise SteadyscaleError("upscale", f"--ray {address}: cannot connect to the Ray cluster "
                                          f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                                          "start one with 'ray start --head' or give its address") from None


def render_ray(job: RenderJob, address: str, *, progress: Callable[[int, int], None] | None = None,
               gpus_per_task: float = 0.0, threads_per_task: int = 1, storage: Path | None = None,
               verbose: bool = False) -> Path:
    """Render ``job`` on the Ray cluster at ``address`` (``auto``, ``HOST:PORT``, ``ray://...``).

    Segments go to ``storage`` (default: the hidden ``.OUT.parts`` folder next to the output),
    which every node must see at the same path. With ``job.resume`` finished segments of an
    earlier, identical job are kept; a job with other settings is refused. The output appears
    under its final name only when complete.
    """
    try:
        import ray
    except ImportError:
        raise SteadyscaleError("upscale", "--ray needs Ray: pip install 'steadyscale[cluster]'") from None
    if threads_per_task < 1:
        raise SteadyscaleError("upscale", f"--ray-threads must be >= 1, got {threads_per_task}")
    if gpus_per_task < 0:
        raise SteadyscaleError("upscale", f"--ray-gpus-per-task must be >= 0, got {gpus_per_task}")
    job = dataclasses.replace(job, input=str(Path(job.input).resolve()), output=Path(job.output).resolve())
    _connect(address, verbose)  # first: an unreachable cluster fails in seconds and leaves nothing behind
    src, out = build(job)  # validates every parameter here, before any worker starts
    start, end = frame_range(out.num_frames, job.start, job.end)
    chunks = plan_chunks(start, end, int(encode_value(job, "segment_frames")), scene_cuts(src, start, end))
    folder = Path(storage).resolve() if storage else parts_dir(job.output)
    segs = open_segments(job, folder, chunks, keep=job.resume)  # a fresh start drops an earlier job's segments
    key = hashlib.sha256(json.dumps(job_fingerprint(job), sort_keys=True).encode()).hexdigest()
    todo = segs.todo()
    done_before = segs.done_frames()
    log.info("%d chunks (%d to render, %d frames already done) in %s", len(chunks), len(todo), done_before, folder)

    job_fields = {f.name: getattr(job, f.name) for f in dataclasses.fields(job)}
    task = ray.remote(render_chunk).options(num_cpus=threads_per_task, num_gpus=gpus_per_task,
                                            max_retries=MAX_RETRIES, retry_exceptions=False)
    tracker = ray.remote(_Progress).options(num_cpus=0).remote()
    pending = {task.remote(job_fields, key, s, e, str(f), threads_per_task, tracker): (s, e) for s, e, f in todo}
    total = end - start
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
            for ref in ready:
                s, e = pending.pop(ref)
                try:
                    info = ray.get(ref)
                except ray.exceptions.RayTaskError as err:
                    cause = err.cause if getattr(err, "cause", None) is not None else err
                    msg = first_line(cause)
                    raise EncodeError(f"chunk [{s}, {e}) failed: {msg}") from None
                except ray.exceptions.RayError as err:  # died on every retry
                    raise EncodeError(f"chunk [{s}, {e}) was lost {MAX_RETRIES + 1} times "
                                      f"({type(err).__name__}); the cluster is unhealthy") from None
                log.info("chunk [%d, %d) done in %s s (pid %s)", s, e, info["seconds"], info["pid"])
            if progress:  # the tracker holds every rendered chunk's count, finished or running
                progress(min(total, done_before + ray.get(tracker.total.remote())), total)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    if progress:
        progress(total, total)
    join_segments(segs.files, job, out, start, end, Path(job.input).is_file())
    segs.clean_up(own_folder=storage is None)
    return job.output
