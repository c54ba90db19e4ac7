"""Stitchboard dashboard entry point: sets the frame and the router. Pages are UI only.

Run with ``stitchboard dashboard`` (or ``streamlit run dashboard/app.py``).
"""

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts this folder, not the repository root, on sys.path.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from dashboard import bootstrap  # noqa: E402  (needs the path above)

bootstrap.prepare(entry=True)

_PAGES = Path(__file__).resolve().parent / "pages"
explore = st.Page(str(_PAGES / "explore.py"), title="Explore & stitch", icon=":material/scatter_plot:", default=True)
st.session_state["_explore_page"] = explore
nav = st.navigation([
    explore,
    st.Page(str(_PAGES / "presenter.py"), title="Presenter: the story in 4 steps", icon=":material/slideshow:", url_path="presenter"),
    st.Page(str(_PAGES / "stitching.py"), title="Stitching", icon=":material/cable:", url_path="stitching"),
    st.Page(str(_PAGES / "compare.py"), title="Compare spaces", icon=":material/compare_arrows:", url_path="compare"),
    st.Page(str(_PAGES / "playground.py"), title="Invariance playground", icon=":material/rotate_right:", url_path="playground"),
    st.Page(str(_PAGES / "sweep.py"), title="Anchor sweep", icon=":material/show_chart:", url_path="sweep"),
    st.Page(str(_PAGES / "reproduce.py"), title="Reproduce the paper", icon=":material/description:", url_path="reproduce"),
    st.Page(str(_PAGES / "export.py"), title="Share & export", icon=":material/share:", url_path="export"),
    st.Page(str(_PAGES / "data.py"), title="Data & encoders", icon=":material/database:", url_path="data"),
])
nav.run()
