"""The user's anchors and highlighted samples, kept in ``st.session_state`` for every page.

Anchors are an :class:`core.methods.anchor_history.AnchorHistory` (ids + undo) that belongs to
one source: switching datasets starts a fresh default set for the new one. Every
change bumps a revision number; the maps' widget keys carry it, so a chart's old
selection is never applied twice.
"""

from __future__ import annotations

import streamlit as st

from core.methods.anchor_history import AnchorHistory
from dashboard import loaders, map_legend

HISTORY = "anchor_history"
OWNER = "anchor_source"
HIGHLIGHT = "highlight_ids"
INSPECT = "inspect_ids"
REV = "anchor_rev"
MESSAGE = "anchor_message"
ERROR = "anchor_error"
#: Widget key of the strategy buttons' number of anchors.
#: Default anchor set on a first visit: 100 random train samples, or a quarter of the train
#: split when that is smaller (so that small datasets are not all stars).
DEFAULT_N, DEFAULT_STRATEGY, DEFAULT_SEED = 100, "random", 0


def default_n(coll) -> int:
    return max(2, min(DEFAULT_N, n_train(coll) // 4))


def n_train(coll) -> int:
    return int((coll.split == "train").sum())


def default_ids(source: str, coll) -> tuple:
    """The anchor set a session starts with on ``source`` (``coll`` is its collection)."""
    return loaders.anchors(source, min(default_n(coll), n_train(coll)), DEFAULT_STRATEGY, DEFAULT_SEED)


def ensure(source: str, coll) -> None:
    """Give ``source`` its default anchors unless the session's anchors already belong to it."""
    if st.session_state.get(OWNER) == source and isinstance(st.session_state.get(HISTORY), AnchorHistory):
        return
    ids = default_ids(source, coll)
    st.session_state[HISTORY] = AnchorHistory(ids)
    st.session_state[OWNER] = source
    st.session_state[HIGHLIGHT] = ()
    st.session_state[INSPECT] = ()
    st.session_state[map_legend.ISOLATE] = None  # a class of the previous dataset
    st.session_state[MESSAGE] = f"{len(ids)} {DEFAULT_STRATEGY} train samples picked as a starting set (seed {DEFAULT_SEED})."
    st.session_state[ERROR] = ""
    bump()


def history() -> AnchorHistory:
    return st.session_state[HISTORY]


def ids() -> tuple:
    """The current anchor ids, in the order they were added."""
    return history().ids


def rev() -> int:
    return int(st.session_state.get(REV, 0))


def bump() -> None:
    st.session_state[REV] = rev() + 1


def commit(new: AnchorHistory, message: str) -> None:
    """Store an edited set (a no-op edit keeps the revision) and say what happened."""
    old = history()
    st.session_state[ERROR] = ""
    if new is old or new.ids == old.ids and new.n_undo == old.n_undo:
        st.session_state[MESSAGE] = message + " (no change)"
        return
    st.session_state[HISTORY] = new
    st.session_state[MESSAGE] = message
    bump()


def note(message: str) -> None:
    """Say what the last action did when it changed no anchors (e.g. a sample inspected)."""
    st.session_state[MESSAGE] = message
    st.session_state[ERROR] = ""


def fail(message: str) -> None:
    """Report an edit that could not be made; the anchors stay as they are."""
    st.session_state[ERROR] = message


def highlight() -> tuple:
    return tuple(st.session_state.get(HIGHLIGHT, ()))


def set_highlight(new_ids, message: str) -> None:
    st.session_state[HIGHLIGHT] = tuple(new_ids)
    st.session_state[MESSAGE] = message
    st.session_state[ERROR] = ""
    bump()


def inspected() -> tuple:
    return tuple(st.session_state.get(INSPECT, ()))


def set_inspected(new_ids) -> None:
    st.session_state[INSPECT] = tuple(new_ids)
