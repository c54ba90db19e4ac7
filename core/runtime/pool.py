"""A pool of bounded worker processes for layouts and untrusted models, off the server's interpreter.

Each *slot* (:class:`core.runtime.slot.WorkerSlot`) is its own single-worker ``loky`` executor, so killing
one worker (a cancel that did not stop in time, a timeout, a crash) never fails another
slot's job. The pool keeps ``STITCHBOARD_WORKERS`` (4) slots warm and grows to
``STITCHBOARD_MAX_WORKERS`` (4) jobs at once when they are all busy; further jobs wait
their turn (first come, first served). A *fresh* job (an uploaded ONNX model, a
pretrained encoder) runs in a slot of its own that is discarded afterwards, never reused;
one such slot is kept started in advance so that it does not wait for a process start.

Every worker starts with a memory limit (``RLIMIT_AS``), one thread for BLAS/OpenMP and
the pool's warm-up functions (e.g. :func:`core.maps.layout_jobs.warm_worker`). While a
job runs, :meth:`WorkerPool.run` polls the slot's control block every 50 ms: it forwards
the worker's progress to the caller's ``progress``, sets the stop flag once the caller's
``should_stop`` returns True (the worker raises :class:`~core.errors.CancelledError` at its
next check), and kills the worker if it has not stopped 5 s later, or at the time limit.

Examples
--------
>>> from core.runtime.pool import shared_pool
>>> shared_pool().run(sum, [1, 2, 3])  # doctest: +SKIP
6
"""

from __future__ import annotations

import atexit
import collections
import concurrent.futures as cf
import os
import re
import threading
import time

from joblib.externals.loky.process_executor import BrokenProcessPool, ShutdownExecutorError

from ..errors import CancelledError, LoadError
from . import memory
from .control import SHARE_KEEP_BYTES, ShareFiles, remove_files, share_arrays, shm_dir
from .file_owner import sweep_dead_owners
from .slot import WorkerSlot, interpreter_exiting, slot_env
from .workers import WorkerLimits, call_job

__all__ = ["WorkerPool", "shared_pool", "warm_up", "shutdown"]

#: Seconds between two looks at a running job (progress, stop request, time limit).
POLL_S = 0.05
#: Seconds a worker gets to stop by itself after a stop request before it is killed.
STOP_GRACE_S = 5.0
#: Seconds a new worker may take to start and warm up before its job's time limit starts counting anyway.
START_S = 300.0
#: Seconds an extra slot (beyond the warm ones) stays idle before it is closed.
IDLE_S = 60.0


class WorkerPool:
    """Warm worker processes that run one job each at a time; see the module docstring.

    Parameters
    ----------
    workers : int, optional
        Slots kept warm (``STITCHBOARD_WORKERS``, default 4).
    max_workers : int, optional
        Most jobs at once, fresh ones included (``STITCHBOARD_MAX_WORKERS``, default 4).
    warmers : sequence of callables, optional
        Module-level functions every new (not fresh) worker runs once at start.
    spare : bool, default=True
        Keep one fresh slot started in advance once fresh jobs are used.
    """

    def __init__(self, workers: int | None = None, max_workers: int | None = None, *, warmers=(),
                 spare: bool = True):
        self.workers = max(1, int(workers if workers is not None else os.environ.get("STITCHBOARD_WORKERS", 4)))
        self.max_workers = max(self.workers, int(max_workers if max_workers is not None
                                                 else os.environ.get("STITCHBOARD_MAX_WORKERS", 4)))
        self.warmers = tuple(warmers)
        self.fresh_warmers: tuple = ()
        self.spare_enabled = spare
        self._slots: list[WorkerSlot] = []
        self._spare: WorkerSlot | None = None
        self._queue: collections.deque = collections.deque()
        self._cond = threading.Condition()
        self._closed = False
        self._n_fresh = 0  # fresh jobs running
        self._warm_target: int | None = None  # slots kept warm so far: all ``workers`` unless warm_up said fewer
        self._files = ShareFiles(shm_dir(), max_bytes=SHARE_KEEP_BYTES if memory.enabled() else 0)

    # ---------------------------------------------------------------- slots
    def add_warmers(self, *fns, fresh: bool = False) -> None:
        """Warm-up functions for the slots started from now on (each added once).

        ``fresh=True``: for the processes of fresh jobs instead, which run them before
        they get their job (e.g. importing onnxruntime); they must not touch job data.
        """
        with self._cond:
            if fresh:
                self.fresh_warmers += tuple(f for f in fns if f not in self.fresh_warmers)
            else:
                self.warmers += tuple(f for f in fns if f not in self.warmers)

    def _new_slot(self, fresh: bool) -> WorkerSlot:
        return WorkerSlot(fresh=fresh, warmers=self.fresh_warmers if fresh else self.warmers, env=slot_env(),
                     memory_bytes=WorkerLimits().memory_bytes)

    def warm_up(self, slots: int | None = None) -> None:
        """Start the warm slots, or the first ``slots`` of them (returns at once; they warm up in
        their own processes).

        One after the other: the first compiles what numba's disk cache lacks and the next
        ones load it, instead of all compiling the same code at once. A later call with a
        larger ``slots`` (or none: all ``workers``) starts the rest.
        """
        with self._cond:
            wanted = self.workers if slots is None else max(1, min(int(slots), self.workers))
            self._warm_target = max(self._warm_target or 0, wanted)
        self._warm_next()

    def _background_slot(self) -> WorkerSlot | None:
        """A warm slot the pool starts by itself (lock held); None once the interpreter exits."""
        try:
            return self._new_slot(False)
        except RuntimeError:
            if not interpreter_exiting():
                raise
            self._closed = True
            return None

    def _warm_next(self) -> None:
        with self._cond:
            self._slots = [s for s in self._slots if not s.dead]
            if self._closed or len(self._slots) >= self._kept():
                return
            slot = self._background_slot()
            if slot is None:
                return
            self._slots.append(slot)
        slot.started.add_done_callback(self._next_warm)

    def _kept(self) -> int:
        return self.workers if self._warm_target is None else self._warm_target

    def _next_warm(self, started) -> None:
        if not started.cancelled() and started.exception() is None:  # a worker that failed to start: no chain
            self._warm_next()

    def status(self) -> dict:
        """Slots, busy ones, warm ones and waiting jobs: for tests and benchmarks."""
        with self._cond:
            live = [s for s in self._slots if not s.dead]
            return {"slots": len(live), "busy": sum(s.busy for s in live), "warm": sum(s.warm for s in live),
                    "fresh_busy": self._n_fresh, "waiting": len(self._queue),
                    "pids": [s.control.pid for s in live]}

    def _take(self, fresh: bool) -> WorkerSlot | None:
        """A slot for the next job, or None when ``max_workers`` jobs run already (lock held)."""
        self._slots = [s for s in self._slots if not s.dead]
        busy = sum(s.busy for s in self._slots) + self._n_fresh
        if busy >= self.max_workers:
            return None
        if fresh:
            slot, self._spare = self._spare, None
            if slot is None or slot.dead:
                slot = self._new_slot(True)
            if self.spare_enabled:
                self._spare = self._new_slot(True)
            self._n_fresh += 1
        else:
            idle = [s for s in self._slots if not s.busy]
            if idle:  # a warm one first, then the longest-lived (extra slots then fall idle and go)
                slot = max(idle, key=lambda s: (s.warm, -self._slots.index(s)))
            else:
                slot = self._new_slot(False)
                self._slots.append(slot)
        slot.busy = True
        return slot

    def _acquire(self, fresh: bool, progress, should_stop) -> WorkerSlot:
        ticket = object()
        told = False
        with self._cond:
            if self._closed:
                raise LoadError("the worker pool is shut down")
            self._queue.append(ticket)
        try:
            while True:
                with self._cond:
                    if self._queue[0] is ticket:
                        slot = self._take(fresh)
                        if slot is not None:
                            self._queue.popleft()
                            self._cond.notify_all()
                            return slot
                    ahead = self._queue.index(ticket)
                    self._cond.wait(POLL_S)
                if should_stop is not None and should_stop():
                    raise CancelledError("stopped while waiting for a free worker")
                if progress is not None and not told:
                    told = True
                    progress(0, 1, f"waiting for a free worker ({self.max_workers} busy"
                             + (f", {ahead} job(s) ahead)" if ahead else ")"))
        except BaseException:
            with self._cond:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                self._cond.notify_all()
            raise

    def _release(self, slot: WorkerSlot, *, broken: bool) -> None:
        with self._cond:
            slot.busy = False
            slot.idle_since = time.monotonic()
            if slot.fresh:
                self._n_fresh -= 1
                slot.close()  # never reused
            elif broken:
                slot.kill()
            now = time.monotonic()
            live = [s for s in self._slots if not s.dead]
            for s in live[self.workers:]:  # extra slots idle for a while go
                if not s.busy and now - s.idle_since > IDLE_S:
                    s.close()
            self._slots = [s for s in self._slots if not s.dead]
            if not self._closed and len(self._slots) < self._kept():
                slot = self._background_slot()  # a killed warm slot is replaced at once
                if slot is not None:
                    self._slots.append(slot)
            self._cond.notify_all()

    # ---------------------------------------------------------------- jobs
    def run(self, fn, /, *args, progress=None, should_stop=None, limits: WorkerLimits | None = None,
            what: str = "the worker", fresh: bool = False, **kwargs):
        """``fn(*args, **kwargs)`` in a worker; blocks until it returns and returns its result.

        Parameters
        ----------
        fn : a module-level function
            It may report with :func:`core.runtime.workers.worker_progress` and poll
            :func:`core.runtime.workers.worker_should_stop`.
        progress : callable(done, total, what), optional
            Gets the worker's reports, in the caller's thread.
        should_stop : callable() -> bool, optional
            Polled every 50 ms; once True the worker is asked to stop, and killed if it
            has not stopped 5 s later. Raises :class:`~core.errors.CancelledError`.
        limits : WorkerLimits, optional
            Memory, wall time (from the job's start in its worker) and result size.
        what : str
            Named in the error messages, e.g. "the UMAP layout".
        fresh : bool, default=False
            Run in a process of its own that no other job uses (untrusted models).

        Raises
        ------
        LoadError
            The worker crashed, ran out of memory or time, or returned too much.
        CancelledError
            ``should_stop`` returned True.
        """
        limits = limits or WorkerLimits()
        # a fresh job's process runs untrusted code: it gets files no later job uses
        kept = None if fresh else self._files
        (args, kwargs), files = share_arrays((args, kwargs), shm_dir(), files=kept)
        fut = None
        try:
            for attempt in range(2):
                slot = self._acquire(fresh, progress, should_stop)
                slot.control.reset()
                seq = slot.control.seq  # before the job starts: its first report may come at once
                try:
                    fut = slot.executor.submit(call_job, fn, args, kwargs, limits.memory_bytes,
                                               limits.max_result_bytes, fresh)
                    break
                except (BrokenProcessPool, RuntimeError):  # its process died while idle: take another one
                    self._release(slot, broken=True)
                    if attempt:
                        raise LoadError(f"could not start a worker process for {what}") from None
            try:
                return self._watch(slot, fut, seq, progress, should_stop, limits, what)
            finally:
                if fut.done():
                    self._release(slot, broken=slot.dead or _crashed(fut))
                else:  # the caller left early (its progress callback raised): stop the job in the background
                    threading.Thread(target=self._abandon, args=(slot, fut), daemon=True).start()
        finally:
            if kept is not None and (fut is None or fut.done()):
                kept.give_back(files)
            else:  # an abandoned job's worker may still read them: they go (its mapping keeps the data)
                remove_files(files)

    def _abandon(self, slot: WorkerSlot, fut) -> None:
        slot.control.request_stop()
        cf.wait([fut], timeout=STOP_GRACE_S)
        if not fut.done():
            slot.kill()
        self._release(slot, broken=slot.dead or _crashed(fut))

    def _watch(self, slot: WorkerSlot, fut, seq: int, progress, should_stop, limits: WorkerLimits, what: str):
        """Poll a running job until it ends; return its result or raise."""
        submitted, started = time.monotonic(), None
        killed, stop_at = None, None
        if progress is not None and not slot.warm:
            progress(0, 1, "starting a worker process")
        while True:
            cf.wait([fut], timeout=POLL_S)
            now = time.monotonic()
            if started is None and slot.warm:
                started = now  # the time limit counts from the job's start, not the worker's
            report = slot.control.read()
            if report is not None and report[0] != seq:
                seq = report[0]
                if progress is not None and report[2] > 0:
                    progress(*report[1:])
            if fut.done():
                break
            if stop_at is None and should_stop is not None and should_stop():
                slot.control.request_stop()
                stop_at = now
            if killed is None and stop_at is not None and now - stop_at > STOP_GRACE_S:
                killed = "cancel"
                slot.kill()
            if killed is None and now - (started if started is not None else submitted + START_S) > limits.timeout_s:
                killed = "timeout"
                slot.kill()
        try:
            return fut.result()
        except (ShutdownExecutorError, BrokenProcessPool) as exc:
            if killed == "cancel":
                raise CancelledError(f"stopped {what} (killed after {STOP_GRACE_S:g} s without stopping)") from None
            if killed == "timeout":
                raise LoadError(f"{what} took longer than the {limits.timeout_s:g} s limit and was stopped "
                                f"({limits.timeout_setting})") from None
            raise LoadError(
                f"{what} crashed{_exit_reason(exc)} or ran out of memory (limit "
                f"{limits.memory_bytes / (1 << 30):.1f} GiB, STITCHBOARD_WORKER_MEMORY_MB); the server is unaffected. "
                "Try fewer rows or a smaller batch size, or raise the limit"
            ) from None

    # ---------------------------------------------------------------- end
    def shutdown(self) -> None:
        """Stop every worker (running jobs are killed)."""
        with self._cond:
            self._closed = True
            slots = self._slots + ([self._spare] if self._spare is not None else [])
            self._slots, self._spare = [], None
        for s in slots:
            s.kill()  # an idle worker may still be warming up: do not wait for it
        self._files.close()


def _crashed(fut) -> bool:
    return fut.done() and isinstance(fut.exception(), (ShutdownExecutorError, BrokenProcessPool))


def _exit_reason(exc) -> str:
    m = re.search(r"exit codes of the workers are \{([^}]*)\}", str(exc))
    return f" (its process ended with {m.group(1)})" if m else ""


_SHARED: list[WorkerPool] = []
_SHARED_LOCK = threading.Lock()


def shared_pool() -> WorkerPool:
    """The process-wide pool, created on first use and shut down at exit.

    Creating it first removes the files of servers that were killed
    (:func:`core.runtime.file_owner.sweep_dead_owners`).
    """
    with _SHARED_LOCK:
        if not _SHARED:
            sweep_dead_owners(shm_dir())  # files of servers killed before they could remove them
            _SHARED.append(WorkerPool())
            atexit.register(shutdown)
        return _SHARED[0]


def warm_up(*warmers) -> WorkerPool:
    """Add ``warmers`` to the shared pool and start its warm slots in the background; returns the pool."""
    pool = shared_pool()
    pool.add_warmers(*warmers)
    pool.warm_up()
    return pool


def shutdown() -> None:
    """Shut the shared pool down (at exit)."""
    with _SHARED_LOCK:
        pools = list(_SHARED)
        _SHARED.clear()
    for p in pools:
        p.shutdown()
