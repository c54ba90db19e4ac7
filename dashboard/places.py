"""Places on the page written later in the run, without blanking what the last run drew there.

``st.empty()`` is Streamlit's way to hold a place, but it sends an empty element at
once: the last run's content at that place disappears until the run writes there
again, and a container of charts replaced by it has its charts unmounted and mounted
anew. These helpers hold or replace a place without sending anything first.

They build a delta generator on a cursor locked at a place, as ``st.empty()`` does
internally (Streamlit has no public call for it). On a Streamlit whose cursors differ
they fall back to the plain container, so a page still draws; only the in-place
behaviour is lost.
"""

from __future__ import annotations

__all__ = ["in_place_of", "reserve"]


def in_place_of(box):
    """A place at container ``box``: a block written to it replaces the box and what was drawn in it.

    Parameters
    ----------
    box : streamlit.delta_generator.DeltaGenerator
        A container (``st.container()``) of this run.

    Returns
    -------
    streamlit.delta_generator.DeltaGenerator
        Write one element or block to it (``.container()``, ``.error(...)``); ``box``
        itself outside a script run or on a Streamlit laid out otherwise.
    """
    try:
        cur = box._cursor
        if cur is None or not cur.parent_path:  # outside a script run: nothing was drawn
            return box
        from streamlit.cursor import LockedCursor
        from streamlit.delta_generator import DeltaGenerator

        at = LockedCursor(root_container=cur.root_container, parent_path=cur.parent_path[:-1], index=cur.parent_path[-1])
        return DeltaGenerator(root_container=box._root_container, cursor=at, parent=box._parent)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - a future Streamlit
        return box


def reserve(box):
    """The next place in container ``box``, held for later in this run.

    Nothing is sent until the run writes to the place, so the last run's element there
    stays on screen meanwhile (Streamlit keeps an element until a run writes to its place
    or ends). Write at most one element or block to it; a later write replaces it.

    Parameters
    ----------
    box : streamlit.delta_generator.DeltaGenerator
        A container of this run.

    Returns
    -------
    streamlit.delta_generator.DeltaGenerator
        ``box.empty()`` outside a script run or on a Streamlit laid out otherwise.
    """
    try:
        from streamlit.delta_generator import DeltaGenerator

        dg = box._active_dg
        cur = dg._cursor
        if cur is None or cur.is_locked:
            return box.empty()
        held = cur.lock_element()  # takes the place: later elements of box go after it
        return DeltaGenerator(root_container=dg._root_container, cursor=held, parent=dg)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - a future Streamlit
        return box.empty()
