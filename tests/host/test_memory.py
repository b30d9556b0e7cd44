"""The process memory policy of host/memory.py: freed frame-sized buffers stay for reuse."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from vs_plugin.host import memory

PROBE = """
import numpy as np
from vs_plugin.host.memory import keep_frame_buffers
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096
applied = keep_frame_buffers()
a = np.ones(96 << 20, np.uint8)  # a UHD RGB float frame is about this size
before = rss()
del a
print(applied, (before - rss()) >> 20)
"""


def _probe(**env) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                         env={**os.environ, **env}).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(memory._glibc() is None, reason="the policy applies to glibc only")
def test_freed_frame_buffers_stay_in_the_process_unless_opted_out():
    applied, released_mb = _probe()
    assert applied == "True" and released_mb < 8  # kept for the next frame
    applied, released_mb = _probe(STEADYSCALE_MALLOC="system")
    assert applied == "False" and released_mb > 80  # glibc's default: munmap at once
