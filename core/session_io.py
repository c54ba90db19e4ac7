"""A dashboard session (dataset, encoders, anchors, settings) as validated JSON or URL query.

The dashboard saves and restores its choices as a flat dict; anything read back from a
file, a JSON string or a URL query may have been edited by hand, so it is checked
against the known keys, their types and ranges, and (when given) the datasets,
encoders and sample ids that exist. Nothing here imports streamlit.

=============  ==============================  =========================================
key            type                            allowed values
=============  ==============================  =========================================
version        int                             1
dataset        str                             ``datasets`` when given
enc_a, enc_b   str                             ``encoders`` when given
anchors        list of int or list of str ids  unique; in ``ids`` when given; <= 10,000
strategy       str                             ``random``, ``stratified``, ``kmeans``,
                                               ``fps``, ``kdpp``, ``explicit``
seed           int                             [0, 2**32 - 1]
n_anchors      int                             [1, len(ids)] (1..100,000 without ``ids``)
method         str                             ``umap``, ``pca``
frame          str                             ``A``, ``own``
n_neighbors    int                             [2, 1000]
min_dist       float                           [0, 1]
=============  ==============================  =========================================

Every key is optional; unknown keys are refused (a typo would otherwise be ignored
silently). :func:`validate_session` reports every problem at once.

Examples
--------
>>> s = from_json('{"dataset": "digits", "anchors": [3, 1, 4], "seed": 0}', ids=range(10))
>>> s["anchors"]
[3, 1, 4]
>>> to_query(s)["anchors"]
'3,1,4'
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Iterable, Mapping

import numpy as np

from .errors import FileTooLargeError, InvalidInputError, InvalidTypeError, LoadError
from .validation import fmt_list

__all__ = [
    "SESSION_KEYS",
    "MAX_SESSION_BYTES",
    "MAX_ANCHORS",
    "validate_session",
    "to_json",
    "from_json",
    "to_query",
    "from_query",
]

#: Largest session JSON accepted by :func:`from_json`.
MAX_SESSION_BYTES = 1_000_000
#: Most anchors a session may hold.
MAX_ANCHORS = 10_000
_MAX_STR = 200
_STRATEGIES = ("random", "stratified", "kmeans", "fps", "kdpp", "explicit")

#: key -> (kind, bounds or choices). Kinds: "int", "float", "str", "choice", "ids".
SESSION_KEYS = {
    "version": ("int", (1, 1)),
    "dataset": ("str", None),
    "enc_a": ("str", None),
    "enc_b": ("str", None),
    "anchors": ("ids", None),
    "strategy": ("choice", _STRATEGIES),
    "seed": ("int", (0, 2**32 - 1)),
    "n_anchors": ("int", (1, 100_000)),
    "method": ("choice", ("umap", "pca")),
    "frame": ("choice", ("A", "own")),
    "n_neighbors": ("int", (2, 1000)),
    "min_dist": ("float", (0.0, 1.0)),
}


def _short(v, limit: int = 60) -> str:
    """``repr(v)``, cut to ``limit`` characters (messages echo user input)."""
    r = repr(v)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _is_int(v) -> bool:
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def _check_value(key, value, kind, spec, problems):
    """Append (is_type_problem, message) for a bad value; return the cleaned value."""
    if kind == "int":
        if not _is_int(value):
            problems.append((True, f"{key!r} must be an int; got {type(value).__name__} {_short(value)}"))
            return None
        lo, hi = spec
        if not lo <= int(value) <= hi:
            problems.append((False, f"{key}={int(value)} is out of range [{lo}, {hi}]"))
        return int(value)
    if kind == "float":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
            problems.append((True, f"{key!r} must be a number; got {type(value).__name__} {_short(value)}"))
            return None
        value = float(value)
        lo, hi = spec
        if not (np.isfinite(value) and lo <= value <= hi):
            problems.append((False, f"{key}={value!r} is out of range [{lo}, {hi}]"))
        return value
    if kind in ("str", "choice"):
        if not isinstance(value, str):
            problems.append((True, f"{key!r} must be a str; got {type(value).__name__} {_short(value)}"))
            return None
        if len(value) > _MAX_STR:
            problems.append((False, f"{key!r} is {len(value)} characters long; at most {_MAX_STR}"))
        elif kind == "choice" and value not in spec:
            problems.append((False, f"{key}={_short(value)} is not one of {list(spec)}"))
        return value
    # ids
    if not isinstance(value, (list, tuple)):
        problems.append((True, f"'anchors' must be a list of sample ids; got {type(value).__name__}"))
        return None
    if len(value) > MAX_ANCHORS:
        problems.append((False, f"'anchors' holds {len(value)} ids; at most {MAX_ANCHORS}"))
        return None
    bad = [v for v in value if not (_is_int(v) or isinstance(v, str))]
    if bad:
        problems.append((True, f"'anchors' must hold int or str ids; got {[_short(b) for b in bad[:5]]}"))
        return None
    if any(isinstance(v, str) for v in value) and any(_is_int(v) for v in value):
        problems.append((True, "'anchors' mixes int and str ids; use the type of the dataset's ids"))
        return None
    out = [int(v) if _is_int(v) else v for v in value]
    huge = [v for v in out if isinstance(v, int) and not -(2**63) <= v < 2**63]
    if huge:
        problems.append((False, f"'anchors' has ids out of the int64 range: {fmt_list(huge, limit=3)}"))
        return None
    seen, dup = set(), []
    for v in out:
        if v in seen:
            dup.append(v)
        seen.add(v)
    if dup:
        problems.append((False, f"'anchors' repeats ids {fmt_list(dup)}; each anchor once"))
    return out


def validate_session(
    session,
    *,
    datasets: Iterable[str] | None = None,
    encoders: Iterable[str] | None = None,
    ids=None,
) -> dict:
    """Check a session dict and return a clean copy.

    Parameters
    ----------
    session : mapping of str to value
        See the module table for keys, types and ranges.
    datasets : iterable of str, optional
        Dataset names that exist; ``session["dataset"]`` must be one of them.
    encoders : iterable of str, optional
        Encoder names that exist; ``enc_a`` and ``enc_b`` must be among them.
    ids : array-like of shape (n_candidates,), optional
        The sample ids anchors may take (e.g. the train ids); anchors outside are
        out of range, and ``n_anchors`` must be <= ``len(ids)``.

    Returns
    -------
    dict
        Plain Python values (ints, floats, strs, a list of ids), same keys.

    Raises
    ------
    InvalidTypeError
        When every problem is a wrong type (e.g. ``"seed": "3"``).
    InvalidInputError
        Otherwise: unknown keys, values out of range, unknown dataset or encoder,
        duplicated or out-of-range anchor ids. The message lists every problem.
    """
    if not isinstance(session, Mapping):
        raise InvalidTypeError(f"a session must be a JSON object (dict); got {type(session).__name__}")
    problems: list[tuple[bool, str]] = []
    bad_keys = [k for k in session if not isinstance(k, str)]
    unknown = [k for k in session if isinstance(k, str) and k not in SESSION_KEYS]
    if bad_keys:
        problems.append((True, f"keys must be strings; got {[_short(k) for k in bad_keys[:5]]}"))
    if unknown:
        shown = [_short(k) for k in sorted(unknown)[:5]] + (["..."] if len(unknown) > 5 else [])
        problems.append((False, f"unknown keys [{', '.join(shown)}] (known: {sorted(SESSION_KEYS)})"))
    out = {}
    for key, (kind, spec) in SESSION_KEYS.items():
        if key in session:
            out[key] = _check_value(key, session[key], kind, spec, problems)
    if datasets is not None and isinstance(out.get("dataset"), str):
        known = list(datasets)
        if out["dataset"] not in known:
            problems.append((False, f"dataset={_short(out['dataset'])} is not one of {known}"))
    if encoders is not None:
        known = list(encoders)
        for key in ("enc_a", "enc_b"):
            if isinstance(out.get(key), str) and out[key] not in known:
                problems.append((False, f"{key}={_short(out[key])} is not one of the encoders {known}"))
    if ids is not None:
        cand = np.asarray(list(ids) if not hasattr(ids, "__len__") else ids)
        n = len(cand)
        if isinstance(out.get("n_anchors"), int) and out["n_anchors"] > n:
            problems.append((False, f"n_anchors={out['n_anchors']} is out of range [1, {n}] (the candidate ids)"))
        anchors = out.get("anchors")
        if isinstance(anchors, list) and anchors:
            a = np.asarray(anchors)
            comparable = (a.dtype.kind in "iu" and cand.dtype.kind in "iu") or (a.dtype.kind == cand.dtype.kind == "U")
            outside = a[~np.isin(a, cand)] if comparable else a
            if len(outside):
                problems.append(
                    (False, f"'anchors' has {len(outside)} id(s) out of range (not among the {n} candidate ids): "
                            f"{fmt_list(outside)}")
                )
    if problems:
        only_types = all(t for t, _ in problems)
        err = InvalidTypeError if only_types else InvalidInputError
        raise err(f"invalid session: {'; '.join(m for _, m in problems)}")
    return out


def to_json(session, **context) -> str:
    """Validate, then serialise a session as JSON (sorted keys, UTF-8 text).

    Parameters
    ----------
    session : mapping
    **context
        ``datasets``, ``encoders``, ``ids``: see :func:`validate_session`.

    Returns
    -------
    str
    """
    return json.dumps(validate_session(session, **context), sort_keys=True, ensure_ascii=False, allow_nan=False)


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicates(pairs):
    out = dict(pairs)
    if len(out) != len(pairs):
        seen, dup = set(), []
        for k, _ in pairs:
            if k in seen:
                dup.append(_short(k))
            seen.add(k)
        raise ValueError(f"duplicate keys {dup[:5]}")
    return out


def from_json(text, **context) -> dict:
    """Parse and validate a session JSON (a file's bytes or a string).

    Parameters
    ----------
    text : str or bytes
        At most :data:`MAX_SESSION_BYTES` bytes.
    **context
        ``datasets``, ``encoders``, ``ids``: see :func:`validate_session`.

    Returns
    -------
    dict

    Raises
    ------
    FileTooLargeError
        Over :data:`MAX_SESSION_BYTES`.
    LoadError
        Not UTF-8, not JSON, NaN/Infinity literals or duplicated keys.
    InvalidTypeError, InvalidInputError
        As :func:`validate_session`.
    """
    if isinstance(text, (bytes, bytearray)):
        if len(text) > MAX_SESSION_BYTES:
            raise FileTooLargeError(f"session JSON is {len(text):,} bytes; the limit is {MAX_SESSION_BYTES:,}")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LoadError(f"session JSON is not UTF-8 text ({exc})") from None
    if not isinstance(text, str):
        raise InvalidTypeError(f"session JSON must be str or bytes; got {type(text).__name__}")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SESSION_BYTES:
        raise FileTooLargeError(f"session JSON is over the {MAX_SESSION_BYTES:,}-byte limit")
    try:
        data = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise LoadError("session JSON is nested too deeply; a session is a flat object") from None
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, duplicate keys
        raise LoadError(f"session JSON cannot be read: {exc}") from None
    return validate_session(data, **context)


_INT_RE = re.compile(r"^[+-]?\d{1,20}$")


def to_query(session, **context) -> dict[str, str]:
    """Validate, then flatten a session into URL query parameters (all strs).

    ``anchors`` become one comma-separated string.

    Returns
    -------
    dict of str to str
    """
    clean = validate_session(session, **context)
    out = {}
    for key, value in clean.items():
        if key == "anchors":
            if any(isinstance(v, str) and ("," in v or _INT_RE.match(v)) for v in value):
                raise InvalidInputError("anchor ids containing ',' or looking like ints cannot go in a URL query")
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


def from_query(params, **context) -> dict:
    """Parse and validate URL query parameters (e.g. ``st.query_params.to_dict()``).

    Parameters
    ----------
    params : mapping of str to str (or to a list of str: a key given more than once is refused)
    **context
        ``datasets``, ``encoders``, ``ids``: see :func:`validate_session`.

    Returns
    -------
    dict
        Typed values: ints, floats, strs, ``anchors`` as a list of int (or str) ids.

    Raises
    ------
    InvalidTypeError, InvalidInputError
        As :func:`validate_session`; values that do not parse as their type are type
        problems.
    """
    if not isinstance(params, Mapping):
        raise InvalidTypeError(f"query parameters must be a mapping; got {type(params).__name__}")
    parsed, problems = {}, []
    for key, raw in params.items():
        if isinstance(raw, (list, tuple)):
            if len(raw) != 1:
                problems.append(f"{_short(key)} is given {len(raw)} times; give it once")
                continue
            raw = raw[0]
        if not isinstance(raw, str):
            problems.append(f"{_short(key)} must be a string in a URL query; got {type(raw).__name__}")
            continue
        if len(raw) > MAX_SESSION_BYTES:
            raise FileTooLargeError(f"query parameter {_short(key)} is over {MAX_SESSION_BYTES:,} characters")
        kind = SESSION_KEYS.get(key, ("str", None))[0]
        if kind == "int":
            parsed[key] = int(raw) if _INT_RE.match(raw.strip()) else raw
        elif kind == "float":
            try:
                parsed[key] = float(raw)
            except ValueError:
                parsed[key] = raw
        elif kind == "ids":
            items = [t.strip() for t in raw.split(",")] if raw.strip() else []
            parsed[key] = [int(t) if _INT_RE.match(t) else t for t in items]
        else:
            parsed[key] = raw
    if problems:
        raise InvalidInputError(f"invalid session: {'; '.join(problems)}")
    return validate_session(parsed, **context)
