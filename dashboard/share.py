"""Share and export: the session as JSON, the key choices in the URL, download buttons.

Validation lives in :mod:`core.io.session` and :mod:`core.io.session_query`; this
module only moves values between ``st.session_state``, ``st.query_params`` and files.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from core.methods.anchor_history import AnchorHistory
from core.io.export import csv_bytes
from core.errors import StitchboardError
from core.io.session import SESSION_VERSION, from_json, to_json
from core.io.session_query import from_query, to_query
from dashboard import anchor_state, controls, figures, loaders, state, text

URL_DONE = "_url_restored"
URL_ERROR = "url_error"
SESSION_ERROR = "session_error"
SESSION_OK = "session_ok"
#: Query parameters a page keeps for itself (the presenter's step): not part of the session a link restores.
PAGE_PARAMS = ("step",)
#: Session fields that are plain widget keys of the same name.
_WIDGET_FIELDS = ("enc_a", "enc_b", "strategy", "n_anchors", "seed", "method", "frame", "n_neighbors",
                  "min_dist", "perplexity", "color_by", "pick_mode")


def current_session() -> dict:
    """The user's key choices, as saved in a session file."""
    ss = st.session_state
    out = {"version": SESSION_VERSION, "dataset": ss.get(state.SOURCE_KEY)}
    for k in _WIDGET_FIELDS:
        if k in ss:
            out[k] = ss[k]
    if anchor_state.HISTORY in ss:
        out["anchors"] = list(anchor_state.ids())
        out["highlight"] = list(anchor_state.highlight())
    return {k: v for k, v in out.items() if v is not None}


def session_json() -> str:
    """The session file's text (validated; unchecked JSON when the state itself is off)."""
    try:
        return to_json(current_session(), indent=2)
    except StitchboardError:
        return json.dumps(current_session(), indent=2, default=str)


def current_query() -> dict:
    """The key choices as URL query values; empty when they do not validate (never breaks a page)."""
    try:
        return to_query(current_session())
    except StitchboardError:
        return {}


def apply_session(data: dict) -> None:
    """Apply an already validated session (call before the widgets are drawn, or from a callback)."""
    ss = st.session_state
    state.set_source(data["dataset"])
    for k in _WIDGET_FIELDS:
        if k in data:
            ss[k] = data[k]
    if "n_anchors" in data:  # another count than the dataset's starting one was chosen: it stays on every dataset
        start_n = anchor_state.default_n(loaders.collection(data["dataset"]))
        ss[controls.N_AUTO] = start_n if data["n_anchors"] == start_n else None
    if "anchors" in data:
        old = ss.get(anchor_state.HISTORY) if ss.get(anchor_state.OWNER) == data["dataset"] else None
        hist = old.replace(data["anchors"]) if isinstance(old, AnchorHistory) else AnchorHistory(data["anchors"])
        ss[anchor_state.HISTORY] = hist
        ss[anchor_state.OWNER] = data["dataset"]
        ss[anchor_state.MESSAGE] = f"{len(data['anchors'])} anchors restored."
        ss[anchor_state.HIGHLIGHT] = tuple(data.get("highlight", ()))
        anchor_state.bump()


def _context() -> dict:
    """What a session is checked against: this session's sources and their collections."""
    return dict(datasets=state.sources(), collection_of=loaders.collection, color_choices=controls.color_choices)


def clear_session_message() -> None:
    """Forget the last Load's error or success (a new session file was chosen)."""
    st.session_state[SESSION_ERROR] = ""
    st.session_state[SESSION_OK] = ""


def load_session_text(text: str | bytes) -> bool:
    """Validate and apply a session file; on any problem keep the current state and record the error."""
    clear_session_message()
    try:
        clean = from_json(text, **_context())
    except StitchboardError as exc:
        st.session_state[SESSION_ERROR] = f"{exc}. Nothing was changed."
        return False
    apply_session(clean)
    st.session_state[SESSION_OK] = f"Session loaded: {clean['dataset']}, {len(clean.get('anchors', []))} anchors."
    return True


def restore_from_url() -> None:
    """Once per browser session, apply the key choices found in the URL (if valid)."""
    if st.session_state.get(URL_DONE):
        return
    st.session_state[URL_DONE] = True
    params = {k: st.query_params.get_all(k) for k in st.query_params if k not in PAGE_PARAMS}
    if not params:
        return
    params.setdefault("dataset", [st.session_state.get(state.SOURCE_KEY) or state.sources()[0]])
    try:
        clean = from_query(params, **_context())
    except StitchboardError as exc:
        st.session_state[URL_ERROR] = f"The link's settings were not applied: {exc}"
        return
    apply_session(clean)


def sync_url() -> None:
    """Write the key choices to the URL query string, so the link reproduces the view."""
    want = current_query()
    if want and st.query_params.to_dict() != want:
        st.query_params.from_dict(want)


def _dismiss_url_error() -> None:
    st.session_state[URL_ERROR] = ""


def show_url_error() -> None:
    """The reasons a link's settings were not applied, on every page until dismissed."""
    msg = st.session_state.get(URL_ERROR)
    if msg:
        st.error(text.md(msg))
        st.button("Dismiss", key="url_error_dismiss", on_click=_dismiss_url_error, type="tertiary",
                  icon=":material/close:")


# ---------------------------------------------------------------- downloads

#: Session key of Explore's Downloads expander: True while open (its buttons are made only then).
EXPLORE_DOWNLOADS_OPEN = "explore_downloads_open"


def download(label: str, data, file_name: str, mime: str, *, key: str, help: str | None = None) -> None:
    """A download button; no rerun on click.

    ``data`` may be a callable, made only when clicked. It then runs outside the script
    run, without ``st.session_state``: capture every value it needs beforehand.
    """
    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key, on_click="ignore", help=help,
                       icon=":material/download:")


def table_download(df, name: str, *, key: str, label: str = "CSV") -> None:
    """Download a table as CSV."""
    keep_index = not isinstance(df.index, pd.RangeIndex)
    download(label, lambda: csv_bytes(df, index=keep_index), f"{name}.csv", "text/csv", key=key)


def figure_download(fig, name: str, *, key: str, label: str = "HTML") -> None:
    """Download a figure as a self-contained interactive HTML page (plotly.js inlined).

    ``fig`` is a plotly figure, or a callable that makes it (only when clicked)."""
    def page() -> bytes:
        f = fig() if callable(fig) else fig
        return f.to_html(include_plotlyjs=True, full_html=True, config=figures.PLOTLY_CONFIG).encode()

    download(label, page, f"{name}.html", "text/html", key=key)
