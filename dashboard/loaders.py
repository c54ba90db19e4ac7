"""Cached calls into ``core``: the only module of the dashboard with caching decorators.

Cache keys are the parameters that made each result (source, encoder names, anchor
ids, layout settings), so a figure is a deterministic function of its inputs.

A *source* is a string naming a :class:`core.collection.Collection`: a bundled dataset
name (``"digits"``, ``"wine"``, ``"breast_cancer"``, ``"text"``) or the key returned
by :func:`register_collection` for the user's uploads (``"upload:<content hash>"``).
Keys of uploads are content hashes, so two sessions only ever share a cache entry
when they uploaded the very same bytes with the same options.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.anchors import select_anchors
from core.layout import layout_pair
from core.relative import relative_projection
from core.stitching import fit_absolute_heads, stitching_matrix
from core.collection import Collection
from core.datasets import DATASETS
from core.zoo import Zoo

import weakref


@st.cache_resource(show_spinner=False)
def zoo(dataset: str) -> Zoo:
    return Zoo(dataset)


@st.cache_resource(show_spinner=False)
def _uploads() -> weakref.WeakValueDictionary:
    """Uploaded collections by source key, held *weakly*: the sessions that uploaded them
    hold the strong references (in their session state), so an upload is released when the
    last session holding it ends."""
    return weakref.WeakValueDictionary()


def register_collection(key: str, coll: Collection, *, holder: dict) -> str:
    """Make an uploaded collection available under ``"upload:<key>"`` (key = content hash).

    Parameters
    ----------
    key : str
        A hash of the uploaded bytes and the load options.
    coll : Collection
    holder : dict
        Where the caller keeps the strong reference, e.g. a dict in the session state.

    Returns
    -------
    str
        The source key.
    """
    source = f"upload:{key}"
    coll = _uploads().setdefault(source, coll)
    holder[source] = coll
    return source


def is_available(source: str) -> bool:
    return source in DATASETS or source in _uploads()


def source_label(source: str) -> str:
    """Human name of a source for selectors."""
    if source in DATASETS:
        return {"breast_cancer": "breast cancer"}.get(source, source) + " (bundled)"
    coll = _uploads().get(source)
    return f"{coll.name} (uploaded)" if coll is not None else source


@st.cache_resource(show_spinner=False)
def _bundled_collection(dataset: str) -> Collection:
    return zoo(dataset).collection()


def collection(source: str) -> Collection:
    """The collection behind a source key (bundled dataset name or upload key)."""
    if source in DATASETS:
        return _bundled_collection(source)
    try:
        return _uploads()[source]
    except KeyError:
        raise KeyError(f"source {source!r} is no longer loaded; upload the files again on the Data & encoders page") from None


@st.cache_resource(show_spinner=False, max_entries=64)
def spaces(source: str, split: str) -> dict:
    """Spaces of a source restricted to a split (read-only arrays, shared, never copied)."""
    return collection(source).part(split)


@st.cache_data(show_spinner=False, max_entries=64)
def anchors(source: str, n_anchors: int, strategy: str, seed: int) -> tuple:
    train = spaces(source, "train")
    return tuple(int(i) for i in select_anchors(next(iter(train.values())), n_anchors, strategy=strategy, random_state=seed))


@st.cache_data(show_spinner=False, max_entries=4)
def absolute_stitching(source: str):
    return stitching_matrix(
        spaces(source, "train"), spaces(source, "test"), [], modes=("absolute",), absolute_heads=absolute_heads(source)
    )


@st.cache_data(show_spinner=False, max_entries=32)
def relative_stitching(source: str, anchor_ids: tuple):
    return stitching_matrix(spaces(source, "train"), spaces(source, "test"), list(anchor_ids), modes=("relative",))


def map_vectors(source: str, encoder: str, anchor_ids: tuple | None) -> np.ndarray:
    """All samples of one encoder: absolute vectors, or relative to the anchors."""
    space = spaces(source, "all")[encoder]
    if anchor_ids is None:
        return space.vectors
    return relative_projection(space.vectors, space.take(list(anchor_ids)))


@st.cache_data(show_spinner=False, max_entries=64)
def layouts(source: str, enc_a: str, enc_b: str, anchor_ids: tuple | None, method: str, frame: str, n_neighbors: int, min_dist: float):
    """Layouts of A and B (absolute when ``anchor_ids`` is None, else relative).

    The relative row starts from A's absolute map (UMAP warm start) and is oriented
    like it, so anchor edits move the relative maps only as much as the data do.
    """
    XA = map_vectors(source, enc_a, anchor_ids)
    XB = map_vectors(source, enc_b, anchor_ids)
    kw = dict(method=method, frame=frame, n_neighbors=n_neighbors, min_dist=min_dist)
    if anchor_ids is None:
        return layout_pair(XA, XB, **kw)
    ref = layouts(source, enc_a, enc_b, None, method, frame, n_neighbors, min_dist)[0]
    return layout_pair(XA, XB, init=ref if method == "umap" else None, reference=ref, **kw)


@st.cache_resource(show_spinner=False)
def computed_layouts() -> set:
    """Keys of layouts already in the cache, so the PCA preview is skipped for them."""
    return set()


@st.cache_resource(show_spinner=False)
def absolute_heads(source: str) -> dict:
    """Heads on each encoder's absolute space: independent of the anchors, trained once."""
    return fit_absolute_heads(spaces(source, "train"))


@st.cache_data(show_spinner=False, max_entries=32)
def translated_stitching(source: str, anchor_ids: tuple):
    return stitching_matrix(
        spaces(source, "train"), spaces(source, "test"), list(anchor_ids), modes=("translated",),
        absolute_heads=absolute_heads(source),
    )
