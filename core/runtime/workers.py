"""Run untrusted or heavy work in a bounded worker process, off the caller's interpreter.

:func:`run_in_worker` starts a fresh ``spawn`` process through
:class:`concurrent.futures.ProcessPoolExecutor`, with a memory limit
(``RLIMIT_AS``), a wall-time limit and a cap on the size of what comes back. The
worker's progress reports and the caller's stop requests cross through a
multiprocessing queue and event, so a dashboard session can draw a progress bar and
offer Cancel while the heavy code holds no lock of the server.

A crash (a segfault in native code), an out-of-memory or a timeout becomes a
:class:`~core.errors.LoadError` saying which; the caller lives on.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_mod
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import CancelledError, LoadError

__all__ = ["WorkerLimits", "run_in_worker", "worker_progress", "worker_should_stop"]


class WorkerLimits:
    """Limits of one worker: memory (bytes of address space), wall time (s), result bytes.

    Defaults come from ``STITCHBOARD_WORKER_MEMORY_MB`` (8192), ``STITCHBOARD_WORKER_TIMEOUT_S``
    (3600) and ``STITCHBOARD_WORKER_RESULT_MB`` (2048). ``timeout_setting`` names the
    setting that raises this worker's time limit in its message (ONNX runs have their own,
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


_QUEUE = None
_STOP = None


def _init(q, stop, memory_bytes: int) -> None:
    global _QUEUE, _STOP
    _QUEUE, _STOP = q, stop
    try:
        import resource

        if memory_bytes > 0:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on this platform
        pass
    q.put(("pid", os.getpid()))


def worker_progress(done: float, total: float, what: str) -> None:
    """A ``progress`` callback for code running in the worker (a no-op elsewhere)."""
    if _QUEUE is not None:
        _QUEUE.put(("progress", float(done), float(total), str(what)))


def worker_should_stop() -> bool:
    """A ``should_stop`` callback for code running in the worker: True once the caller asked to stop."""
    return _STOP is not None and _STOP.is_set()


def _call(fn, args, kwargs, max_result_bytes: int):
    try:
        out = fn(*args, **kwargs)
    except MemoryError:
        raise LoadError("the worker ran out of memory (its limit is STITCHBOARD_WORKER_MEMORY_MB); use a smaller "
                        "batch size or fewer rows") from None
    size = len(out) if isinstance(out, (bytes, bytearray)) else getattr(out, "nbytes", 0)
    if size > max_result_bytes:
        raise LoadError(f"the worker's result is {size / 1e6:,.0f} MB, over the {max_result_bytes / 1e6:,.0f} MB "
                        "limit (STITCHBOARD_WORKER_RESULT_MB)")
    return out


def run_in_worker(fn, /, *args, progress=None, should_stop=None, limits: WorkerLimits | None = None,
                  what: str = "the worker", **kwargs):
    """``fn(*args, **kwargs)`` in a fresh bounded process; returns its result.

    Parameters
    ----------
    fn : a module-level function
        It may call :func:`worker_progress` and poll :func:`worker_should_stop`.
    progress : callable(done, total, what), optional
        Gets the worker's reports, in the caller's thread.
    should_stop : callable() -> bool, optional
        Polled every 50 ms; once True the worker is asked to stop, and killed if it
        has not stopped 5 s later. Raises :class:`~core.errors.CancelledError`.
    limits : WorkerLimits, optional
    what : str
        Named in the error messages.

    Raises
    ------
    LoadError
        The worker crashed, ran out of memory or time, or returned too much.
    """
    limits = limits or WorkerLimits()
    ctx = multiprocessing.get_context("spawn")
    q, stop = ctx.Queue(), ctx.Event()
    ex = ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_init,
                             initargs=(q, stop, limits.memory_bytes))
    pid, killed, stop_at = None, None, None
    t0 = time.monotonic()
    try:
        fut = ex.submit(_call, fn, args, kwargs, limits.max_result_bytes)
        while True:
            try:
                while True:
                    msg = q.get_nowait()
                    if msg[0] == "pid":
                        pid = msg[1]
                    elif progress is not None:
                        progress(*msg[1:])
            except queue_mod.Empty:
                pass
            if fut.done():
                break
            now = time.monotonic()
            if stop_at is None and should_stop is not None and should_stop():
                stop.set()
                stop_at = now
            if stop_at is not None and now - stop_at > 5.0 and killed is None:
                killed = "cancel"
                _kill(pid)
            if now - t0 > limits.timeout_s and killed is None:
                killed = "timeout"
                _kill(pid)
            time.sleep(0.05)
        try:
            return fut.result()
        except BrokenProcessPool:
            if killed == "cancel":
                raise CancelledError(f"stopped {what}") from None
            if killed == "timeout":
                raise LoadError(f"{what} took longer than the {limits.timeout_s:g} s limit and was stopped "
                                f"({limits.timeout_setting})") from None
            raise LoadError(
                f"{what} crashed or ran out of memory (limit {limits.memory_bytes / (1 << 30):.1f} GiB, "
                "STITCHBOARD_WORKER_MEMORY_MB); the server is unaffected. Try a smaller batch size or fewer rows"
            ) from None
    finally:
        ex.shutdown(wait=killed is None, cancel_futures=True)
        q.close()


def _kill(pid) -> None:
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
