"""Find samples by id, label or text: the search box of the maps.

A query is matched against the sample table of a collection (``Collection.samples``):

- ``id:3, 17, 20-25`` — these ids (int ranges ``a-b`` for int ids);
- ``label:cooking`` — samples whose label is this one (case-insensitive, whole label);
- ``text:guitar solo`` — samples whose text columns hold these words, in any order
  (case-insensitive substrings);
- anything else — all three, each where it applies: ids when the query reads as ids,
  a label when it is one, and the text.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"id": [0, 1, 2], "split": ["train"] * 3, "label": ["a", "b", "a"],
...                    "text": ["red fox", "blue sky", "Red sky"]})
>>> search_samples(df, "red").ids.tolist()
[0, 2]
>>> search_samples(df, "label:a").ids.tolist()
[0, 2]
>>> search_samples(df, "1").ids.tolist()
[1]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InvalidInputError, InvalidTypeError

__all__ = ["SampleSearch", "search_samples", "FIELDS"]

#: The fields a query can name with a prefix (``id:``, ``label:``, ``text:``).
FIELDS = ("id", "label", "text")
_BASE = ("id", "split", "label")
_RANGE = re.compile(r"^(-?\d+)\s*-\s*(-?\d+)$")
#: Widest id range a query may name (a typo like 1-99999999 must not allocate a huge list).
MAX_RANGE = 1_000_000


@dataclass(frozen=True)
class SampleSearch:
    """Samples matched by a query.

    Attributes
    ----------
    query : str
    ids : ndarray of shape (n_shown,)
        Matched ids in table order, at most ``limit`` of them.
    matched_by : ndarray of shape (n_shown,), str
        What matched each: ``"id"``, ``"label"`` or ``"text"`` (the first that did, in that order).
    n_found : int
        Matches in all, before the limit.
    counts : dict of str -> int
        Matches by field (a sample matched by two fields counts in both).
    """

    query: str
    ids: np.ndarray
    matched_by: np.ndarray
    n_found: int
    counts: dict


def _id_mask(ids: pd.Series, terms: str) -> np.ndarray | None:
    """Rows whose id is among ``terms`` (comma-separated ids or int ranges); None if the terms are not ids."""
    tokens = [t.strip() for t in terms.split(",") if t.strip()]
    if not tokens:
        return None
    if pd.api.types.is_integer_dtype(ids):
        wanted: set = set()
        for tok in tokens:
            m = _RANGE.match(tok)
            if m:
                lo, hi = int(m.group(1)), int(m.group(2))
                if hi < lo or hi - lo >= MAX_RANGE:
                    return None
                wanted.update(range(lo, hi + 1))
            elif re.fullmatch(r"[+-]?\d+", tok):
                wanted.add(int(tok))
            else:
                return None
        return ids.isin(wanted).to_numpy()
    return ids.astype(str).isin(tokens).to_numpy()


def _text_mask(df: pd.DataFrame, columns: list, words: str) -> np.ndarray:
    """Rows where every word occurs in one of ``columns`` (case-insensitive substrings)."""
    out = np.zeros(len(df), dtype=bool)
    parts = words.lower().split()
    if not parts or not columns:
        return out
    for c in columns:
        col = df[c].astype(str).str.lower()
        hit = np.ones(len(df), dtype=bool)
        for w in parts:
            hit &= col.str.contains(w, regex=False).to_numpy()
        out |= hit
    return out


def search_samples(samples: pd.DataFrame, query: str, *, text_columns=None, limit: int | None = None) -> SampleSearch:
    """The samples of a table that match ``query`` (see the module docstring for the syntax).

    Parameters
    ----------
    samples : pandas.DataFrame
        One row per sample with an ``id`` column, optionally ``label`` and text columns
        (``Collection.samples``).
    query : str
        Non-empty; an optional ``id:``, ``label:`` or ``text:`` prefix names one field.
    text_columns : list of str, optional
        Columns searched for words. By default every non-numeric column but ``id``,
        ``split`` and ``label``.
    limit : int, optional
        Keep the first ``limit`` matches (table order); ``n_found`` counts them all.

    Returns
    -------
    SampleSearch

    Raises
    ------
    InvalidInputError
        An empty query, a prefixed query with nothing after the prefix, ids that do not
        read as ids after ``id:``, ``label:`` on an unlabelled table, or a bad ``limit``.
    InvalidTypeError
        ``query`` not a str, or ``samples`` not a DataFrame with an ``id`` column.
    """
    if not isinstance(query, str):
        raise InvalidTypeError(f"query must be a str; got {type(query).__name__}")
    if not isinstance(samples, pd.DataFrame) or "id" not in samples.columns:
        raise InvalidTypeError("samples must be a DataFrame with an 'id' column (Collection.samples)")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1):
        raise InvalidInputError(f"limit={limit!r} must be a positive int or None")
    q = query.strip()
    if not q:
        raise InvalidInputError("the search is empty: type an id (3, 20-25), a label, or words of the text")
    field, sep, rest = q.partition(":")
    field = field.strip().lower()
    if sep and field in FIELDS:
        fields, terms = (field,), rest.strip()
        if not terms:
            raise InvalidInputError(f"nothing to search after {field + ':'!r}; e.g. {field}:3")
    else:
        fields, terms = FIELDS, q
    df = samples.reset_index(drop=True)
    if text_columns is None:
        text_columns = [c for c in df.columns if c not in _BASE and not pd.api.types.is_numeric_dtype(df[c])]
    masks = {}
    if "id" in fields:
        m = _id_mask(df["id"], terms)
        if m is None and fields == ("id",):
            raise InvalidInputError(f"{terms!r} does not read as ids; write ids as 3, 17, 20-25")
        masks["id"] = m if m is not None else np.zeros(len(df), dtype=bool)
    if "label" in fields:
        if "label" not in df.columns:
            if fields == ("label",):
                raise InvalidInputError("these samples have no labels to search")
            masks["label"] = np.zeros(len(df), dtype=bool)
        else:
            masks["label"] = (df["label"].astype(str).str.strip().str.lower() == terms.lower()).to_numpy()
    if "text" in fields:
        masks["text"] = _text_mask(df, list(text_columns), terms)
    any_match = np.zeros(len(df), dtype=bool)
    matched_by = np.full(len(df), "", dtype=object)
    for name in reversed(list(masks)):  # the first field that matched wins
        matched_by[masks[name]] = name
        any_match |= masks[name]
    rows = np.flatnonzero(any_match)
    shown = rows if limit is None else rows[: int(limit)]
    return SampleSearch(query=q, ids=df["id"].to_numpy()[shown], matched_by=matched_by[shown].astype(str),
                        n_found=int(len(rows)), counts={k: int(v.sum()) for k, v in masks.items()})
