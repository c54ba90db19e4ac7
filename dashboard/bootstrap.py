"""What every run needs before a page draws anything: page frame, defaults, kept values, the URL.

``app.py`` calls :func:`prepare` on every run, and so does every page: on a freshly
started server Streamlit treats ``dashboard/pages/`` as an old-style pages folder until
some session has run ``st.navigation``, so the first visit of a deep link
(``/playground?...``) executes the page file alone, without ``app.py``, and the sidebar
lists raw file names. :func:`prepare` detects that and reruns through ``app.py``.
Every step is idempotent.
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from dashboard import controls, share

_switched = False


def _leave_pages_folder_mode() -> None:
    """Once per process: switch Streamlit from the pages-folder mode to ``st.navigation``.

    Clears Streamlit's ``PagesManager.uses_pages_directory`` flag (the one ``st.navigation``
    clears itself) and reruns, so this deep link goes through ``app.py``. Once per
    process only, because Streamlit's AppTest resets the flag before every run, and a
    rerun there would drop the button click being tested. Without that attribute
    nothing happens. The clean fix is a page folder not named ``pages/``.
    """
    global _switched
    if _switched:
        return
    _switched = True
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a future Streamlit without it
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


@functools.cache
def _chart_chunk() -> str | None:
    """File name of Streamlit's lazily loaded plotly chunk (``PlotlyChart.<hash>.js``), if this version has one."""
    found = sorted((Path(st.__file__).parent / "static" / "static" / "js").glob("PlotlyChart.*.js"))
    return found[0].name if len(found) == 1 else None


def preload_charts() -> None:
    """Have the browser fetch plotly.js now, before the first chart arrives.

    Streamlit loads its plotly chunk (4.7 MB) only when a page sends its first chart,
    which on Explore comes after the controls and the readout. On a first start the
    first UMAP then compiles (numba), holding the interpreter for long stretches, and a
    fetch that starts late waits for it. This adds ``<link rel="modulepreload">`` for the
    chunk from the first element of the run: the browser downloads and compiles it but
    does not run it, and Streamlit's own import then finds it ready. (Importing it
    outright, i.e. also evaluating plotly.js early, made the interactive maps later:
    the browser's main thread is the bottleneck.) A constant script (no user data in
    it); nothing happens when the chunk is not found. Sent on every run, unchanged, so
    the browser keeps the element (and runs the script once) and the elements after it
    keep their places: an element that comes and goes would shift them, and Streamlit
    would remount the file uploader below and drop the files it holds.
    """
    chunk = _chart_chunk()
    if chunk is not None:
        st.html("<script>(() => { if (document.getElementById('sb-preload')) return;"
                " const l = document.createElement('link'); l.id = 'sb-preload'; l.rel = 'modulepreload';"
                f" l.href = './static/js/{chunk}'; document.head.appendChild(l); }})();</script>",
                unsafe_allow_javascript=True)


def prepare(*, entry: bool = False) -> None:
    """Run by ``app.py`` (``entry=True``: its ``st.navigation`` leaves the pages-folder mode itself) and by pages."""
    if not entry:
        _leave_pages_folder_mode()
    st.set_page_config(page_title="Stitchboard", page_icon="🧵", layout="wide")
    controls.init_defaults()
    controls.keep_widget_values()
    share.restore_from_url()
    if entry:
        preload_charts()
