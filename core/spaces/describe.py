"""Short human descriptions of samples: what a hover or an inspector shows about each."""

from __future__ import annotations

import html
import textwrap

import numpy as np
import pandas as pd

__all__ = ["sample_descriptions", "metadata_columns"]

_BASE = ("id", "split", "label")


def metadata_columns(collection) -> list[str]:
    """The sample-table columns beyond id/split/label (text, feature values...)."""
    return [c for c in collection.samples.columns if c not in _BASE]


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.3g}"
    return str(v)


def _esc(v) -> str:
    return html.escape(str(v), quote=False)


def sample_descriptions(collection, *, max_features: int = 6, text_chars: int = 160) -> np.ndarray:
    """One HTML line per sample: id, split, label, then its text or first feature values.

    The sample's own strings (ids, labels, text, column names) are HTML-escaped, so
    plotly shows them as typed.

    Parameters
    ----------
    collection : Collection
    max_features : int, default=6
        Feature values shown for tabular samples (the count of the others is stated).
    text_chars : int, default=160
        Text longer than this is cut with "…".

    Returns
    -------
    ndarray of shape (n_samples,), object (str)
    """
    df = collection.samples.reset_index(drop=True)
    n = len(df)
    head = [f"id {_esc(i)} · {s}" for i, s in zip(df["id"].tolist(), df["split"].tolist())]
    if "label" in df.columns:
        head = [f"{h} · label <b>{_esc(lab)}</b>" for h, lab in zip(head, df["label"].astype(str).tolist())]
    extra = metadata_columns(collection)
    text_cols = [c for c in extra if not pd.api.types.is_numeric_dtype(df[c])]
    num_cols = [c for c in extra if c not in text_cols]
    lines = []
    for r in range(n):
        parts = [head[r]]
        for c in text_cols[:2]:
            t = str(df[c].iat[r])
            t = t if len(t) <= text_chars else t[: text_chars - 1] + "…"
            parts.append("<br>".join(_esc(line) for line in textwrap.wrap(t, 60)) or "(empty)")
        if num_cols:
            shown = [f"{_esc(c)}={_esc(_fmt(df[c].iat[r]))}" for c in num_cols[:max_features]]
            more = len(num_cols) - max_features
            parts.append("<br>".join(" · ".join(shown[k:k + 3]) for k in range(0, len(shown), 3))
                         + (f"<br>(+{more} more features)" if more > 0 else ""))
        lines.append("<br>".join(parts))
    return np.asarray(lines, dtype=object)
