"""Segments of a render on disk, for both engines that make them: the local ``--resume`` render
(app/render.py) and the Ray cluster (app/cluster.py). One place decides the folder, the
fingerprint that keeps segments of other settings out, the names, what is already done, and the
clean-up after the join, so a segment made by either engine is the same file."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .fingerprint import FILE as FINGERPRINT
from .fingerprint import check_or_write, job_fingerprint


def parts_dir(output: Path) -> Path:
    """The hidden folder beside ``output`` where its segments wait for the join."""
    return output.with_name(f".{output.name}.parts")


def segment_path(folder: Path, s: int, e: int) -> Path:
    # NUT keeps each stream in its own time base (1/fps): the join computes exact offsets where
    # Matroska's millisecond clock would shift a later segment's timestamps by rounding
    return folder / f"seg_{s:08d}_{e:08d}.nut"


@dataclass(frozen=True)
class Segments:
    """The segment files of one job's range, in order, in ``folder``."""

    folder: Path
    ranges: tuple[tuple[int, int], ...]

    @property
    def files(self) -> list[Path]:
        return [segment_path(self.folder, s, e) for s, e in self.ranges]

    def todo(self) -> list[tuple[int, int, Path]]:
        """The ranges whose file is not there yet, with that file."""
        return [(s, e, f) for (s, e), f in zip(self.ranges, self.files) if not f.exists()]

    def done_frames(self) -> int:
        return sum(e - s for (s, e), f in zip(self.ranges, self.files) if f.exists())

    def clean_up(self, own_folder: bool) -> None:
        """After the join: ``own_folder`` (the hidden ``.OUT.parts``) is removed with anything
        an interrupted encode left in it; in a storage folder given by the user only the
        segments and the fingerprint go, and the folder too if that empties it."""
        if own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        for f in self.files + [self.folder / FINGERPRINT]:
            f.unlink(missing_ok=True)
        try:
            self.folder.rmdir()
        except OSError:
            pass


def open_segments(job, folder: Path, ranges: list[tuple[int, int]], keep: bool) -> Segments:
    """The job's segments in ``folder``: with ``keep`` (``--resume``) an identical earlier job's
    finished segments count as done and a job with other settings is refused; without it an
    earlier job's segments are dropped first."""
    if not keep and (folder / FINGERPRINT).exists():
        for f in list(folder.glob("seg_*")) + [folder / FINGERPRINT]:
            f.unlink()
    check_or_write(folder, job_fingerprint(job))
    return Segments(folder, tuple(ranges))
