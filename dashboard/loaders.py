"""Cached calls into ``core``: the only module of the dashboard with caching decorators.

Cache keys are the parameters that made each result (dataset, encoder names, anchor
ids, layout settings), so a figure is a deterministic function of its inputs.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.anchors import select_anchors
from core.layout import layout_pair
from core.relative import relative_projection
from core.stitching import fit_absolute_heads, stitching_matrix
from core.zoo import Zoo


@st.cache_resource(show_spinner=False)
def zoo(dataset: str) -> Zoo:
    return Zoo(dataset)


@st.cache_data(show_spinner=False, max_entries=16)
def spaces(dataset: str, split: str) -> dict:
    return zoo(dataset).spaces(split)


@st.cache_data(show_spinner=False, max_entries=64)
def anchors(dataset: str, n_anchors: int, strategy: str, seed: int) -> tuple:
    train = spaces(dataset, "train")
    return tuple(int(i) for i in select_anchors(next(iter(train.values())), n_anchors, strategy=strategy, random_state=seed))


@st.cache_data(show_spinner=False, max_entries=4)
def absolute_stitching(dataset: str):
    return stitching_matrix(
        spaces(dataset, "train"), spaces(dataset, "test"), [], modes=("absolute",), absolute_heads=absolute_heads(dataset)
    )


@st.cache_data(show_spinner=False, max_entries=32)
def relative_stitching(dataset: str, anchor_ids: tuple):
    return stitching_matrix(spaces(dataset, "train"), spaces(dataset, "test"), list(anchor_ids), modes=("relative",))


def map_vectors(dataset: str, encoder: str, anchor_ids: tuple | None) -> np.ndarray:
    """All samples of one encoder: absolute vectors, or relative to the anchors."""
    space = spaces(dataset, "all")[encoder]
    if anchor_ids is None:
        return space.vectors
    return relative_projection(space.vectors, space.take(list(anchor_ids)))


@st.cache_data(show_spinner=False, max_entries=64)
def layouts(dataset: str, enc_a: str, enc_b: str, anchor_ids: tuple | None, method: str, frame: str, n_neighbors: int, min_dist: float):
    """Layouts of A and B (absolute when ``anchor_ids`` is None, else relative).

    The relative row starts from A's absolute map (UMAP warm start) and is oriented
    like it, so anchor edits move the relative maps only as much as the data do.
    """
    XA = map_vectors(dataset, enc_a, anchor_ids)
    XB = map_vectors(dataset, enc_b, anchor_ids)
    kw = dict(method=method, frame=frame, n_neighbors=n_neighbors, min_dist=min_dist)
    if anchor_ids is None:
        return layout_pair(XA, XB, **kw)
    ref = layouts(dataset, enc_a, enc_b, None, method, frame, n_neighbors, min_dist)[0]
    return layout_pair(XA, XB, init=ref if method == "umap" else None, reference=ref, **kw)


@st.cache_resource(show_spinner=False)
def computed_layouts() -> set:
    """Keys of layouts already in the cache, so the PCA preview is skipped for them."""
    return set()


@st.cache_resource(show_spinner=False)
def absolute_heads(dataset: str) -> dict:
    """Heads on each encoder's absolute space: independent of the anchors, trained once."""
    return fit_absolute_heads(spaces(dataset, "train"))


@st.cache_data(show_spinner=False, max_entries=32)
def translated_stitching(dataset: str, anchor_ids: tuple):
    return stitching_matrix(
        spaces(dataset, "train"), spaces(dataset, "test"), list(anchor_ids), modes=("translated",),
        absolute_heads=absolute_heads(dataset),
    )
