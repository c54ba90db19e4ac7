"""A dashboard session: the user's key choices as JSON or a URL query, checked before use.

A session is a flat JSON object, e.g. ``{"version": 1, "dataset": "digits", "enc_a":
"mlp-s0", "enc_b": "mlp-s1", "anchors": [3, 17, 42], ...}``. The key choices
(:data:`QUERY_FIELDS`) also travel in a URL query string, anchors written compactly as
``3,17,40-45``. Anything read back may have been edited by hand, so
:func:`validate_session` accepts a session only when every key is known, every value has
the right type and range and, given a context, the dataset, encoders and ids exist.
Otherwise it raises one error listing every problem, so the caller keeps its current
state. Nothing here imports streamlit.

=============  ===================  ==================================================
key            type                 allowed values
=============  ===================  ==================================================
version        int                  1 (required in a saved file)
dataset        str                  one of ``datasets`` (required in a saved file)
enc_a, enc_b   str                  the encoders of the dataset
anchors        list of ids          unique train ids of the dataset; at most 100,000
highlight      list of ids          unique ids of the dataset; at most 100,000
strategy       str                  ``random``, ``stratified``, ``kmeans``, ``fps``,
                                    ``kdpp``
n_anchors      int                  [1, number of train samples] (at most 100,000)
seed           int                  [0, 2**31 - 1]
method         str                  ``umap``, ``pca``, ``tsne``
frame          str                  ``A``, ``own``
n_neighbors    int                  [2, 200]
min_dist       float                [0, 0.99]
perplexity     float                [1, 100]
color_by       str                  one of ``color_choices`` when given
pick_mode      str                  ``anchors``, ``highlight``
=============  ===================  ==================================================

Ids are all ints or all strs, of the dataset's id type. Strings are at most 1,000
characters, a session JSON at most 1 MB; NaN/Infinity literals and repeated keys (in JSON
or in a query string) are refused.

Examples
--------
>>> s = from_json('{"version": 1, "dataset": "digits", "anchors": [3, 1, 4], "seed": 0}', ids=range(10))
>>> s["anchors"]
[3, 1, 4]
>>> to_query(s)["anchors"]
'3,1,4'
>>> encode_ids([1, 2, 3, 7, 9, 10])
'1-3,7,9-10'
>>> decode_ids('1-3,7')
[1, 2, 3, 7]
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from ..methods.anchors import STRATEGIES
from ..errors import FileTooLargeError, InvalidInputError, InvalidTypeError, LoadError, StitchboardError
from ..maps.layout import LAYOUT_METHODS
from ..validation import fmt_list

__all__ = [
    "SESSION_VERSION",
    "MAX_SESSION_BYTES",
    "MAX_IDS",
    "FIELDS",
    "QUERY_FIELDS",
    "validate_session",
    "to_json",
    "from_json",
    "to_query",
    "from_query",
    "encode_ids",
    "decode_ids",
]

#: Version written by this code; other versions are refused with a message.
SESSION_VERSION = 1
#: Largest session JSON (bytes) and query value (characters) accepted.
MAX_SESSION_BYTES = 1_000_000
#: Most ids an ``anchors`` or ``highlight`` list may hold.
MAX_IDS = 100_000
_MAX_STR = 1_000


class Field(NamedTuple):
    """A session key: its kind (``int``, ``float``, ``str``, ``choice``, ``ids``), bounds or choices, meaning."""

    kind: str
    spec: tuple | None
    what: str


#: Known keys: name -> :class:`Field`.
FIELDS: dict[str, Field] = {
    "version": Field("int", None, "session format version"),
    "dataset": Field("str", None, "bundled dataset name or upload key"),
    "enc_a": Field("str", None, "encoder A"),
    "enc_b": Field("str", None, "encoder B"),
    "anchors": Field("ids", None, "anchor sample ids (train split)"),
    "highlight": Field("ids", None, "highlighted sample ids"),
    "strategy": Field("choice", STRATEGIES, "anchor strategy"),
    "n_anchors": Field("int", (1, MAX_IDS), "number of anchors a strategy picks"),
    "seed": Field("int", (0, 2**31 - 1), "seed of the strategies"),
    "method": Field("choice", LAYOUT_METHODS, "layout method"),
    "frame": Field("choice", ("A", "own"), "where B is placed"),
    "n_neighbors": Field("int", (2, 200), "UMAP n_neighbors"),
    "min_dist": Field("float", (0.0, 0.99), "UMAP min_dist"),
    "perplexity": Field("float", (1.0, 100.0), "t-SNE perplexity"),
    "color_by": Field("str", None, "what colours the maps"),
    "pick_mode": Field("choice", ("anchors", "highlight"), "what a map selection does"),
}

#: Fields carried in the URL query string (the key choices), in this order.
QUERY_FIELDS = ("dataset", "enc_a", "enc_b", "anchors", "strategy", "n_anchors", "seed", "method")

_INT_RE = re.compile(r"^[+-]?\d{1,20}$")
_RANGE_RE = re.compile(r"^(\d{1,20})-(\d{1,20})$")


def _short(v, limit: int = 60) -> str:
    """``repr(v)``, cut to ``limit`` characters (messages echo user input)."""
    r = repr(v)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _is_int(v) -> bool:
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


class _Problems(list):
    """``(is_type_problem, message)`` pairs."""

    def add(self, message: str, *, type_problem: bool = False) -> None:
        self.append((type_problem, message))

    def raise_if_any(self) -> None:
        if self:
            err = InvalidTypeError if all(t for t, _ in self) else InvalidInputError
            raise err("invalid session: " + "; ".join(m for _, m in self))


def _check_value(key: str, value, field: Field, problems: _Problems):
    """The value as a plain Python value, or None with a problem recorded."""
    kind, spec = field.kind, field.spec
    if kind == "int":
        if not _is_int(value):
            problems.add(f"{key!r} must be an int; got {type(value).__name__} {_short(value)}", type_problem=True)
            return None
        value = int(value)
        if spec is not None and not spec[0] <= value <= spec[1]:
            problems.add(f"{key}={value} must be in [{spec[0]}, {spec[1]}]")
        return value
    if kind == "float":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
            problems.add(f"{key!r} must be a number; got {type(value).__name__} {_short(value)}", type_problem=True)
            return None
        value = float(value)
        if not (np.isfinite(value) and spec[0] <= value <= spec[1]):
            problems.add(f"{key}={value!r} must be in [{spec[0]}, {spec[1]}]")
        return value
    if kind in ("str", "choice"):
        if not isinstance(value, str):
            problems.add(f"{key!r} must be a str; got {type(value).__name__} {_short(value)}", type_problem=True)
            return None
        if len(value) > _MAX_STR:
            problems.add(f"{key!r} is {len(value):,} characters long; at most {_MAX_STR:,}")
        elif kind == "choice" and value not in spec:
            problems.add(f"{key}={_short(value)} must be one of {list(spec)}")
        return value
    return _check_id_list(key, value, problems)


def _check_id_list(key: str, value, problems: _Problems) -> list | None:
    """A list of unique int or str ids, as plain Python values."""
    if not isinstance(value, (list, tuple)):
        problems.add(f"{key!r} must be a list of sample ids; got {type(value).__name__}", type_problem=True)
        return None
    if len(value) > MAX_IDS:
        problems.add(f"{key!r} holds {len(value):,} ids; at most {MAX_IDS:,}")
        return None
    bad = [v for v in value if not (_is_int(v) or isinstance(v, str))]
    if bad:
        problems.add(f"{key!r} must hold int or str ids; got {[_short(b) for b in bad[:5]]}", type_problem=True)
        return None
    out = [int(v) if _is_int(v) else v for v in value]
    if any(isinstance(v, str) for v in out) and any(isinstance(v, int) for v in out):
        problems.add(f"{key!r} mixes int and str ids; use the type of the dataset's ids", type_problem=True)
        return None
    huge = [v for v in out if isinstance(v, int) and not -(2**63) <= v < 2**63]
    if huge:
        problems.add(f"{key!r} has ids out of the int64 range: {fmt_list(huge, limit=3)}")
        return None
    seen, dup = set(), []
    for v in out:
        if v in seen and v not in dup:
            dup.append(v)
        seen.add(v)
    if dup:
        problems.add(f"{key!r} repeats ids {fmt_list(dup)}; each id once")
    too_long = [v for v in out if isinstance(v, str) and len(v) > _MAX_STR]
    if too_long:
        problems.add(f"{key!r} has ids longer than {_MAX_STR:,} characters")
    return out


def _check_membership(key: str, values: list, candidates: np.ndarray, where: str, problems: _Problems) -> None:
    """Ids of the candidates' type (int or str), all among the candidates."""
    if not values:
        return
    cand_int = candidates.dtype.kind in "iu"
    if isinstance(values[0], int) != cand_int:
        kind = "int" if cand_int else "str"
        problems.add(f"{key!r} must hold {kind} ids (the ids of this dataset are {kind}s); got {fmt_list(values, limit=5)}",
                     type_problem=True)
        return
    known = set(candidates.tolist()) if cand_int else {str(c) for c in candidates.tolist()}
    outside = [v for v in values if v not in known]
    if outside:
        problems.add(f"{key!r} has {len(outside)} id(s) that are not {where}: {fmt_list(outside)}")


def validate_session(
    session,
    *,
    datasets: Iterable[str] | None = None,
    collection_of: Callable | None = None,
    encoders: Iterable[str] | None = None,
    ids=None,
    color_choices: Sequence[str] | Callable | None = None,
    required: Iterable[str] = (),
) -> dict:
    """Check a session and return a clean copy.

    Parameters
    ----------
    session : mapping of str to value
        See the module table for keys, types and ranges.
    datasets : iterable of str, optional
        Datasets available now; ``session["dataset"]`` must be one of them.
    collection_of : callable(str) -> Collection, optional
        The collection behind a dataset name. When given, ``enc_a``/``enc_b`` must be
        its encoders, ``anchors`` its train ids, ``highlight`` its ids and
        ``n_anchors`` at most its number of train samples.
    encoders : iterable of str, optional
        Encoder names that exist, when there is no ``collection_of``.
    ids : array-like of shape (n_candidates,), optional
        The ids anchors may take (e.g. the train ids), when there is no
        ``collection_of``; ``n_anchors`` must then be <= ``len(ids)``.
    color_choices : sequence of str or callable(Collection) -> sequence of str, optional
        Accepted ``color_by`` values (a callable is given the dataset's collection).
    required : iterable of str, default=()
        Keys that must be present (a saved file needs ``version`` and ``dataset``).

    Returns
    -------
    dict
        Plain Python values (ints, floats, strs, lists of ids), same keys.

    Raises
    ------
    InvalidTypeError
        When every problem is a wrong type (e.g. ``"seed": "3"``), or ``session`` is
        not a mapping.
    InvalidInputError
        Otherwise: unknown or missing keys, values out of range, an unknown dataset
        or encoder, repeated ids or ids not in the dataset. The message lists every
        problem.
    """
    if not isinstance(session, Mapping):
        raise InvalidTypeError(f"a session must be a JSON object {{...}}; got {type(session).__name__}")
    problems = _Problems()
    out = _validate(session, problems, datasets=datasets, collection_of=collection_of, encoders=encoders, ids=ids,
                    color_choices=color_choices, required=required)
    problems.raise_if_any()
    return out


def _validate(session: Mapping, problems: _Problems, *, datasets=None, collection_of=None, encoders=None, ids=None,
              color_choices=None, required=()) -> dict:
    """:func:`validate_session`, appending to ``problems`` instead of raising."""
    bad_keys = [k for k in session if not isinstance(k, str)]
    unknown = sorted(k for k in session if isinstance(k, str) and k not in FIELDS)
    if bad_keys:
        problems.add(f"keys must be strings; got {[_short(k) for k in bad_keys[:5]]}", type_problem=True)
    if unknown:
        shown = [_short(k) for k in unknown[:5]] + (["..."] if len(unknown) > 5 else [])
        problems.add(f"unknown keys [{', '.join(shown)}] (known: {sorted(FIELDS)})")
    for key in required:
        if key not in session:
            problems.add(f"missing {key!r}" + (f" (this app writes version {SESSION_VERSION})" if key == "version" else ""))
    out = {key: _check_value(key, session[key], field, problems) for key, field in FIELDS.items() if key in session}

    if isinstance(out.get("version"), int) and out["version"] != SESSION_VERSION:
        problems.add(f"version={out['version']} is not supported; this app reads version {SESSION_VERSION}")
    dataset = out.get("dataset") if isinstance(out.get("dataset"), str) else None
    if dataset is not None and datasets is not None:
        known = list(datasets)
        if dataset not in known:
            hint = " (an upload: load its files again on the Data & encoders page first)" if dataset.startswith("upload:") else ""
            problems.add(f"dataset={_short(dataset)} is not available{hint}; available: {known}")
            dataset = None
    coll = None
    if dataset is not None and collection_of is not None:
        try:
            coll = collection_of(dataset)
        except (KeyError, StitchboardError) as exc:
            problems.add(f"dataset={_short(dataset)} cannot be opened: {exc.args[0] if exc.args else exc}")

    anchor_where = highlight_ids = None
    if coll is not None:
        encoders = list(coll.names)
        ids = coll.ids[coll.split == "train"]
        anchor_where = f"train samples of {dataset!r}"
        highlight_ids = np.asarray(coll.ids)
    elif ids is not None:
        ids = np.asarray(list(ids) if not hasattr(ids, "__len__") else ids)
        anchor_where = f"among the {len(ids):,} candidate ids"
    if encoders is not None:
        known = list(encoders)
        for key in ("enc_a", "enc_b"):
            if isinstance(out.get(key), str) and out[key] not in known:
                where = f" of {dataset!r}" if coll is not None else ""
                problems.add(f"{key}={_short(out[key])} is not an encoder{where}; choose from {known}")
    if ids is not None:
        if isinstance(out.get("n_anchors"), int) and out["n_anchors"] > len(ids):
            what = "the train samples" if coll is not None else "the candidate ids"
            problems.add(f"n_anchors={out['n_anchors']} must be in [1, {len(ids)}] ({what})")
        if isinstance(out.get("anchors"), list):
            _check_membership("anchors", out["anchors"], ids, anchor_where, problems)
    if highlight_ids is not None and isinstance(out.get("highlight"), list):
        _check_membership("highlight", out["highlight"], highlight_ids, f"samples of {dataset!r}", problems)
    if callable(color_choices):
        color_choices = color_choices(coll) if coll is not None else None
    if isinstance(out.get("color_by"), str) and color_choices is not None and out["color_by"] not in color_choices:
        problems.add(f"color_by={_short(out['color_by'])} must be one of {list(color_choices)}")
    return out


def to_json(session, *, indent: int | None = None, **context) -> str:
    """Validate, then serialise a session as JSON (sorted keys, UTF-8 text).

    Parameters
    ----------
    session : mapping
    indent : int, optional
        Indentation of the JSON text (compact when None).
    **context
        ``datasets``, ``collection_of``, ``encoders``, ``ids``, ``color_choices``,
        ``required``: see :func:`validate_session`.

    Returns
    -------
    str
    """
    clean = validate_session(session, **context)
    return json.dumps(clean, sort_keys=True, ensure_ascii=False, allow_nan=False, indent=indent)


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
        raise ValueError(f"duplicate keys [{', '.join(dup[:5])}]")
    return out


def from_json(text, *, required: Iterable[str] = ("version", "dataset"), **context) -> dict:
    """Parse and validate a saved session (a file's bytes or a string).

    Parameters
    ----------
    text : str or bytes
        At most :data:`MAX_SESSION_BYTES` bytes of UTF-8 JSON.
    required : iterable of str, default=("version", "dataset")
        Keys a saved file must have; pass ``()`` for a partial session.
    **context
        ``datasets``, ``collection_of``, ``encoders``, ``ids``, ``color_choices``: see
        :func:`validate_session`.

    Returns
    -------
    dict

    Raises
    ------
    FileTooLargeError
        Over :data:`MAX_SESSION_BYTES`.
    LoadError
        Not UTF-8, not JSON, NaN/Infinity literals, repeated keys, nested too deeply.
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
    return validate_session(data, required=required, **context)


def encode_ids(ids) -> str:
    """Ids written compactly for a URL: int runs as ``a-b``; str ids as a JSON list.

    Parameters
    ----------
    ids : iterable of int or of str

    Returns
    -------
    str
    """
    ids = list(ids)
    if not all(_is_int(i) for i in ids):
        return json.dumps([str(i) for i in ids], separators=(",", ":"), ensure_ascii=False)
    ids = [int(i) for i in ids]
    parts, k = [], 0
    while k < len(ids):
        j = k
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        parts.append(str(ids[k]) if j == k else f"{ids[k]}-{ids[j]}")
        k = j + 1
    return ",".join(parts)


def decode_ids(text: str) -> list:
    """Inverse of :func:`encode_ids`: ``"1-3,7"`` -> ``[1, 2, 3, 7]``; ``'["a","b"]'`` -> ``["a", "b"]``.

    Repeated ids are kept (:func:`validate_session` reports them).

    Raises
    ------
    InvalidInputError
        A token that is not an int id or an upward range, more than :data:`MAX_IDS`
        ids, or a JSON list that does not hold strings.
    """
    text = text.strip()
    if text.startswith("["):
        try:
            values = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise InvalidInputError(f"ids {_short(text, 40)} are not a JSON list of strings: {exc}") from None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidInputError(f"ids {_short(text, 40)} are not a JSON list of strings")
        return values
    out: list = []
    for tok in (t.strip() for t in text.split(",")) if text else ():
        m = _RANGE_RE.match(tok)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi < lo or len(out) + hi - lo + 1 > MAX_IDS:
                raise InvalidInputError(f"range {_short(tok, 40)} must go upwards, and at most {MAX_IDS:,} ids in all")
            out.extend(range(lo, hi + 1))
        elif _INT_RE.match(tok):
            out.append(int(tok))
        else:
            raise InvalidInputError(
                f"{_short(tok, 40)} is not an int id; write ids as 3,17,40-45 (or a JSON list of strings)")
        if len(out) > MAX_IDS:
            raise InvalidInputError(f"more than {MAX_IDS:,} ids")
    return out


def to_query(session, **context) -> dict[str, str]:
    """Validate the key choices (:data:`QUERY_FIELDS`) of a session; return them as query values.

    Other keys and None values are left out. ``anchors`` are written by
    :func:`encode_ids`.

    Parameters
    ----------
    session : mapping
    **context
        See :func:`validate_session`.

    Returns
    -------
    dict of str to str
    """
    if not isinstance(session, Mapping):
        raise InvalidTypeError(f"a session must be a mapping; got {type(session).__name__}")
    keys = {k: session[k] for k in QUERY_FIELDS if session.get(k) is not None}
    clean = validate_session(keys, **context)
    return {k: encode_ids(v) if k == "anchors" else str(v) for k, v in clean.items()}


def from_query(params, **context) -> dict:
    """Parse and validate URL query parameters.

    Parameters
    ----------
    params : mapping of str to str, or to a list of str
        E.g. ``{k: st.query_params.get_all(k) for k in st.query_params}``. A key given
        more than once is refused.
    **context
        See :func:`validate_session`.

    Returns
    -------
    dict
        Typed values: ints, floats, strs, ids as lists.

    Raises
    ------
    FileTooLargeError
        A value over :data:`MAX_SESSION_BYTES` characters.
    InvalidTypeError, InvalidInputError
        As :func:`validate_session`; a value that does not parse as its type is a type
        problem, listed with every other problem.
    """
    if not isinstance(params, Mapping):
        raise InvalidTypeError(f"query parameters must be a mapping; got {type(params).__name__}")
    parsed, problems = {}, _Problems()
    for key, raw in params.items():
        if isinstance(raw, (list, tuple)):
            if len(raw) != 1:
                problems.add(f"{_short(key)} is given {len(raw)} times; give it once")
                continue
            raw = raw[0]
        if not isinstance(raw, str):
            problems.add(f"{_short(key)} must be a string in a URL query; got {type(raw).__name__}", type_problem=True)
            continue
        if len(raw) > MAX_SESSION_BYTES:
            raise FileTooLargeError(f"query parameter {_short(key)} is over {MAX_SESSION_BYTES:,} characters")
        kind = FIELDS[key].kind if key in FIELDS else "str"
        if kind == "int":
            parsed[key] = int(raw) if _INT_RE.match(raw.strip()) else raw
        elif kind == "float":
            try:
                parsed[key] = float(raw)
            except ValueError:
                parsed[key] = raw
        elif kind == "ids":
            try:
                parsed[key] = decode_ids(raw)
            except InvalidInputError as exc:
                problems.add(f"{key!r}: {exc}")
        else:
            parsed[key] = raw
    clean = _validate(parsed, problems, **context)
    problems.raise_if_any()
    return clean
