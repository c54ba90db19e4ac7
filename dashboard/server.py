"""The process behind ``stitchboard dashboard``: warm up, then Streamlit's server.

``streamlit run`` imports nothing of ours until the first browser session runs
``app.py``; that session then pays for importing the library (scikit-learn, pandas,
plotly) and loading the default zoo before anything is drawn. Here that work is done
once, before the server starts listening (so before the browser opens):

1. import the modules the pages use;
2. load the bundled default dataset's zoo through the dashboard's own cached loaders
   (``st.cache_resource``, shared by every session of this process), reading the encoded
   vectors from the disk cache when an earlier process left them there;
3. fit the absolute heads the stitching readout needs;
4. once the server starts, compute in the worker pool the UMAP maps a first visit to
   Explore shows (:func:`start_first_maps`), so the first session finds them done or under way.

It runs in the main thread on purpose: importing the same packages from two threads at
once can end in Python's import-lock ``_DeadlockError``. Nothing here changes what is
computed, only when. Beside it, in a process of its own, the first worker of the pool
that computes the UMAP and t-SNE maps starts and warms up
(:func:`core.maps.layout_jobs.warm_up`: it loads umap's compiled code from numba's disk
cache in ``NUMBA_CACHE_DIR``, or compiles it the first time). It computes the first
visit's maps (step 4); the pool's other warm workers start after them, so that their
start-up does not compete with those maps and with the first page for the CPUs.

    python -m dashboard.server [STREAMLIT RUN ARGS...]
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def warm_up(source: str | None = None) -> float:
    """Import the pages' modules and fill the caches for ``source``; returns the seconds it took.

    Parameters
    ----------
    source : str, optional
        A bundled dataset; by default the one a first visit opens (the first of ``DATASETS``).
    """
    t0 = time.perf_counter()
    root = str(APP.parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    import streamlit  # noqa: F401  (creates its loggers; the levels below must come after)

    # Before the server runs, Streamlit warns that there is no runtime / ScriptRunContext: expected here.
    for name in ("streamlit.runtime.scriptrunner_utils.script_run_context", "streamlit.runtime.caching.cache_data_api"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import plotly.graph_objects  # noqa: F401

    from core.spaces.datasets import DATASETS
    from dashboard import controls, figures, loaders, share  # noqa: F401

    source = source or DATASETS[0]
    loaders.collection(source)
    loaders.spaces(source, "train")
    loaders.spaces(source, "test")
    loaders.spaces(source, "all")
    loaders.absolute_heads(source)
    loaders.hover_text(source)
    return time.perf_counter() - t0


def first_view_keys(source: str) -> tuple[tuple, tuple]:
    """The layout keys (:func:`dashboard.results.layout_key`) of a first visit to Explore on ``source``:
    its absolute maps, then its relative maps (default encoders, anchors and layout settings)."""
    from dashboard import anchor_state, controls, loaders, results

    coll = loaders.collection(source)
    enc_a, enc_b = controls.default_pair(source, coll.names)
    d = controls.DEFAULTS
    settings = (d["method"], d["frame"], d["n_neighbors"], d["min_dist"], d["perplexity"])
    return (results.layout_key(source, enc_a, enc_b, None, *settings),
            results.layout_key(source, enc_a, enc_b, anchor_state.default_ids(source, coll), *settings))


def start_first_maps(source: str | None = None) -> threading.Thread | None:
    """Compute the maps of a first visit (:func:`first_view_keys`) in the pool, from a background thread.

    The first session's page asks for the same keys: it shows its previews and then waits
    for this computation instead of starting its own (:class:`dashboard.results.Results`
    runs one computation per key). None when layouts do not run in the pool: in this
    interpreter they would hold the GIL while the first page is drawn.
    """
    from core.maps import layout_jobs
    from core.spaces.datasets import DATASETS
    from dashboard import loaders, results

    if not layout_jobs.pool_enabled():
        return None
    keys = first_view_keys(source or DATASETS[0])
    # imports happen here, in the main thread: two threads importing at once can deadlock on the import lock
    results._layout_code_version()
    loaders.map_vectors(*keys[1][:2], keys[1][3])

    def run() -> None:
        try:
            for key in keys:
                results.layouts(*key)
        except Exception as exc:  # noqa: BLE001 - the first visit then computes them itself, and shows why if it fails
            print(f"Stitchboard: the first maps could not be computed in advance ({type(exc).__name__}: {exc}).",
                  file=sys.stderr, flush=True)
        finally:
            layout_jobs.warm_up()  # the pool's other warm workers

    thread = threading.Thread(target=run, name="stitchboard-first-maps", daemon=True)
    thread.start()
    return thread


#: Streamlit settings this server starts with (later arguments override them):
#:
#: - ``runner.postScriptGC false``: Streamlit runs a full ``gc.collect(2)`` after every
#:   script run; with umap-learn and numba loaded it holds the GIL long enough to delay
#:   the run's last messages (the new maps of an anchor edit). Python's own generational
#:   collector still runs.
#: - ``server.fileWatcherType none``: users do not edit the app's source; no watcher
#:   scanning the loaded modules after every run (developers: ``--server.fileWatcherType auto``).
DEFAULTS = ["--runner.postScriptGC", "false", "--server.fileWatcherType", "none"]


def main(argv: list[str] | None = None) -> int:
    """Warm up, then run ``streamlit run dashboard/app.py DEFAULTS ARGV`` in this process."""
    argv = DEFAULTS + list(sys.argv[1:] if argv is None else argv)
    root = str(APP.parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from core.runtime.blas_threads import let_blas_threads_sleep

    let_blas_threads_sleep()  # before numpy loads OpenBLAS: its idle threads took a CPU after every edit
    from core.runtime.disk_cache import use_numba_cache_dir
    from core.runtime.memory import keep_freed_memory

    keep_freed_memory()  # before the server's threads start: sessions' large arrays reuse freed memory
    use_numba_cache_dir()  # before numba is imported, here or in the workers (they inherit it)
    from core.maps import layout_jobs

    # One worker now, beside the warm-up below (a process of its own, on the other CPU): it computes the first
    # visit's maps (start_first_maps). The other warm workers start after those maps, not competing with them.
    layout_jobs.warm_up(slots=1)
    print("Stitchboard: loading the library and the bundled zoo...", file=sys.stderr, flush=True)
    try:
        seconds = warm_up()
    except Exception as exc:  # noqa: BLE001 - a failed warm-up only costs the first visit its head start
        print(f"Stitchboard: warm-up failed ({type(exc).__name__}: {exc}); the first page load will do it.",
              file=sys.stderr, flush=True)
    else:
        print(f"Stitchboard: ready in {seconds:.1f} s; starting the server.", file=sys.stderr, flush=True)
    first_maps = None
    try:
        first_maps = start_first_maps()
    except Exception as exc:  # noqa: BLE001 - as for the warm-up: only a head start is lost
        print(f"Stitchboard: the first maps were not started in advance ({type(exc).__name__}: {exc}).",
              file=sys.stderr, flush=True)
    if first_maps is None:
        layout_jobs.warm_up()
    from streamlit.web import cli as stcli

    sys.argv = ["streamlit", "run", str(APP), *argv]
    return stcli.main()


if __name__ == "__main__":
    sys.exit(main())
