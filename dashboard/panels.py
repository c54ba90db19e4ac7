"""Fault isolation: an error inside one panel of a page is shown in that panel only.

A *panel* is one self-contained part of a page (the readout, the maps, a drill-down,
a download block). Each is drawn by its own function, decorated with
:func:`isolated`, or inside ``with panel(name):``. If it raises, the panel's output is
replaced by an error naming the panel and the error, the traceback in a collapsed
expander (as far as ``client.showErrorDetails`` allows) and a *Retry* button; the
rest of the page still draws, and session state (the anchors) is untouched.

Streamlit's own control flow (``st.rerun``, ``st.stop`` and the stop of a run that a
newer interaction replaces) uses ``BaseException`` subclasses, which pass through.
Errors a panel already reports itself (``StitchboardError`` messages and the like)
keep their own messages; one that escapes is shown plainly, without a traceback.

Names of panels are fixed strings of the page; the error text can hold user input (file
names, typed ids), so it is shown inside a code span and never read as markdown/HTML.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import traceback
from typing import Callable, Iterator

import streamlit as st

from core.errors import StitchboardError
from dashboard import places

try:  # a nested fragment's own error report: already shown, must reach Streamlit
    from streamlit.errors import FragmentHandledException as _Handled
except ImportError:  # pragma: no cover - older Streamlit
    class _Handled(Exception):
        pass

__all__ = ["panel", "isolated", "HINT"]

HINT = "The rest of the page and your anchors are unaffected; change a setting or press Retry."
_LOG = logging.getLogger("stitchboard.dashboard")
_MAX_CHARS = 600


@contextlib.contextmanager
def panel(name: str) -> Iterator[None]:
    """Draw the block as panel ``name``; if it raises, show the error in its place.

    Parameters
    ----------
    name : str
        What the user calls this part of the page ("Maps", "Drill-down"); unique per page
        (it keys the Retry button).

    Notes
    -----
    A ``with`` block cannot resume after the line that failed: code after the block runs,
    but names assigned inside it may be unset. Prefer :func:`isolated` on a function
    that returns what the page needs next.
    """
    # The container goes out first, not an st.empty() filled with one: an empty at the place of the last run's
    # container, if the browser draws it before the container follows, unmounts every chart in the panel.
    box = st.container()
    try:
        with box:
            yield
    except _Handled:
        raise
    except Exception as exc:  # noqa: BLE001 - the point: one panel's failure stays in that panel
        _LOG.error("panel %r failed", name, exc_info=exc)
        with places.in_place_of(box).container():
            show_error(name, exc)


def isolated(name: str, *, default=None) -> Callable:
    """Decorator: the function draws panel ``name``; on an error it returns ``default``."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with panel(name):
                return fn(*args, **kwargs)
            return default

        return wrapper

    return decorate


def show_error(name: str, exc: BaseException) -> None:
    """The error box of a failed panel: what failed, why, what to do, details, Retry."""
    details = str(st.get_option("client.showErrorDetails")).lower()
    expected = isinstance(exc, StitchboardError)
    if details in ("none", "false"):
        why = "an unexpected error (details are in the server log)"
    elif details == "type" and not expected:
        why = code_span(type(exc).__name__)
    elif expected:
        why = code_span(str(exc))
    else:
        why = code_span(f"{type(exc).__name__}: {exc}")
    st.error(f"**{name}** could not be shown: {why}\n\n{HINT}", icon=":material/error:")
    c = st.columns([1, 6], vertical_alignment="top")
    c[0].button("Retry", key=f"panel_retry_{_slug(name)}", icon=":material/refresh:",
                help="Run this part of the page again.")
    if not expected and details in ("full", "stacktrace", "true"):
        with c[1].expander("Details (traceback)"):
            st.code(_traceback(exc), language=None, wrap_lines=True)


def code_span(text: str) -> str:
    """``text`` as a markdown inline code span: shown literally, never interpreted.

    Whitespace runs (newlines included, which would end a span) become one space; long
    text is cut at 600 characters; the fence is longer than any backtick run inside.
    """
    text = " ".join(str(text).split())
    if len(text) > _MAX_CHARS:
        text = text[:_MAX_CHARS] + " …"
    if not text:
        return "(no message)"
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` without the frames of this module (the panel's own wrapper)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    lines = "".join(traceback.format_list(frames)).splitlines(keepends=True)
    lines = [ln for ln in lines if ln.strip(" ^~\n")]  # drop the column markers: they wrap badly
    return "".join(["Traceback (most recent call last):\n", *lines, *traceback.format_exception_only(type(exc), exc)])


def _slug(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "panel"
