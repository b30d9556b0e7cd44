"""The FUSE front end: the served files as a read-only mount (mfusepy on libfuse3).

Reads of several processes are served at once (libfuse's threads); a render error is EIO plus a
log line. ``mount`` blocks until the mount is released (SIGINT/SIGTERM or ``fusermount3 -u``).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import threading
import time
from pathlib import Path

from ..errors import SteadyscaleError
from .files import ServedRender
from .frames import RenderError

log = logging.getLogger("steadyscale.serve")


def _fuse():
    """The mfusepy module, or a one-line error naming what is missing."""
    if not os.path.exists("/dev/fuse"):
        raise SteadyscaleError("serve", "FUSE is not available here (/dev/fuse is missing; in a container, "
                                        "run it with --device /dev/fuse); use --http HOST:PORT instead")
    try:
        import mfusepy
    except ImportError:
        raise SteadyscaleError("serve", "mounting needs mfusepy: pip install 'steadyscale[serve]'") from None
    except OSError:  # mfusepy found no libfuse
        raise SteadyscaleError("serve", "FUSE is not available: libfuse3 not found; install Debian's fuse3 "
                                        "package (apt-get install fuse3), or use --http HOST:PORT") from None
    return mfusepy


def check_mountpoint(path: Path) -> None:
    """A usable, empty folder; a stale mount of a crashed server is explained."""
    try:
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ENOTCONN:
            raise SteadyscaleError("serve", f"{path} is a stale FUSE mount left by a server that crashed; "
                                            f"release it with 'fusermount3 -u {path}' and start again") from None
        raise SteadyscaleError("serve", f"mount folder {path} does not exist; create it first") from None
    if not stat.S_ISDIR(st.st_mode):
        raise SteadyscaleError("serve", f"mount folder {path} is not a folder")
    if os.path.ismount(path):
        raise SteadyscaleError("serve", f"{path} is already a mount point; unmount it or choose another folder")
    if any(os.scandir(path)):
        raise SteadyscaleError("serve", f"mount folder {path} is not empty; choose an empty folder")


def mount(served: ServedRender, mountpoint: Path, foreground: bool = True) -> None:
    """Serve ``served`` at ``mountpoint`` until unmounted (SIGINT/SIGTERM unmount)."""
    fuse = _fuse()
    check_mountpoint(mountpoint)
    now = int(time.time() * 1e9)

    mounted = threading.Event()

    class FS(fuse.Operations):
        use_ns = True

        def init(self, path):
            mounted.set()

        def getattr(self, path, fh=None):
            base = dict(st_uid=os.getuid(), st_gid=os.getgid(), st_atime=now, st_mtime=now, st_ctime=now)
            if path in served.dirs:
                return dict(base, st_mode=stat.S_IFDIR | 0o555, st_nlink=2)
            view = served.files.get(path)
            if view is None:
                raise fuse.FuseOSError(errno.ENOENT)
            return dict(base, st_mode=stat.S_IFREG | 0o444, st_nlink=1, st_size=view.size)

        def readdir(self, path, fh):
            if path not in served.dirs:
                raise fuse.FuseOSError(errno.ENOENT)
            return [".", ".."] + served.dirs[path]

        def open(self, path, flags):
            if path not in served.files:
                raise fuse.FuseOSError(errno.ENOENT)
            if flags & (os.O_WRONLY | os.O_RDWR):
                raise fuse.FuseOSError(errno.EROFS)
            return 0

        def read(self, path, size, offset, fh):
            view = served.files.get(path)
            if view is None:
                raise fuse.FuseOSError(errno.ENOENT)
            try:
                return view.read(offset, size)
            except RenderError:
                raise fuse.FuseOSError(errno.EIO) from None

        def statfs(self, path):
            return dict(f_bsize=4096, f_frsize=4096, f_blocks=0, f_bfree=0, f_bavail=0, f_namemax=255)

    log.info("serving %s at %s", served.stem, mountpoint)
    try:
        fuse.FUSE(FS(), str(mountpoint), foreground=foreground, ro=True, nothreads=False,
                  fsname="steadyscale", subtype="steadyscale")
    except RuntimeError as e:  # libfuse's status code: the reason is on stderr already
        if mounted.is_set():  # served, then stopped by a signal or fusermount3 -u: a normal end
            return
        raise SteadyscaleError("serve", f"mounting {mountpoint} failed (libfuse status {e}); is FUSE "
                                        "permitted here (fusermount3, /dev/fuse)?") from None
