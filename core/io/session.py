"""A dashboard session: the user's key choices as JSON, checked before use.

A session is a flat JSON object, e.g. ``{"version": 1, "dataset": "digits", "enc_a":
"mlp-s0", "enc_b": "mlp-s1", "anchors": [3, 17, 42], ...}``. The key choices also travel
in a URL query string (:mod:`core.io.session_query`). Anything read back may have been
edited by hand, so :func:`validate_session` accepts a session only when every key is
known, every value has the right type and range and, given a context, the dataset,
encoders and ids exist. Otherwise it raises one error listing every problem, so the
caller keeps its current state. Nothing here imports streamlit.

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
pick_mode      str                  ``inspect``, ``anchors``, ``highlight``
=============  ===================  ==================================================

Ids are all ints or all strs, of the dataset's id type. Strings are at most 1,000
characters, a session JSON at most 1 MB; NaN/Infinity literals and repeated keys (in JSON
or in a query string) are refused.

Examples
--------
>>> s = from_json('{"version": 1, "dataset": "digits", "anchors": [3, 1, 4], "seed": 0}', ids=range(10))
>>> s["anchors"]
[3, 1, 4]
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from ..methods.anchors import STRATEGIES
from ..errors import InvalidInputError, InvalidTypeError, LoadError, StitchboardError
from ..limits import MAX_IDS, MAX_SESSION_BYTES, MAX_SESSION_STRING, Limit
from ..maps.layout import LAYOUT_METHODS
from ..validation import fmt_list

__all__ = [
    "SESSION_VERSION",
    "FIELDS",
    "validate_session",
    "to_json",
    "from_json",
]

#: Version written by this code; other versions are refused with a message.
SESSION_VERSION = 1


class Field(NamedTuple):
    """A session key: its kind (``int``, ``float``, ``str``, ``choice``, ``ids``), bounds or choices, meaning.

    A bound may be a :class:`~core.limits.Limit`, read when a session is checked.
    """

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
    "pick_mode": Field("choice", ("inspect", "anchors", "highlight"), "what a map selection does"),
}


def short_repr(v, limit: int = 60) -> str:
    """``repr(v)``, cut to ``limit`` characters (messages echo user input)."""
    r = repr(v)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def is_int(v) -> bool:
    """An int (Python or numpy), not a bool."""
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


class Problems(list):
    """``(is_type_problem, message)`` pairs, raised together as one error."""

    def add(self, message: str, *, type_problem: bool = False) -> None:
        self.append((type_problem, message))

    def raise_if_any(self) -> None:
        if self:
            err = InvalidTypeError if all(t for t, _ in self) else InvalidInputError
            raise err("invalid session: " + "; ".join(m for _, m in self))


def _check_value(key: str, value, field: Field, problems: Problems):
    """The value as a plain Python value, or None with a problem recorded."""
    kind, spec = field.kind, field.spec
    if kind == "int":
        if not is_int(value):
            problems.add(f"{key!r} must be an int; got {type(value).__name__} {short_repr(value)}", type_problem=True)
            return None
        value = int(value)
        lo, hi = (b.value if isinstance(b, Limit) else b for b in spec) if spec is not None else (None, None)
        if spec is not None and not lo <= value <= hi:
            problems.add(f"{key}={value} must be in [{lo}, {hi}]")
        return value
    if kind == "float":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
            problems.add(f"{key!r} must be a number; got {type(value).__name__} {short_repr(value)}", type_problem=True)
            return None
        value = float(value)
        if not (np.isfinite(value) and spec[0] <= value <= spec[1]):
            problems.add(f"{key}={value!r} must be in [{spec[0]}, {spec[1]}]")
        return value
    if kind in ("str", "choice"):
        if not isinstance(value, str):
            problems.add(f"{key!r} must be a str; got {type(value).__name__} {short_repr(value)}", type_problem=True)
            return None
        if len(value) > MAX_SESSION_STRING.value:
            problems.add(f"{key!r} is {len(value):,} characters long; at most {MAX_SESSION_STRING.value:,} "
                         f"({MAX_SESSION_STRING.how_to_raise})")
        elif kind == "choice" and value not in spec:
            problems.add(f"{key}={short_repr(value)} must be one of {list(spec)}")
        return value
    return _check_id_list(key, value, problems)


def _check_id_list(key: str, value, problems: Problems) -> list | None:
    """A list of unique int or str ids, as plain Python values."""
    if not isinstance(value, (list, tuple)):
        problems.add(f"{key!r} must be a list of sample ids; got {type(value).__name__}", type_problem=True)
        return None
    if len(value) > MAX_IDS.value:
        problems.add(f"{key!r} holds {len(value):,} ids; at most {MAX_IDS.value:,} ({MAX_IDS.how_to_raise})")
        return None
    bad = [v for v in value if not (is_int(v) or isinstance(v, str))]
    if bad:
        problems.add(f"{key!r} must hold int or str ids; got {[short_repr(b) for b in bad[:5]]}", type_problem=True)
        return None
    out = [int(v) if is_int(v) else v for v in value]
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
    too_long = [v for v in out if isinstance(v, str) and len(v) > MAX_SESSION_STRING.value]
    if too_long:
        problems.add(f"{key!r} has ids longer than {MAX_SESSION_STRING.value:,} characters "
                     f"({MAX_SESSION_STRING.how_to_raise})")
    return out


def _check_membership(key: str, values: list, candidates: np.ndarray, where: str, problems: Problems) -> None:
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
    problems = Problems()
    out = validate_into(session, problems, datasets=datasets, collection_of=collection_of, encoders=encoders, ids=ids,
                        color_choices=color_choices, required=required)
    problems.raise_if_any()
    return out


def validate_into(session: Mapping, problems: Problems, *, datasets=None, collection_of=None, encoders=None,
                  ids=None, color_choices=None, required=()) -> dict:
    """:func:`validate_session`, appending to ``problems`` instead of raising."""
    bad_keys = [k for k in session if not isinstance(k, str)]
    unknown = sorted(k for k in session if isinstance(k, str) and k not in FIELDS)
    if bad_keys:
        problems.add(f"keys must be strings; got {[short_repr(k) for k in bad_keys[:5]]}", type_problem=True)
    if unknown:
        shown = [short_repr(k) for k in unknown[:5]] + (["..."] if len(unknown) > 5 else [])
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
            problems.add(f"dataset={short_repr(dataset)} is not available{hint}; available: {known}")
            dataset = None
    coll = None
    if dataset is not None and collection_of is not None:
        try:
            coll = collection_of(dataset)
        except (KeyError, StitchboardError) as exc:
            problems.add(f"dataset={short_repr(dataset)} cannot be opened: {exc.args[0] if exc.args else exc}")

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
                problems.add(f"{key}={short_repr(out[key])} is not an encoder{where}; choose from {known}")
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
        problems.add(f"color_by={short_repr(out['color_by'])} must be one of {list(color_choices)}")
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


def refuse_constant(name):
    """``parse_constant`` of :func:`json.loads`: NaN and Infinity literals are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicates(pairs):
    out = dict(pairs)
    if len(out) != len(pairs):
        seen, dup = set(), []
        for k, _ in pairs:
            if k in seen:
                dup.append(short_repr(k))
            seen.add(k)
        raise ValueError(f"duplicate keys [{', '.join(dup[:5])}]")
    return out


def from_json(text, *, required: Iterable[str] = ("version", "dataset"), **context) -> dict:
    """Parse and validate a saved session (a file's bytes or a string).

    Parameters
    ----------
    text : str or bytes
        At most :data:`core.limits.MAX_SESSION_BYTES` bytes of UTF-8 JSON.
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
        Over :data:`core.limits.MAX_SESSION_BYTES`.
    LoadError
        Not UTF-8, not JSON, NaN/Infinity literals, repeated keys, nested too deeply.
    InvalidTypeError, InvalidInputError
        As :func:`validate_session`.
    """
    if isinstance(text, (bytes, bytearray)):
        MAX_SESSION_BYTES.check(len(text), "session JSON")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LoadError(f"session JSON is not UTF-8 text ({exc})") from None
    if not isinstance(text, str):
        raise InvalidTypeError(f"session JSON must be str or bytes; got {type(text).__name__}")
    MAX_SESSION_BYTES.check(len(text.encode("utf-8", "surrogatepass")), "session JSON")
    try:
        data = json.loads(text, parse_constant=refuse_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise LoadError("session JSON is nested too deeply; a session is a flat object") from None
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, duplicate keys
        raise LoadError(f"session JSON cannot be read: {exc}") from None
    return validate_session(data, required=required, **context)
