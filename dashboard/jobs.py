"""Long computations on a page: a progress line with a Cancel button, and cancels that stick.

Streamlit stops a script at its next element update when a widget *outside* a fragment
changes, but a click on a widget *inside* a fragment (the Explore workbench, where the
maps are) waits until the run in progress ends, and a long call into umap or
scikit-learn sends no element updates at all. So long ``core`` calls get two callbacks:

- ``progress`` (a :class:`ProgressLine`): draws the bar; each update is also a point
  where Streamlit can stop the run;
- ``should_stop`` (:func:`should_stop`): True as soon as the user has done anything on
  the page (another setting, a map click, Cancel); ``core`` then raises
  :class:`core.errors.CancelledError` within one UMAP epoch / t-SNE iteration.

A click on *Cancel* also records the job's keys (:func:`cancel`), so the next run shows
the preview with a *Recompute* button (:func:`resume`) instead of starting the same job
again. Another setting is another key: it starts at once.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Hashable, Iterable

import streamlit as st

from core.errors import CancelledError
from dashboard import text

__all__ = ["should_stop", "rerun_requested", "cancel", "resume", "is_cancelled", "ProgressLine", "run_in_slot",
           "start_or_explain"]

#: Session key of the set of cancelled job keys.
CANCELLED = "_cancelled_jobs"


def rerun_requested() -> bool:
    """Whether a newer run of this session is waiting (the user acted), or the session ended.

    Reads the state of the session's script-request queue (a private attribute of
    Streamlit's ``ScriptRequests``, present since 1.12); without it, False, and only the
    progress updates can stop a run.
    """
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    except ImportError:  # pragma: no cover - a future Streamlit
        return False
    ctx = get_script_run_ctx(suppress_warning=True)
    state = getattr(getattr(ctx, "script_requests", None), "_state", None)
    return getattr(state, "name", "CONTINUE") in ("RERUN", "STOP")


def should_stop() -> bool:
    """The ``should_stop`` callback for ``core``: see :func:`rerun_requested`."""
    return rerun_requested()


def _cancelled() -> set:
    return st.session_state.setdefault(CANCELLED, set())


def cancel(*keys: Hashable) -> None:
    """Button callback: remember that the user cancelled these jobs."""
    _cancelled().update(keys)


def resume(*keys: Hashable) -> None:
    """Button callback: forget the cancels of these jobs, so they run again."""
    _cancelled().difference_update(keys)


def is_cancelled(key: Hashable) -> bool:
    return key in st.session_state.get(CANCELLED, ())


class ProgressLine:
    """A progress bar and a Cancel button drawn in ``slot``; call it as ``progress(done, total, what)``.

    Parameters
    ----------
    slot : an ``st.empty()`` (or container) to draw into
    label : str
        What runs, e.g. "Computing the t-SNE layout of the absolute row (1/2)"; may be
        changed later through :attr:`label`.
    cancel_keys : iterable of hashable
        The jobs the Cancel button cancels (see :func:`cancel`).
    key : str
        Widget key of the Cancel button.
    every : float, default=0.2
        Least time in seconds between two bar updates (each is a message to the browser).
    """

    def __init__(self, slot, *, label: str, cancel_keys: Iterable[Hashable], key: str, every: float = 0.2):
        self.label, self.every = label, every
        # a row where the bar takes what the button leaves: a column of fixed share cut "Cancel" to "Ca…"
        box = slot.container(border=True, horizontal=True, vertical_alignment="center")
        self.bar = box.progress(0.0, text=label)
        box.button("Cancel", key=key, on_click=cancel, args=tuple(cancel_keys), icon=":material/stop_circle:",
                   width="content", help="Stop this computation and keep the preview. Changing any setting "
                                         "or anchor also stops it and starts over with the new choice.")
        self._last = 0.0

    def __call__(self, done: float, total: float, what: str) -> None:
        now = time.monotonic()
        if now - self._last < self.every and done < total:
            return
        self._last = now
        frac = min(max(done / total, 0.0), 1.0) if total else 0.0
        self.bar.progress(frac, text=f"{self.label}: {what}" if what and what != "done" else self.label)


def run_in_slot(slot, compute: Callable[..., Any], *, label: str, job: Hashable, key: str, what: str) -> Any:
    """Run ``compute(progress=..., should_stop=...)`` under a :class:`ProgressLine` in ``slot``.

    Returns its result, or None after a cancel or a ``ValueError``, which are then told in
    ``slot`` ("The {what} stopped." / "The {what} failed: ...").
    """
    line = ProgressLine(slot, label=label, cancel_keys=[job], key=key)
    try:
        return compute(progress=line, should_stop=should_stop)
    except CancelledError:
        slot.caption(f"The {what} stopped; nothing was kept.")
    except ValueError as exc:
        slot.error(text.md(f"The {what} failed: {exc}"))
    return None


def start_or_explain(job: Hashable, *, start: bool, show: Callable[[], None], cancelled: str, idle: str) -> None:
    """Run ``show`` when ``start`` (forgetting an earlier cancel), else say why nothing runs.

    ``cancelled`` is shown when the job's last run was cancelled, ``idle`` when it was never started.
    """
    if start:
        resume(job)
        show()
    elif is_cancelled(job):
        st.info(cancelled, icon=":material/pause_circle:")
    else:
        st.caption(idle)
