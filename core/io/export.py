"""Tables a user can download: relative representations and map coordinates, by sample id."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd

from ..methods.relative import relative_projection

__all__ = ["relative_table", "layout_table", "csv_bytes", "FORMULA_PREFIXES"]

#: A text cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value  # a leading quote makes spreadsheets show the cell as text
    return value


def csv_bytes(df: pd.DataFrame, *, index: bool = False) -> bytes:
    """A table as UTF-8 CSV for download, with formula-like text cells neutralised.

    Text cells, column names and index labels that start with ``= + - @``, a tab or a
    carriage return get a leading ``'``, as OWASP advises, so a spreadsheet opening the
    file shows them instead of running them. Numbers are written as they are. Parquet
    and JSON exports stay exact.

    Parameters
    ----------
    df : pandas.DataFrame
    index : bool, default=False
        Write the index as the first column.

    Returns
    -------
    bytes
    """
    out = df.copy(deep=False)  # columns are replaced, not written into: the caller's table stays as it is
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]) or isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).map(_defuse)
    out.columns = [_defuse(str(c)) if isinstance(c, str) else c for c in out.columns]
    if index:
        out.index = out.index.map(_defuse)
    # every text field quoted: a bare carriage return inside one would otherwise split the row
    return out.to_csv(index=index, quoting=csv.QUOTE_NONNUMERIC).encode()


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
