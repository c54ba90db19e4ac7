"""Tables a user can download: relative representations and map coordinates, by sample id."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .relative import relative_projection

__all__ = ["relative_table", "layout_table"]


def _base(collection) -> pd.DataFrame:
    cols = [c for c in ("id", "split", "label") if c in collection.samples.columns]
    return collection.samples[cols].reset_index(drop=True).copy()


def relative_table(collection, encoder: str, anchor_ids, *, similarity: str = "cosine") -> pd.DataFrame:
    """Every sample's relative vector w.r.t. the anchors, one column per anchor.

    Parameters
    ----------
    collection : Collection
    encoder : str
        Space whose vectors are projected.
    anchor_ids : sequence of ids
    similarity : str, default="cosine"

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``split``, ``label`` (when labelled), then ``anchor_<id>`` for
        each anchor in order; one row per sample, in the collection's order.
    """
    space = collection.spaces[encoder]
    anchor_ids = list(anchor_ids)
    R = relative_projection(space.vectors, space.take(anchor_ids), similarity=similarity)
    rel = pd.DataFrame(np.asarray(R, dtype=np.float32), columns=[f"anchor_{a}" for a in anchor_ids])
    return pd.concat([_base(collection), rel], axis=1)


def layout_table(collection, maps: dict) -> pd.DataFrame:
    """Map coordinates of every sample, two columns per map.

    Parameters
    ----------
    collection : Collection
    maps : dict of str -> ndarray of shape (n_samples, 2)
        E.g. ``{"absolute_A": coords, ...}``, rows in the collection's order.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``split``, ``label`` then ``<map>_x``, ``<map>_y`` per map.
    """
    out = _base(collection)
    for name, coords in maps.items():
        coords = np.asarray(coords)
        if coords.shape != (collection.n_samples, 2):
            raise ValueError(f"map {name!r} must have shape ({collection.n_samples}, 2); got {coords.shape}")
        out[f"{name}_x"], out[f"{name}_y"] = coords[:, 0], coords[:, 1]
    return out
