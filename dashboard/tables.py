"""Tables as a reader sees them: human headers, formatted numbers, "—" for a missing value, text not cut.

Every table a page shows goes through :func:`show`. Downloads (CSV) keep the raw
columns and values; only what is drawn on the page is made readable here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import text

__all__ = ["MISSING", "HEADERS", "header", "readable", "show"]

#: What an empty cell (None, NaN) reads.
MISSING = "—"
#: Human headers of the columns the app itself makes; other columns are the user's and keep their names.
HEADERS = {
    "id": "Id", "split": "Split", "label": "Label", "text": "Text", "outcome": "Outcome",
    "name": "Encoder", "dim": "Dims", "arch": "Architecture", "seed": "Seed", "model": "Model",
    "test_accuracy": "Test accuracy", "test_mse": "Test MSE (reconstruction)", "explained_variance": "Explained variance",
    "file": "File", "kind": "Kind", "source": "Source", "pooling": "Pooling", "layer": "Layer",
    "normalize": "L2-normalised", "modality": "Modality", "revision": "Revision", "n_layers": "Layers in model",
    "device": "Device", "seconds": "Seconds", "rows_per_s": "Rows / s", "cached": "Cached",
    "effect": "Effect", "ours": "Ours", "published": "Published",
    "n_anchors": "Anchors", "strategy": "Strategy", "accuracy": "Accuracy",
}
#: Up to this many rows and columns a table is drawn whole (``st.table``: every cell wraps, none is cut).
#: Larger tables scroll in a grid instead, where long text is cut to the column's width.
WHOLE_UP_TO_ROWS, WHOLE_UP_TO_COLS = 60, 8


def header(column) -> str:
    """The header shown for ``column``: :data:`HEADERS`, else the name itself (a user's column)."""
    return HEADERS.get(str(column), str(column))


def _decimals(values: np.ndarray, digits: int) -> int:
    """Decimals showing ``digits`` of the column's smallest nonzero magnitude, at least ``digits``."""
    finite = np.abs(values[np.isfinite(values) & (values != 0)])
    if not len(finite):
        return digits
    return int(min(8, max(digits, digits - 1 - math.floor(math.log10(finite.min())))))


def _format_column(col: pd.Series, digits: int) -> tuple[pd.Series, bool]:
    """A column as display strings, and whether it is numeric (to align it right)."""
    missing = col.isna().to_numpy()
    if pd.api.types.is_bool_dtype(col):
        return col.map({True: "yes", False: "no"}).where(~missing, MISSING), False
    if pd.api.types.is_integer_dtype(col) or (pd.api.types.is_float_dtype(col) and missing.any() and _integral(col)):
        out = [MISSING if m else str(int(v)) for v, m in zip(col.to_numpy(), missing)]
        return pd.Series(out, index=col.index), True
    if pd.api.types.is_float_dtype(col):
        vals = col.to_numpy(dtype=float)
        d = _decimals(vals, digits)
        out = [MISSING if m else f"{v:,.{d}f}" for v, m in zip(vals, missing)]
        return pd.Series(out, index=col.index), True
    out = [MISSING if m or v is None or str(v) in ("", "None", "nan") else str(v) for v, m in zip(col.to_numpy(), missing)]
    return pd.Series(out, index=col.index), False


def _integral(col: pd.Series) -> bool:
    """Whether a float column holds only whole numbers (with gaps: an int column that met a NaN)."""
    vals = col.to_numpy(dtype=float)
    ok = np.isfinite(vals)
    return bool(ok.any()) and bool(np.all(vals[ok] == np.round(vals[ok]))) and bool(np.all(np.abs(vals[ok]) < 2**53))


def readable(df: pd.DataFrame, *, headers: dict | None = None, digits: int = 3, index: str | None = None) -> pd.DataFrame:
    """``df`` as display strings: human headers, numbers formatted, "—" for missing values.

    Parameters
    ----------
    df : pandas.DataFrame of shape (n_rows, n_columns)
    headers : dict of str -> str, optional
        Headers for this table, over :data:`HEADERS`.
    digits : int, default=3
        Decimals of a float column; more when its smallest nonzero value needs them to
        show ``digits`` significant figures (an MSE of 0.0077 reads 0.0077, not 0.008).
    index : str, optional
        Keep the index as the first column, under this header (e.g. "Anchors").

    Returns
    -------
    pandas.DataFrame of shape (n_rows, n_columns [+ 1]), all cells str, and its
    ``attrs["numeric"]``: the headers of the numeric columns.
    """
    src = df.reset_index(names=index) if index is not None else df.reset_index(drop=True)
    names = {**HEADERS, **(headers or {})}
    out, numeric = {}, []
    for c in src.columns:
        h = names.get(str(c), str(c))
        out[h], is_num = _format_column(src[c], digits)
        if is_num:
            numeric.append(h)
    table = pd.DataFrame(out, columns=list(out))
    table.attrs["numeric"] = numeric
    return table


def show(df: pd.DataFrame, *, headers: dict | None = None, digits: int = 3, index: str | None = None,
         height: int | None = None) -> pd.DataFrame:
    """Draw ``df`` readably (see :func:`readable`); returns what was drawn.

    Small tables are drawn whole, so that no cell is cut; larger ones scroll in a grid.
    Numbers are aligned right. The whole table's cells are markdown-escaped (AppTest sees
    them so: :func:`dashboard.text.unmd` reads them back).
    """
    table = readable(df, headers=headers, digits=digits, index=index)
    if len(table) <= WHOLE_UP_TO_ROWS and len(table.columns) <= WHOLE_UP_TO_COLS:
        # st.table renders every cell and header as markdown: escaped, a label "**x**" or "[a](...)" reads as typed
        whole = table.map(text.md).rename(columns=text.md)
        numeric = [text.md(h) for h in table.attrs["numeric"]]
        # !important: each cell and header carries an inline text-align of its own
        right = [("text-align", "right !important")]
        styler = whole.style.set_properties(subset=numeric, **dict(right)).set_table_styles(
            [{"selector": f"th.col{j}", "props": right} for j, h in enumerate(whole.columns) if h in numeric])
        st.table(styler, hide_index=True)
    else:
        config = {h: st.column_config.TextColumn(h, alignment="right") for h in table.attrs["numeric"]}
        st.dataframe(table, hide_index=True, width="stretch", column_config=config,
                     **({"height": height} if height else {}))
    return table
