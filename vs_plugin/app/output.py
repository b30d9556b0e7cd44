"""The output file's safety: never the input, never an existing file or a folder without asking,
one writer at a time.

Two renders to the same name would otherwise race on the hidden partial file and the resume
folder, and the loser would report success while the file holds the winner's frames. So a
render holds an advisory lock (``flock`` on ``.NAME.lock`` beside the output) for its whole
life; the kernel drops it when the process dies, however it dies, so a stale lock file never
blocks the next run.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from ..errors import SteadyscaleError


def check_output(src: str, out: Path, overwrite: bool, command: str = "upscale") -> None:
    """Refuse to destroy the input, a folder or (without ``overwrite``) an existing file, and
    fail now on an unwritable folder: before any graph is built or frame rendered."""
    if Path(src).exists() and out.exists() and out.resolve() == Path(src).resolve():
        raise SteadyscaleError(command, f"-o {out} is the input file itself; choose another output name")
    if out.is_dir():
        raise SteadyscaleError(command, f"-o {out} is a folder; give a file name such as {out / 'out.mkv'}")
    if out.exists() and not overwrite:
        raise SteadyscaleError(command, f"{out} exists; pass -y to overwrite it, or choose another name")
    folder = out.parent if str(out.parent) else Path(".")
    try:  # a real file, not os.access: root passes access checks on read-only and virtual filesystems
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".steadyscale-probe-"):
            pass
    except OSError as e:
        raise SteadyscaleError(command, f"-o {out}: cannot write into {folder} ({e.strerror or e}); "
                                        "choose another -o folder") from None


def lock_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.lock")


class OutputLock:
    """Held while ``out`` is being written; a second holder fails at once with a clear error."""

    def __init__(self, out: Path, command: str = "upscale"):
        self.path, self.out, self.command = lock_path(out), out, command
        self.fd: int | None = None

    def __enter__(self) -> "OutputLock":
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise SteadyscaleError(self.command, f"-o {self.out} is being written by another steadyscale "
                                                     f"(pid {holder}); wait for it or choose another name") from None
            try:  # the file we locked is still the one under the name (not unlinked by a finishing holder)
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            self.path.unlink(missing_ok=True)  # while still held: nobody else can be between check and unlink
            os.close(self.fd)
            self.fd = None
