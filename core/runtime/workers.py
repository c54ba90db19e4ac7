"""The worker side of the pool: limits, the start-up of a worker process and the wrapper of each job.

Code that runs in a worker (through :meth:`core.runtime.pool.WorkerPool.run`) reports
progress with :func:`worker_progress` and polls :func:`worker_should_stop`; both go
through the slot's :class:`~core.runtime.control.ControlBlock`, so the server forwards
the reports to its own ``progress`` callback and sets the flag when its ``should_stop``
returns True. Outside a worker both are no-ops (:func:`in_worker` is False).
"""

from __future__ import annotations

import os
import threading
import time

from ..errors import LoadError
from .control import ControlBlock, load_shared, shm_dir
from .file_owner import sweep_dead_owners
from .memory import keep_freed_memory

__all__ = ["WorkerLimits", "worker_progress", "worker_should_stop", "in_worker", "THREAD_ENV"]

#: Set in every worker before anything is imported: one thread for BLAS, OpenMP and numba,
#: so a layout never competes with the server and its other workers for cores.
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}


class WorkerLimits:
    """Limits of one job: memory (bytes of address space), wall time (s), result bytes.

    Defaults come from ``STITCHBOARD_WORKER_MEMORY_MB`` (8192), ``STITCHBOARD_WORKER_TIMEOUT_S``
    (3600) and ``STITCHBOARD_WORKER_RESULT_MB`` (2048). ``timeout_setting`` names the
    setting that raises this job's time limit in its message (ONNX runs have their own,
    ``STITCHBOARD_ONNX_TIMEOUT_S``).
    """

    def __init__(self, *, memory_bytes: int | None = None, timeout_s: float | None = None,
                 max_result_bytes: int | None = None, timeout_setting: str = "STITCHBOARD_WORKER_TIMEOUT_S"):
        env = os.environ.get
        self.timeout_setting = timeout_setting  # named in the timeout message
        self.memory_bytes = int(memory_bytes if memory_bytes is not None
                                else float(env("STITCHBOARD_WORKER_MEMORY_MB", 8192)) * (1 << 20))
        self.timeout_s = float(timeout_s if timeout_s is not None else env("STITCHBOARD_WORKER_TIMEOUT_S", 3600))
        self.max_result_bytes = int(max_result_bytes if max_result_bytes is not None
                                    else float(env("STITCHBOARD_WORKER_RESULT_MB", 2048)) * (1 << 20))


_CONTROL: ControlBlock | None = None
_KEEP: list = []  # objects that must live as long as the worker (the thread limits)


def in_worker() -> bool:
    """Whether this process is a pool worker."""
    return _CONTROL is not None


def worker_progress(done: float, total: float, what: str) -> None:
    """A ``progress`` callback for code running in a worker (a no-op elsewhere)."""
    if _CONTROL is not None:
        _CONTROL.report(float(done), float(total), str(what))


def worker_should_stop() -> bool:
    """A ``should_stop`` callback for code running in a worker: True once the caller asked to stop."""
    return _CONTROL is not None and _CONTROL.stop_requested


def _set_memory_limit(limit: int, *, hard: bool) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on this platform
        return
    if limit <= 0:
        return
    _, cur_hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = limit if cur_hard == resource.RLIM_INFINITY else min(limit, cur_hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (soft, soft if hard else cur_hard))
    except (ValueError, OSError):  # pragma: no cover - a platform without RLIMIT_AS
        pass


def init_worker(control_path: str, memory_bytes: int, warmers: tuple) -> None:
    """Initializer of a worker process: control block, memory and thread limits, then the warm-ups.

    A warm-up that fails only costs the first job its head start, so its error is ignored.
    """
    global _CONTROL
    try:
        _CONTROL = ControlBlock.attach(control_path)
    except FileNotFoundError:  # the slot was closed before this process started: it gets no job
        return
    _CONTROL.set_pid(os.getpid())
    # loky's workers wait for jobs forever: without this, a server killed outright would leave them running
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="stitchboard-parent").start()
    _set_memory_limit(memory_bytes, hard=False)
    if keep_freed_memory():  # a worker's next job reuses the memory its last one freed
        _allow_kept_memory()
    from threadpoolctl import threadpool_limits

    _KEEP.append(threadpool_limits(1))
    for warm in warmers:
        try:
            warm()
        except Exception:  # noqa: BLE001 - see the docstring
            pass


def _allow_kept_memory() -> None:
    """loky replaces a worker whose resident memory grew 300 MB past its first job's. Memory kept on purpose
    (:mod:`core.runtime.memory`) would then cost every large job a new process, its warm-up and the memory kept."""
    from joblib.externals.loky import process_executor

    if hasattr(process_executor, "_MAX_MEMORY_LEAK_SIZE"):  # read by the worker's loop after each job
        process_executor._MAX_MEMORY_LEAK_SIZE = 1 << 62


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    if _CONTROL is not None:
        _CONTROL.unlink()  # the server cannot any more
    sweep_dead_owners(shm_dir())  # its kept share files (control.ShareFiles), now that its lock is gone
    os._exit(0)


def noop() -> int:
    """A job that only makes the worker start (and warm up): returns its pid."""
    return os.getpid()


def result_bytes(out) -> int:
    """Bytes of a job's result: arrays, bytes, and sequences or dicts of them."""
    if isinstance(out, (bytes, bytearray, memoryview)):
        return len(out)
    if isinstance(out, (list, tuple)):
        return sum(result_bytes(o) for o in out)
    if isinstance(out, dict):
        return sum(result_bytes(o) for o in out.values())
    return int(getattr(out, "nbytes", 0) or 0)


def call_job(fn, args, kwargs, memory_bytes: int, max_result_bytes: int, fresh: bool):
    """In the worker: ``fn(*args, **kwargs)`` under the job's memory limit, its result's size checked.

    A fresh worker (never reused) gets the limit as a hard one: the job cannot raise it.
    """
    _set_memory_limit(memory_bytes, hard=fresh)
    try:
        out = fn(*load_shared(args), **load_shared(kwargs))
    except MemoryError:
        raise LoadError(f"the worker ran out of memory (its limit is {memory_bytes / (1 << 30):.1f} GiB, "
                        "STITCHBOARD_WORKER_MEMORY_MB); use a smaller batch size or fewer rows, or raise "
                        "the limit") from None
    size = result_bytes(out)
    if size > max_result_bytes:
        raise LoadError(f"the worker's result is {size / 1e6:,.0f} MB, over the {max_result_bytes / 1e6:,.0f} MB "
                        "limit (STITCHBOARD_WORKER_RESULT_MB)")
    return out
