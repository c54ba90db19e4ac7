"""A session in a URL query string: the key choices, anchors written compactly as ``3,17,40-45``.

Only :data:`QUERY_FIELDS` travel in a link. Values are parsed to their type, then
checked by :func:`~core.io.session.validate_session`, so a hand-edited link is refused
with one error listing every problem, parse errors included; a key given more than once
is refused.

Examples
--------
>>> q = to_query({"version": 1, "dataset": "digits", "anchors": [3, 1, 4], "seed": 0}, ids=range(10))
>>> q["anchors"]
'3,1,4'
>>> from_query(q, ids=range(10))["anchors"]
[3, 1, 4]
>>> encode_ids([1, 2, 3, 7, 9, 10])
'1-3,7,9-10'
>>> decode_ids('1-3,7')
[1, 2, 3, 7]
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from ..errors import InvalidInputError, InvalidTypeError
from ..limits import MAX_IDS, MAX_SESSION_BYTES
from .session import (
    FIELDS,
    Problems,
    is_int,
    refuse_constant,
    short_repr,
    validate_into,
    validate_session,
)

__all__ = ["QUERY_FIELDS", "to_query", "from_query", "encode_ids", "decode_ids"]

#: Fields carried in the URL query string (the key choices), in this order.
QUERY_FIELDS = ("dataset", "enc_a", "enc_b", "anchors", "strategy", "n_anchors", "seed", "method")

_INT_RE = re.compile(r"^[+-]?\d{1,20}$")
_RANGE_RE = re.compile(r"^(\d{1,20})-(\d{1,20})$")


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
    if not all(is_int(i) for i in ids):
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
        A token that is not an int id or an upward range, more than :data:`core.limits.MAX_IDS`
        ids, or a JSON list that does not hold strings.
    """
    text = text.strip()
    if text.startswith("["):
        try:
            values = json.loads(text, parse_constant=refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise InvalidInputError(f"ids {short_repr(text, 40)} are not a JSON list of strings: {exc}") from None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidInputError(f"ids {short_repr(text, 40)} are not a JSON list of strings")
        return values
    out: list = []
    max_ids = MAX_IDS.value
    for tok in (t.strip() for t in text.split(",")) if text else ():
        m = _RANGE_RE.match(tok)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi < lo or len(out) + hi - lo + 1 > max_ids:
                raise InvalidInputError(f"range {short_repr(tok, 40)} must go upwards, and at most "
                                        f"{MAX_IDS.describe(max_ids)} in all")
            out.extend(range(lo, hi + 1))
        elif _INT_RE.match(tok):
            out.append(int(tok))
        else:
            raise InvalidInputError(
                f"{short_repr(tok, 40)} is not an int id; write ids as 3,17,40-45 (or a JSON list of strings)")
        if len(out) > max_ids:
            raise InvalidInputError(f"more than {MAX_IDS.describe(max_ids)}")
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
        A value over :data:`core.limits.MAX_SESSION_BYTES` characters.
    InvalidTypeError, InvalidInputError
        As :func:`validate_session`; a value that does not parse as its type is a type
        problem, listed with every other problem.
    """
    if not isinstance(params, Mapping):
        raise InvalidTypeError(f"query parameters must be a mapping; got {type(params).__name__}")
    parsed, problems = {}, Problems()
    for key, raw in params.items():
        if isinstance(raw, (list, tuple)):
            if len(raw) != 1:
                problems.add(f"{short_repr(key)} is given {len(raw)} times; give it once")
                continue
            raw = raw[0]
        if not isinstance(raw, str):
            problems.add(f"{short_repr(key)} must be a string in a URL query; got {type(raw).__name__}", type_problem=True)
            continue
        MAX_SESSION_BYTES.check(len(raw), f"query parameter {short_repr(key)}")
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
    clean = validate_into(parsed, problems, **context)
    problems.raise_if_any()
    return clean
