"""Progress reports and cooperative cancellation of long computations.

Long core functions take two optional callbacks:

- ``progress(done, total, what)``: called when a stage starts (``done`` = stages
  finished so far, an int), within a stage as it advances (``done`` then has a
  fractional part, e.g. 1.4 of 3 stages), and once at the end with ``done == total``
  and ``what == "done"``. ``done`` never decreases.
- ``should_stop()``: polled at every stage start and every tick within a stage
  (each UMAP epoch, t-SNE iteration or sweep step); when it returns True the
  computation raises :class:`core.errors.CancelledError` and returns nothing.

Both are plain callables, so a user interface can draw a progress bar and offer a
Cancel button without ``core`` knowing about it.
"""

from __future__ import annotations

from typing import Callable

from ..errors import CancelledError

__all__ = ["Steps", "ProgressFn", "StopFn"]

ProgressFn = Callable[[float, float, str], None]
StopFn = Callable[[], bool]


class Steps:
    """Reports ``progress`` and polls ``should_stop`` for a computation made of stages.

    Parameters
    ----------
    progress : callable(done, total, what), optional
    total : int
        Number of stages.
    should_stop : callable() -> bool, optional
    report_every : float, default=0.01
        Within a stage, ``progress`` is called again once the stage has advanced by this
        fraction (so at most ~100 reports per stage); ``should_stop`` is polled at every tick.
    """

    def __init__(self, progress: ProgressFn | None = None, total: int = 1, *, should_stop: StopFn | None = None,
                 report_every: float = 0.01):
        self.progress, self.total, self.should_stop = progress, total, should_stop
        self.report_every = report_every
        self.done = 0  # stages started
        self.what = ""
        self._unit, self._count, self._last = "step", None, 0.0

    @property
    def active(self) -> bool:
        """Whether anyone listens: without callbacks the per-iteration hooks are skipped."""
        return self.progress is not None or self.should_stop is not None

    def check(self) -> None:
        """Raise :class:`CancelledError` if ``should_stop()`` returns True."""
        if self.should_stop is not None and self.should_stop():
            where = f" during {self.what}" if self.what else ""
            raise CancelledError(f"stopped{where}: should_stop() returned True")

    def __call__(self, what: str, *, unit: str = "step", count: int | None = None) -> None:
        """Start the next stage: check for a stop, then report it.

        ``unit`` and ``count`` name the ticks of this stage for the reports of
        :meth:`tick` ("epoch", 200); ``count`` overrides the ``n`` passed to ``tick``.
        """
        self.what, self._unit, self._count, self._last = what, unit, count, 0.0
        self.check()
        if self.progress is not None:
            self.progress(self.done, self.total, what)
        self.done += 1

    def tick(self, i: int, n: int) -> None:
        """Tick ``i`` of ``n`` within the current stage: check for a stop, report now and then."""
        self.check()
        n = self._count or n
        if self.progress is None or not n or self.done == 0:
            return
        frac = min(max(i / n, 0.0), 1.0)
        if frac - self._last >= self.report_every:
            self._last = frac
            self.progress(self.done - 1 + frac, self.total, f"{self.what} · {self._unit} {i:,}/{n:,}")

    def finish(self) -> None:
        """Report the end (``done == total``); no stop check: the work is done."""
        if self.progress is not None:
            self.progress(self.total, self.total, "done")
