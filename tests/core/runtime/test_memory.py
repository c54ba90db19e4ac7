"""Freed memory kept for reuse (core.runtime.memory), in a fresh process and in the pool's workers."""

import os
import platform
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from core.runtime.memory import keep_freed_memory
from core.runtime.pool import WorkerPool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
glibc = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                           reason="freed memory is only kept with glibc's malloc (Linux)")


def _rss() -> int:
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _released_by_a_thread(n_bytes: int) -> int:
    """Resident bytes given back when a thread frees an array of ``n_bytes`` it touched."""
    out = []

    def work():
        a = np.ones(n_bytes, dtype=np.uint8)
        before = _rss()
        del a
        out.append(before - _rss())

    t = threading.Thread(target=work)
    t.start()
    t.join()
    return out[0]


_PROBE = ("import sys; sys.path.insert(0, {root!r}); from core.runtime.memory import keep_freed_memory; "
          "from tests.core.runtime.test_memory import _released_by_a_thread; "
          "print(keep_freed_memory(), _released_by_a_thread(300 << 20))")


def _probe(setting: str) -> tuple[str, int]:
    env = dict(os.environ, STITCHBOARD_KEEP_FREED_MEMORY=setting)
    out = subprocess.run([sys.executable, "-c", _PROBE.format(root=ROOT)], env=env, cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0], int(out[1])


@glibc
def test_a_large_block_freed_by_a_thread_stays_in_the_process():
    kept, released = _probe("on")
    assert kept == "True"
    assert released < 50 << 20  # the 300 MB stay resident, for the next allocation


@glibc
def test_off_gives_freed_memory_back_as_before():
    kept, released = _probe("off")
    assert kept == "False"
    assert released > 250 << 20


def test_off_is_a_no_op_on_every_system(monkeypatch):
    monkeypatch.setenv("STITCHBOARD_KEEP_FREED_MEMORY", "off")
    assert keep_freed_memory() is False


# ---- in the pool's workers (module-level jobs: pickled by reference)
def _released_in_worker(n_bytes):
    return _released_by_a_thread(n_bytes)


def _grow_and_free(n_bytes):
    time.sleep(1.1)  # loky checks a worker's memory at most once a second
    np.ones(n_bytes, dtype=np.uint8).sum()
    return os.getpid()


@glibc
def test_a_worker_keeps_freed_memory_and_is_not_replaced_for_it(monkeypatch):
    monkeypatch.setenv("STITCHBOARD_KEEP_FREED_MEMORY", "on")
    p = WorkerPool(1, 1, spare=False)
    try:
        first = p.run(_grow_and_free, 400 << 20)
        assert p.run(_released_in_worker, 300 << 20) < 50 << 20
        # loky replaces a worker whose memory grew 300 MB since its first job, unless told this is on purpose
        assert p.run(_grow_and_free, 1 << 20) == first
    finally:
        p.shutdown()
