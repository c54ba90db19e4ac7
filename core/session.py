"""A saved session: the user's key choices, checked before anything is applied.

A session is a flat JSON object, e.g. ``{"version": 1, "dataset": "digits",
"enc_a": "mlp-s0", "enc_b": "mlp-s1", "anchors": [3, 17, 42], ...}``. The same fields
travel in a URL query string (anchors written compactly as ``3,17,40-45``).

:func:`validate_session` accepts a session only when every key is known, every value
has the right type and every id exists; otherwise it raises one error listing every
problem, so the caller can keep its current state.

Examples
--------
>>> encode_ids([1, 2, 3, 7, 9, 10])
'1-3,7,9-10'
>>> decode_ids('1-3,7', int)
[1, 2, 3, 7]
"""

from __future__ import annotations

import json
from typing import Callable, Sequence

import numpy as np

from .anchor_history import parse_ids
from .anchors import STRATEGIES
from .errors import InvalidInputError, StitchboardError
from .layout import LAYOUT_METHODS

__all__ = ["SESSION_VERSION", "FIELDS", "validate_session", "session_from_query", "session_to_query",
           "encode_ids", "decode_ids"]

#: Version written by this code; older/newer files are refused with a message.
SESSION_VERSION = 1

#: Known fields: name -> (accepted Python types, what it is).
FIELDS: dict[str, tuple[tuple, str]] = {
    "version": ((int,), "session format version"),
    "dataset": ((str,), "bundled dataset name or upload key"),
    "enc_a": ((str,), "encoder A"),
    "enc_b": ((str,), "encoder B"),
    "anchors": ((list,), "anchor sample ids (train split)"),
    "highlight": ((list,), "highlighted sample ids"),
    "strategy": ((str,), "anchor strategy"),
    "n_anchors": ((int,), "number of anchors a strategy picks"),
    "seed": ((int,), "seed of the strategies"),
    "method": ((str,), "layout method"),
    "frame": ((str,), "where B is placed: 'A' or 'own'"),
    "n_neighbors": ((int,), "UMAP n_neighbors"),
    "min_dist": ((float, int), "UMAP min_dist"),
    "perplexity": ((float, int), "t-SNE perplexity"),
    "color_by": ((str,), "what colours the maps"),
    "pick_mode": ((str,), "what a map selection does: 'anchors' or 'highlight'"),
}

#: Fields carried in the URL query string (the key choices), in this order.
QUERY_FIELDS = ("dataset", "enc_a", "enc_b", "anchors", "strategy", "n_anchors", "seed", "method")

_INT_RANGES = {"n_neighbors": (2, 200), "seed": (0, 2**31 - 1)}
_FLOAT_RANGES = {"min_dist": (0.0, 0.99), "perplexity": (1.0, 100.0)}
_CHOICES = {"strategy": STRATEGIES, "method": LAYOUT_METHODS, "frame": ("A", "own"), "pick_mode": ("anchors", "highlight")}


def _type_ok(value, types) -> bool:
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def _check_ids(name: str, values: list, *, allowed: np.ndarray, where: str, problems: list) -> list:
    """Ids of the collection's id type, unique, all in ``allowed``; problems appended."""
    kind_int = np.issubdtype(allowed.dtype, np.integer)
    bad_type = [v for v in values if (not _type_ok(v, (int,)) if kind_int else not isinstance(v, str))]
    if bad_type:
        problems.append(f"{name}: ids must be {'integers' if kind_int else 'strings'}; got {bad_type[:5]!r}")
        return []
    if len(set(values)) != len(values):
        dup = sorted({v for v in values if values.count(v) > 1})[:5]
        problems.append(f"{name}: duplicated ids {dup}")
    allowed_set = set(allowed.tolist())
    unknown = [v for v in values if v not in allowed_set]
    if unknown:
        problems.append(f"{name}: {len(unknown)} id(s) are not {where}: {unknown[:10]}" + (" ..." if len(unknown) > 10 else ""))
    return list(values)


def validate_session(
    data,
    *,
    sources: Sequence[str],
    collection_of: Callable,
    require_version: bool = True,
    color_choices: Sequence[str] | None = None,
) -> dict:
    """Check a session before applying it.

    Parameters
    ----------
    data : dict
        The parsed JSON object (or fields from a URL, see :func:`session_from_query`).
    sources : sequence of str
        Datasets/uploads available now; ``data["dataset"]`` must be one of them.
    collection_of : callable(str) -> Collection
        The collection behind a source, to check encoder names and ids.
    require_version : bool, default=True
        A saved file must say ``"version": 1``; a URL need not.
    color_choices : sequence of str, optional
        Accepted ``color_by`` values; any string when None.

    Returns
    -------
    dict
        The same fields, ids as Python ints/strs.

    Raises
    ------
    InvalidInputError
        Listing every problem: not an object, unknown keys, wrong types, values out of
        range, unknown encoders, ids not in the collection (anchors must be train ids).
    """
    if not isinstance(data, dict):
        raise InvalidInputError(f"a session must be a JSON object {{...}}; got {type(data).__name__}")
    problems: list[str] = []
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        problems.append(f"unknown keys {unknown}; known keys are {sorted(FIELDS)}")
    typed = {}
    for key, value in data.items():
        if key not in FIELDS:
            continue
        if _type_ok(value, FIELDS[key][0]):
            typed[key] = value
        else:
            want = " or ".join(t.__name__ for t in FIELDS[key][0])
            problems.append(f"{key}: must be {want} ({FIELDS[key][1]}); got {type(value).__name__} {value!r}"[:200])

    def fail():
        raise InvalidInputError("invalid session: " + "; ".join(problems))

    if require_version and "version" not in data:
        problems.append('missing "version" (this app writes version 1)')
    if "version" in typed and typed["version"] != SESSION_VERSION:
        problems.append(f"version {typed['version']} is not supported; this app reads version {SESSION_VERSION}")
    if "dataset" not in typed:
        if "dataset" not in data:
            problems.append('missing "dataset"')
        fail()
    if typed["dataset"] not in sources:
        hint = " (an upload: load its files again on the Data & encoders page first)" if typed["dataset"].startswith("upload:") else ""
        problems.append(f"dataset {typed['dataset']!r} is not available{hint}; available: {list(sources)}")
        fail()
    try:
        coll = collection_of(typed["dataset"])
    except (KeyError, StitchboardError) as exc:
        problems.append(f"dataset {typed['dataset']!r} cannot be opened: {exc}")
        fail()
    data = typed
    out = dict(data)
    for key in ("enc_a", "enc_b"):
        if key in data and data[key] not in coll.names:
            problems.append(f"{key}: encoder {data[key]!r} is not in {data['dataset']!r}; choose from {coll.names}")
    n_train = int((coll.split == "train").sum())
    if "anchors" in data:
        out["anchors"] = _check_ids("anchors", data["anchors"], allowed=coll.ids[coll.split == "train"],
                                    where="train samples of this dataset", problems=problems)
    if "highlight" in data:
        out["highlight"] = _check_ids("highlight", data["highlight"], allowed=coll.ids,
                                      where="samples of this dataset", problems=problems)
    if "n_anchors" in data and not 1 <= data["n_anchors"] <= n_train:
        problems.append(f"n_anchors={data['n_anchors']} must be in [1, {n_train}] (the train samples)")
    for key, (lo, hi) in _INT_RANGES.items():
        if key in data and not lo <= data[key] <= hi:
            problems.append(f"{key}={data[key]} must be in [{lo}, {hi}]")
    for key, (lo, hi) in _FLOAT_RANGES.items():
        if key in data and not (np.isfinite(data[key]) and lo <= data[key] <= hi):
            problems.append(f"{key}={data[key]} must be in [{lo}, {hi}]")
    for key, choices in _CHOICES.items():
        if key in data and data[key] not in choices:
            problems.append(f"{key}={data[key]!r} must be one of {list(choices)}")
    if "color_by" in data and color_choices is not None and data["color_by"] not in color_choices:
        problems.append(f"color_by={data['color_by']!r} must be one of {list(color_choices)}")
    if problems:
        raise InvalidInputError("invalid session: " + "; ".join(problems))
    if "min_dist" in out:
        out["min_dist"] = float(out["min_dist"])
    if "perplexity" in out:
        out["perplexity"] = float(out["perplexity"])
    return out


def encode_ids(ids) -> str:
    """Ids written compactly for a URL: integer runs as ``a-b``; other ids as a JSON list."""
    ids = list(ids)
    if not all(_type_ok(i, (int, np.integer)) for i in ids):
        return json.dumps([str(i) for i in ids], separators=(",", ":"))
    parts, k = [], 0
    ids = [int(i) for i in ids]
    while k < len(ids):
        j = k
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        parts.append(str(ids[k]) if j == k else f"{ids[k]}-{ids[j]}")
        k = j + 1
    return ",".join(parts)


def decode_ids(text: str, id_type=int) -> list:
    """Inverse of :func:`encode_ids`; raises :class:`~core.errors.AnchorError` on bad text."""
    text = text.strip()
    if text.startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"ids {text[:40]!r} are not a JSON list: {exc}") from None
        if not isinstance(values, list):
            raise InvalidInputError("ids must be a JSON list")
        return [id_type(v) for v in values]
    return parse_ids(text, id_type)


def session_to_query(session: dict) -> dict:
    """The key choices of a session as query-string values (strings)."""
    out = {}
    for key in QUERY_FIELDS:
        if key in session and session[key] is not None:
            out[key] = encode_ids(session[key]) if key == "anchors" else str(session[key])
    return out


def session_from_query(params, *, id_type=int) -> dict:
    """Typed session fields from query-string values; unknown keys are kept (and refused later).

    Raises
    ------
    InvalidInputError
        A number that does not parse, or malformed ids.
    """
    out: dict = {}
    problems = []
    for key, value in dict(params).items():
        value = value[-1] if isinstance(value, list) else value
        try:
            if key == "anchors" or key == "highlight":
                out[key] = decode_ids(value, id_type)
            elif key in FIELDS and FIELDS[key][0][0] is int:
                out[key] = int(value)
            elif key in FIELDS and FIELDS[key][0][0] is float:
                out[key] = float(value)
            else:
                out[key] = value
        except (ValueError, StitchboardError) as exc:
            problems.append(f"{key}={value[:40]!r}: {exc}")
    if problems:
        raise InvalidInputError("invalid link: " + "; ".join(problems))
    return out
