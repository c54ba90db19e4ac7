"""What every run needs before a page draws anything: page frame, defaults, kept values, the URL.

``app.py`` calls :func:`prepare` on every run, and so does every page: on a freshly
started server Streamlit treats ``dashboard/pages/`` as an old-style pages folder until
some session has run ``st.navigation``, so the first visit of a deep link
(``/playground?...``) executes the page file alone, without ``app.py``, and the sidebar
lists raw file names. :func:`prepare` detects that and reruns through ``app.py``.
Every step is idempotent.
"""

from __future__ import annotations

import streamlit as st

from dashboard import controls, share, snapshot

_switched = False
#: Streamlit fades the elements of a running script to opacity 0.33 over one second, after half a second (and an
#: expander's border and title with them). Drawn in software (no GPU), every frame of a fade recomposites the page
#: and its WebGL maps, CPU the maps lack under load (benchmarks/README.md). Here they dim in one step after the same
#: half second, and not at all in a quick run.
STALE_CSS = (
    "<style>[data-testid='stElementContainer'][data-stale='true'], [data-testid='stExpander'] :is(details, summary) "
    "{transition-duration: 0s !important;}</style>"
)
#: Every page starts 3.5rem from the top instead of Streamlit's 6rem (less puts the title under Streamlit's header):
#: at 1280 x 800 the first chart of Compare, Stitching or the playground otherwise sits 40 px lower.
PAGE_TOP_CSS = "<style>[data-testid='stMainBlockContainer'] {padding-top: 3.5rem;}</style>"


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


def prepare(*, entry: bool = False) -> None:
    """Run by ``app.py`` (``entry=True``: its ``st.navigation`` leaves the pages-folder mode itself) and by pages."""
    if not entry:
        _leave_pages_folder_mode()
    st.set_page_config(page_title="Stitchboard", page_icon="🧵", layout="wide")
    controls.init_defaults()
    controls.keep_widget_values()
    share.restore_from_url()
    # Constant and style-only, so Streamlit puts it in its event container: no place on the page. Sent first thing
    # in every run (once, from app.py), because it is also the run's first st.html: the browser then loads the code
    # of Streamlit's html element before Explore's snapshot images arrive, which would otherwise stay grey
    # placeholders until the run ends (React Suspense).
    if entry:
        st.html(snapshot.HIDE_CSS + STALE_CSS + PAGE_TOP_CSS)
