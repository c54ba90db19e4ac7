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

st.set_page_config(page_title="Stitchboard", page_icon="🧵", layout="wide")

_PAGES = Path(__file__).resolve().parent / "pages"
explore = st.Page(str(_PAGES / "explore.py"), title="Explore & stitch", icon="🗺️", default=True)
st.session_state["_explore_page"] = explore
nav = st.navigation([
    explore,
    st.Page(str(_PAGES / "data.py"), title="Data & encoders", icon="📦", url_path="data"),
])
nav.run()
