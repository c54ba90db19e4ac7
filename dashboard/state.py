"""Session-state helpers shared by pages: which collection (source) the user is on.

UI only; the collections themselves come from :mod:`dashboard.loaders`.
"""

from __future__ import annotations

import streamlit as st

from core.datasets import DATASETS
from dashboard import loaders

#: Session key of the current source (a bundled dataset name or an upload key).
SOURCE_KEY = "dataset"
#: Session key of this session's uploaded sources, in upload order.
UPLOADS_KEY = "uploaded_sources"


def sources() -> list[str]:
    """Sources this session can pick: the bundled datasets, then its own uploads still loaded."""
    mine = [s for s in st.session_state.get(UPLOADS_KEY, []) if loaders.is_available(s)]
    return list(DATASETS) + mine


def add_upload(source: str) -> None:
    """Remember an uploaded source for this session and make it the current one."""
    mine = [s for s in st.session_state.get(UPLOADS_KEY, []) if s != source]
    st.session_state[UPLOADS_KEY] = mine + [source]
    st.session_state[SOURCE_KEY] = source


def source_selector(label: str = "Dataset") -> str:
    """A selectbox over :func:`sources` bound to the session's current source."""
    options = sources()
    if st.session_state.get(SOURCE_KEY) not in options:
        st.session_state[SOURCE_KEY] = options[0]
    return st.selectbox(label, options, key=SOURCE_KEY, format_func=loaders.source_label)
