"""UMAP's one-off numba compilation, in a background thread of the server, after the first maps.

A server process that reads its maps from the disk cache never runs UMAP until the user's
first anchor edit, which then also compiles it: 28-33 s for that edit at 100k points on
this 2-CPU machine instead of 13-14 s. ``stitchboard dashboard`` therefore calls
:func:`start` once; its thread waits until a session's maps are final
(:func:`maps_drawn`, called by Explore), so that the compilation, which holds the
interpreter for long stretches, competes neither with the first paint nor with a layout
being computed, and ``delay_s`` more seconds. It then runs
:func:`core.layout.compile_umap` (26 s here), unless a session's layout has compiled
UMAP already: compiling the other layout path then (exact distances up to 4,096 rows, a
kNN graph above) took 11 s of CPU during the next anchor edit at 100k points, which
took 18.7 s instead of 12-13 s. A UMAP a session starts meanwhile waits for that
compilation instead of repeating it.

No streamlit here; the thread touches no session.
"""

from __future__ import annotations

import sys
import threading
import time

__all__ = ["maps_drawn", "start"]

_first_maps = threading.Event()
_started = threading.Lock()
_thread: threading.Thread | None = None


def maps_drawn() -> None:
    """Tell the warm-up thread that a session's maps are final (none is being computed)."""
    _first_maps.set()


def _compiled_already() -> bool:
    """Whether a UMAP has run in this process (its epoch function has compiled code)."""
    try:
        from umap.layouts import _nb_optimize_layout_euclidean_single_epoch as epoch
    except ImportError:  # another umap-learn layout of its internals: compile to be sure
        return False
    return bool(getattr(epoch, "signatures", None))


def start(*, wait_s: float | None = None, delay_s: float = 10.0, compile_fn=None) -> threading.Thread | None:
    """Start the warm-up thread once per process; a later call returns None.

    Parameters
    ----------
    wait_s : float, optional
        Longest wait for :func:`maps_drawn` before compiling anyway; by default it waits
        for as long as it takes (nobody opening Explore needs no compiled UMAP).
    delay_s : float, default=10.0
        Then waits this long, while the browser fetches plotly.js (4.7 MB) and the charts
        from a web server that a compiling thread would slow down.
    compile_fn : callable() -> float, optional
        What to run; :func:`core.layout.compile_umap` by default.

    Returns
    -------
    threading.Thread or None
        The daemon thread, or None when it was started before.
    """
    global _thread
    if not _started.acquire(blocking=False):
        return None

    def run() -> None:
        _first_maps.wait(wait_s)
        time.sleep(delay_s)
        fn = compile_fn
        if fn is None:
            if _compiled_already():
                return  # a session's layout compiled it; the other path compiles when first used
            from core.layout import compile_umap as fn
        try:
            seconds = fn()
        except Exception as exc:  # noqa: BLE001 - only a head start is lost: the first UMAP compiles instead
            print(f"Stitchboard: compiling UMAP in the background failed ({type(exc).__name__}: {exc}); "
                  "the first UMAP will compile it.", file=sys.stderr, flush=True)
        else:
            print(f"Stitchboard: UMAP compiled in the background in {seconds:.1f} s.", file=sys.stderr, flush=True)

    _thread = threading.Thread(target=run, name="stitchboard-umap-warm-up", daemon=True)
    _thread.start()
    return _thread
