"""The process behind ``stitchboard dashboard``: warm up, then Streamlit's server.

``streamlit run`` imports nothing of ours until the first browser session runs
``app.py``; that session then pays for importing the library (scikit-learn, pandas,
plotly) and loading the default zoo before anything is drawn. Here that work is done
once, before the server starts listening (so before the browser opens):

1. import the modules the pages use;
2. load the bundled default dataset's zoo through the dashboard's own cached loaders
   (``st.cache_resource``, shared by every session of this process), reading the encoded
   vectors from the disk cache when an earlier process left them there;
3. fit the absolute heads the stitching readout needs.

It runs in the main thread on purpose: importing the same packages from two threads at
once can end in Python's import-lock ``_DeadlockError``. Nothing here changes what is
computed, only when. Then, as the server starts, the worker pool that computes the UMAP
and t-SNE maps starts its warm workers in the background
(:func:`core.maps.layout_jobs.warm_up`: each loads umap's compiled code from numba's disk
cache in ``NUMBA_CACHE_DIR``, or compiles it the first time), so the server answers as
early as before and the first maps need no compilation.

    python -m dashboard.server [STREAMLIT RUN ARGS...]
"""

from __future__ import annotations

import logging
import sys
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
    from core.runtime.disk_cache import use_numba_cache_dir

    use_numba_cache_dir()  # before numba is imported, here or in the workers (they inherit it)
    print("Stitchboard: loading the library and the bundled zoo...", file=sys.stderr, flush=True)
    try:
        seconds = warm_up()
    except Exception as exc:  # noqa: BLE001 - a failed warm-up only costs the first visit its head start
        print(f"Stitchboard: warm-up failed ({type(exc).__name__}: {exc}); the first page load will do it.",
              file=sys.stderr, flush=True)
    else:
        print(f"Stitchboard: ready in {seconds:.1f} s; starting the server.", file=sys.stderr, flush=True)
    from core.maps import layout_jobs

    # returns at once: the workers start and warm up in their own processes while the server starts
    # (started before the warm-up above, they would compete with it and delay the server's first answer)
    layout_jobs.warm_up()
    from streamlit.web import cli as stcli

    sys.argv = ["streamlit", "run", str(APP), *argv]
    return stcli.main()


if __name__ == "__main__":
    sys.exit(main())
