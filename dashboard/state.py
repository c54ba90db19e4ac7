"""Session-state helpers shared by pages: which collection (source) the user is on.

UI only; the collections themselves come from :mod:`dashboard.loaders`.

The current source lives in a plain session key (:data:`SOURCE_KEY`), not in a widget
key: Streamlit forgets a widget's value on a run where that widget is not drawn, e.g.
after switching pages. Each page's selector is seeded from it and writes back to it.
"""

from __future__ import annotations

import streamlit as st

from core.spaces.datasets import DATASETS
from dashboard import loaders

#: Session key of the current source (a bundled dataset name or an upload key).
SOURCE_KEY = "source"
#: Widget key of the source selector.
WIDGET_KEY = "dataset"
#: Session key of this session's uploaded sources, in upload order.
UPLOADS_KEY = "uploaded_sources"


def sources() -> list[str]:
    """Sources this session can pick: the bundled datasets, then its own uploads still loaded."""
    mine = [s for s in st.session_state.get(UPLOADS_KEY, []) if loaders.is_available(s)]
    return list(DATASETS) + mine


def current_source() -> str:
    """The session's current source (the first bundled dataset by default)."""
    options = sources()
    if st.session_state.get(SOURCE_KEY) not in options:
        st.session_state[SOURCE_KEY] = options[0]
    return st.session_state[SOURCE_KEY]


def set_source(source: str) -> None:
    """Make ``source`` the current one (takes effect on the next selector drawn)."""
    st.session_state[SOURCE_KEY] = source


def add_upload(source: str) -> None:
    """Remember an uploaded source for this session and make it the current one."""
    mine = [s for s in st.session_state.get(UPLOADS_KEY, []) if s != source]
    st.session_state[UPLOADS_KEY] = mine + [source]
    set_source(source)


def _selector_changed() -> None:
    st.session_state[SOURCE_KEY] = st.session_state[WIDGET_KEY]


def source_selector(label: str = "Dataset") -> str:
    """A selectbox over :func:`sources`, seeded from and writing to the current source."""
    options = sources()
    st.session_state[WIDGET_KEY] = current_source()
    st.selectbox(label, options, key=WIDGET_KEY, format_func=loaders.source_label, on_change=_selector_changed)
    return st.session_state[SOURCE_KEY]
