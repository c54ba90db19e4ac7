"""Per-epoch progress and cancellation of UMAP and t-SNE through the libraries' public output options.

Neither umap-learn nor scikit-learn's t-SNE takes a callback, but both report their
optimisation as text, and that text can go to an object of ours:

- umap-learn draws its epoch loop with ``tqdm(range(n_epochs), **tqdm_kwds)``, and
  ``UMAP(tqdm_kwds=...)`` passes our options: :func:`umap_epochs` gives a ``file`` that
  receives ``"n/total"`` once per epoch and calls ``steps.tick`` (which may raise
  :class:`~core.errors.CancelledError`).
- ``TSNE(verbose=2)`` prints ``[t-SNE] Iteration 50: ...`` every 50 iterations.
  :func:`tsne_iterations` sends standard output to a parser, but only in a pool worker
  (:func:`core.runtime.workers.in_worker`): ``sys.stdout`` belongs to the whole process,
  and a server runs other sessions' threads. In-process t-SNE reports its stages only.
"""

from __future__ import annotations

import contextlib
import io
import re
from typing import Iterator

from ..runtime.progress import Steps
from ..runtime.workers import in_worker

__all__ = ["umap_epochs", "tsne_iterations"]


class _EpochSink:
    """A file for tqdm: ``"\\r12/200"`` -> ``steps.tick(12, 200)``, once per epoch."""

    _re = re.compile(r"(\d+)/(\d+)\s*$")

    def __init__(self, steps: Steps):
        self.steps, self.last, self.raised = steps, -1, False

    def write(self, s: str) -> int:
        m = self._re.search(s)
        if m and int(m[1]) != self.last:
            self.last = int(m[1])
            try:
                self.steps.tick(self.last, int(m[2]))
            except BaseException:
                self.raised = True
                raise
        return len(s)

    def flush(self) -> None:
        pass


@contextlib.contextmanager
def umap_epochs(steps: Steps) -> Iterator[dict | None]:
    """``tqdm_kwds`` for one UMAP fit or placement that tick ``steps`` once per epoch (None when nobody listens).

    Use a new one for every fit: umap-learn adds its own keys to the dict it is given.
    """
    if not steps.active:
        yield None
        return
    import tqdm

    tqdm.tqdm.monitor_interval = 0  # no monitor thread: our bar prints every epoch anyway (documented switch)
    sink = _EpochSink(steps)
    try:
        yield {"disable": False, "file": sink, "bar_format": "{n}/{total}", "mininterval": 0, "miniters": 1,
               "leave": False}  # leave=True would print the last epoch again from close()
    except BaseException:
        if sink.raised:
            _release_tqdm_lock()
        raise


def _release_tqdm_lock() -> None:
    """tqdm's ``refresh`` takes its class-wide lock around the write and does not release it when
    the write raises: release it here, or every other thread's progress bar would block."""
    import tqdm

    try:
        tqdm.tqdm.get_lock().release()
    except (RuntimeError, AssertionError, ValueError):  # not held: a tqdm that releases it itself
        pass


class _TsneSink(io.TextIOBase):
    """Standard output during a ``TSNE(verbose=2)`` fit: each iteration line ticks ``steps``."""

    _re = re.compile(r"\[t-SNE\] Iteration (\d+):")

    def __init__(self, steps: Steps, max_iter: int):
        self.steps, self.max_iter, self.buf = steps, max_iter, ""

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.buf += s
        *lines, self.buf = self.buf.split("\n")
        for line in lines:
            m = self._re.match(line)
            if m:
                self.steps.tick(int(m[1]), self.max_iter)
            else:
                self.steps.check()  # the neighbour and perplexity stages print too: a chance to stop
        return len(s)


@contextlib.contextmanager
def tsne_iterations(steps: Steps, max_iter: int) -> Iterator[int]:
    """The ``verbose`` level for a t-SNE fit run inside the block; in a worker, its iterations tick ``steps``."""
    from threadpoolctl import threadpool_limits

    # one OpenMP thread: n_jobs does not reach the Barnes-Hut gradient, and more threads only contend on small machines
    with threadpool_limits(1, user_api="openmp"):
        if not (steps.active and in_worker()):
            yield 0
            return
        with contextlib.redirect_stdout(_TsneSink(steps, max_iter)):
            yield 2
