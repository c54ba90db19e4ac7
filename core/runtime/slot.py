"""One slot of the worker pool (:mod:`core.runtime.pool`): a worker process behind its own
one-worker ``loky`` executor, with the control block the server and the worker share.

A slot's process starts (and runs its warm-up functions) as soon as the slot is made;
:meth:`WorkerSlot.kill` ends it at once, :meth:`WorkerSlot.close` lets it finish its job.
"""

from __future__ import annotations

import os
import sys
import time

from joblib.externals.loky import ProcessPoolExecutor

from .control import ControlBlock
from .disk_cache import numba_cache_dir
from .workers import THREAD_ENV, init_worker, noop

__all__ = ["WorkerSlot", "slot_env", "interpreter_exiting"]


class WorkerSlot:
    """One worker process behind a one-worker executor, with its control block.

    Parameters
    ----------
    fresh : bool
        Made for one untrusted job, never reused (the pool's bookkeeping).
    warmers : tuple of callables
        Module-level functions the process runs once at start.
    env : dict
        Environment variables of the process (:func:`slot_env`).
    memory_bytes : int
        The process's address-space limit.
    """

    def __init__(self, *, fresh: bool, warmers: tuple, env: dict, memory_bytes: int):
        self.fresh = fresh
        self.busy = False
        self.dead = False
        self.idle_since = time.monotonic()
        self.control = ControlBlock.create()
        self.executor = ProcessPoolExecutor(max_workers=1, timeout=None, initializer=init_worker,
                                            initargs=(str(self.control.path), memory_bytes, warmers), env=env)
        try:
            self.started = self.executor.submit(noop)  # starts the process and its warm-up now
        except BaseException:  # e.g. loky refusing work at exit: no control file left behind
            self.kill()
            raise

    @property
    def warm(self) -> bool:
        return self.started.done()

    def kill(self) -> None:
        if self.dead:
            return
        self.dead = True
        self.executor.shutdown(wait=False, kill_workers=True)
        self.control.unlink()

    def close(self) -> None:
        if self.dead:
            return
        self.dead = True
        self.executor.shutdown(wait=False)
        self.control.unlink()


def slot_env() -> dict:
    """Environment of a worker process: one BLAS/OpenMP thread, numba's disk cache."""
    env = dict(THREAD_ENV)
    if "NUMBA_CACHE_DIR" not in os.environ and numba_cache_dir() is not None:
        env["NUMBA_CACHE_DIR"] = str(numba_cache_dir())  # compiled layouts survive the worker
    return env


def interpreter_exiting() -> bool:
    """Whether the interpreter is exiting: loky's exit hook has run (it refuses new work from then on, before
    any ``atexit`` function of ours), or Python is finalising."""
    from joblib.externals.loky import process_executor

    return bool(getattr(process_executor, "_global_shutdown", False)) or sys.is_finalizing()
