"""Input validation shared by every core entry point.

Each helper raises one of the documented :mod:`core.errors` types with a message that
names the argument, what is wrong with it and how to fix it. Nothing here is specific to
one algorithm: shapes, dtypes, finiteness, ids, ints and choices.

Dtype policy (:func:`float_dtype_for`): float32 and float64 are kept as they are; other
numeric dtypes take numpy's safe promotion with float32, the smallest float that holds
every value exactly: float16, bool and 8/16-bit integers become float32, 32/64-bit
integers float64. Computing in float16 would overflow at 65,504, and casting 64-bit
integers to float32 would silently round those beyond ``2**24``.
Complex, string, datetime and other non-numeric dtypes are refused; object arrays are
converted to float64 when every element is a real number.
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Iterable

import numpy as np
from sklearn.exceptions import NotFittedError

from .errors import InvalidInputError, InvalidTypeError, LoadError, MismatchError
from .limits import MAX_JSON_DEPTH, MAX_JSON_DIGITS

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')

__all__ = [
    "NotFittedYetError",
    "as_vectors",
    "as_1d",
    "check_finite",
    "float_dtype_for",
    "safe_row_norms",
    "unit_rows",
    "check_int",
    "check_number",
    "check_choice",
    "check_bool",
    "fmt_list",
    "parse_json",
]


class NotFittedYetError(InvalidInputError, NotFittedError):
    """An estimator used before ``fit``: ours, and scikit-learn's ``NotFittedError`` too."""


def fmt_list(values: Iterable, *, limit: int = 10) -> str:
    """``[a, b, c]`` of the first ``limit`` values, plus ``...`` and the total when cut."""
    values = list(values)
    shown = [v.item() if isinstance(v, np.generic) else v for v in values[:limit]]
    more = f" ... ({len(values)} in all)" if len(values) > limit else ""
    return f"{shown}{more}"


def _to_array(X, name: str, var: str) -> np.ndarray:
    if hasattr(X, "tocsr") and hasattr(X, "toarray"):  # scipy.sparse, without importing it
        raise InvalidTypeError(f"{name} is a sparse matrix, which is not supported; pass a dense array ({var}.toarray())")
    try:
        return np.asarray(X)
    except ValueError:  # ragged nested lists
        raise InvalidInputError(
            f"{name} cannot be read as an array: its rows have different lengths; pass a rectangular "
            "(n_samples, n_dims) array, every row the same length"
        ) from None
    except TypeError as exc:  # objects numpy cannot hold
        raise InvalidTypeError(f"{name} cannot be read as an array ({exc}); pass a numeric (n_samples, n_dims) array") from None


def float_dtype_for(M: np.ndarray, *, name: str = "X") -> np.dtype:
    """The floating dtype ``M`` is computed in (see the module's dtype policy).

    Raises
    ------
    InvalidInputError
        Complex values (not supported, whatever the values).
    InvalidTypeError
        Strings, dates, structured or other non-numeric dtypes.
    """
    kind = M.dtype.kind
    if M.dtype in (np.float32, np.float64):
        return M.dtype
    if kind == "f":  # float16 and longdouble
        return np.dtype(np.float32 if M.dtype.itemsize < 4 else np.float64)
    if kind in "biu":  # safe: int8/16, uint8/16, bool -> float32; wider ints -> float64
        return np.promote_types(M.dtype, np.float32)
    if kind == "c":
        raise InvalidInputError(
            f"Complex data not supported: {name} has dtype {M.dtype}; pass real vectors, e.g. {name}.real or np.abs({name})"
        )
    raise InvalidTypeError(
        f"{name} has dtype {M.dtype}, which is not numeric; pass float, int or bool vectors "
        "(convert text columns to numbers or drop them first)"
    )


def _to_float(M: np.ndarray, name: str) -> np.ndarray:
    if M.dtype.kind == "O":
        try:
            M = M.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidTypeError(
                f"{name} has dtype object with non-numeric elements ({exc}); convert or drop the text first"
            ) from None
        return M
    dtype = float_dtype_for(M, name=name)
    return M if M.dtype == dtype else M.astype(dtype)


def _describe_rows(rows: np.ndarray, ids) -> str:
    rows = np.asarray(rows)
    if ids is None:
        return f"rows {fmt_list(rows)}"
    return f"rows with ids {fmt_list(np.asarray(ids)[rows])}"


#: Rows per block of :func:`check_finite`.
_FINITE_BLOCK = 8192


def check_finite(M: np.ndarray, *, name: str = "X", ids=None) -> None:
    """Raise :class:`InvalidInputError` naming the rows of ``M`` that hold NaN or Inf.

    Parameters
    ----------
    M : ndarray of shape (n, d), floating
    name : str
        How the message calls ``M``.
    ids : array-like of shape (n,), optional
        Sample ids of the rows; the message names ids instead of row positions.
    """
    bad = []
    for s in range(0, len(M), _FINITE_BLOCK):  # no mask the size of M: its first touch costs seconds per GB
        chunk = M[s:s + _FINITE_BLOCK]
        ok = np.isfinite(chunk).reshape(len(chunk), -1).all(axis=1)
        if not ok.all():
            bad.append(np.flatnonzero(~ok) + s)
    if not bad:
        return
    rows = np.concatenate(bad)
    raise InvalidInputError(
        f"{name} contains NaN or Inf in {_describe_rows(rows, ids)}; clean or drop those rows first"
    )


def as_vectors(
    X,
    *,
    name: str = "X",
    ids=None,
    min_rows: int = 1,
    min_dims: int = 1,
    finite: bool = True,
    var: str | None = None,
) -> np.ndarray:
    """``X`` as a 2-D float32/float64 array, validated.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
    name : str, default="X"
        How messages call ``X``.
    ids : array-like of shape (n_samples,), optional
        Sample ids, so that messages name ids rather than row positions.
    min_rows : int, default=1
    min_dims : int, default=1
    finite : bool, default=True
        Check for NaN/Inf (callers that detect them more cheaply pass False).
    var : str, optional
        The variable name used in code hints (``X.reshape(1, -1)``); ``name`` by default.

    Returns
    -------
    ndarray of shape (n_samples, n_dims), float32 or float64
        ``X`` itself when it already is a float32/float64 ndarray.

    Raises
    ------
    InvalidInputError
        Not 2-D, too few rows or dims, NaN/Inf, complex values, ragged rows.
    InvalidTypeError
        Non-numeric dtype.
    """
    var = name if var is None else var
    M = _to_array(X, name, var)
    if M.ndim != 2:
        hint = {
            0: "pass a 2-D array of shape (n_samples, n_dims)",
            1: f"Reshape your data: {var}.reshape(1, -1) for one sample, {var}.reshape(-1, 1) for one feature",
        }.get(M.ndim, f"flatten each sample first: {var}.reshape(len({var}), -1)")
        raise InvalidInputError(f"{name} must be 2-D (n_samples, n_dims); got shape {M.shape}: {hint}")
    if M.shape[0] < min_rows:
        what = "is empty: 0" if M.shape[0] == 0 else f"has {M.shape[0]}"
        raise InvalidInputError(
            f"{name} {what} sample(s) (shape={M.shape}) while a minimum of {min_rows} is required; pass more rows"
        )
    if M.shape[1] < min_dims:
        raise InvalidInputError(
            f"{name} has {M.shape[1]} feature(s) (shape={M.shape}) while a minimum of {min_dims} is required; "
            "every sample needs at least one dimension"
        )
    M = _to_float(M, name)
    if finite:
        check_finite(M, name=name, ids=ids)
    return M


def as_1d(values, n: int, *, name: str, each: str = "one per row", error=MismatchError) -> np.ndarray:
    """``values`` as an array of shape (n,); ``error`` names ``name`` and says ``each`` when the shape differs."""
    try:
        values = np.asarray(values)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"{name} cannot be read as a 1-D array ({exc})") from None
    if values.shape != (n,):
        raise error(f"{name} must have shape ({n},), {each}; got {values.shape}")
    return values


def safe_row_norms(M: np.ndarray) -> np.ndarray:
    """L2 norm of every row, without overflow or underflow (float64).

    Each row is divided by its largest magnitude first, so rows of 1e200 or 1e-200
    get their true norm (``inf`` only when the norm itself exceeds float64).
    """
    M = np.asarray(M, dtype=np.float64)
    m = np.abs(M).max(axis=1) if M.shape[1] else np.zeros(M.shape[0])
    safe = np.where(m > 0, m, 1.0)
    with np.errstate(over="ignore"):
        return np.sqrt(np.einsum("ij,ij->i", M / safe[:, None], M / safe[:, None])) * m


def unit_rows(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows scaled to unit L2 norm, robust to huge and tiny values.

    Parameters
    ----------
    M : ndarray of shape (n, d), finite

    Returns
    -------
    U : ndarray of shape (n, d), float64
        ``M[i] / |M[i]|``; all-zero rows stay zero.
    zero : ndarray of shape (n,), bool
        Which rows are all zero.
    """
    M = np.asarray(M, dtype=np.float64)
    m = np.abs(M).max(axis=1) if M.shape[1] else np.zeros(M.shape[0])
    zero = m == 0
    S = M / np.where(zero, 1.0, m)[:, None]  # max |entry| of each row is now 1
    n = np.sqrt(np.einsum("ij,ij->i", S, S))
    return S / np.where(zero, 1.0, n)[:, None], zero


def check_int(value, *, name: str, low: int | None = None, high: int | None = None, error=InvalidInputError) -> int:
    """``value`` as a Python int in ``[low, high]``.

    Raises
    ------
    InvalidTypeError
        Not an int (bools and floats are refused: ``2.5`` is not a count).
    ``error`` (default InvalidInputError)
        Out of range; the message gives the bound.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise InvalidTypeError(f"{name}={value!r} must be an int")
    value = int(value)
    if low is not None and value < low:
        raise error(f"{name}={value} must be >= {low}")
    if high is not None and value > high:
        raise error(f"{name}={value} must be <= {high}")
    return value


def check_number(value, *, name: str, low=None, high=None, low_open=False, high_open=False) -> float:
    """``value`` as a finite Python float within the given bounds.

    Raises
    ------
    InvalidTypeError
        Not a real number (bools refused).
    InvalidInputError
        NaN/Inf or out of range.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise InvalidTypeError(f"{name}={value!r} must be a number")
    given, value = value, float(value)
    if not np.isfinite(value):
        raise InvalidInputError(f"{name}={given!r} must be a finite number")
    if low is not None and (value <= low if low_open else value < low):
        raise InvalidInputError(f"{name}={given!r} must be {'>' if low_open else '>='} {low}")
    if high is not None and (value >= high if high_open else value > high):
        raise InvalidInputError(f"{name}={given!r} must be {'<' if high_open else '<='} {high}")
    return value


def check_bool(value, *, name: str) -> bool:
    """``value`` as a bool; anything but True/False raises :class:`InvalidTypeError`."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{name}={value!r} must be True or False")
    return bool(value)


def check_choice(value, *, name: str, choices, allow_none: bool = False):
    """``value`` if it is one of ``choices`` (compared as plain strings), else raise.

    Raises
    ------
    InvalidTypeError
        Not a str (nor None when ``allow_none``).
    InvalidInputError
        A str that is not one of ``choices``.
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise InvalidTypeError(f"{name}={value!r} must be a str, one of {list(choices)}")
    if value not in choices:
        raise InvalidInputError(f"{name}={value!r} is not supported; choose one of {list(choices)}")
    return value


def _json_number(kind, limit: int):
    def parse(text: str):
        if len(text) > limit:
            raise LoadError(f"a number of {len(text):,} characters is over {MAX_JSON_DIGITS.describe(limit)}")
        return kind(text)

    return parse


def parse_json(text, *, what: str):
    """Parse JSON from the user with limits on nesting and number length.

    Parameters
    ----------
    text : str or bytes
    what : str
        Named in messages, e.g. ``"enc.json (the sidecar)"``.

    Raises
    ------
    LoadError
        Not UTF-8, not JSON, nested deeper than :data:`core.limits.MAX_JSON_DEPTH` or a
        number longer than :data:`core.limits.MAX_JSON_DIGITS`, each named with its setting.
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LoadError(f"{what}: not UTF-8 text ({exc})") from None
    # nesting counted before parsing, outside strings: json's recursion would overflow first
    bare = _JSON_STRING.sub("", text)
    max_depth, max_digits = MAX_JSON_DEPTH.value, MAX_JSON_DIGITS.value
    level = deepest = 0
    for ch in re.findall(r"[\[\]{}]", bare):
        level += 1 if ch in "[{" else -1
        deepest = max(deepest, level)
        if deepest > max_depth:
            raise LoadError(f"{what}: JSON nested over {MAX_JSON_DEPTH.describe(max_depth)}")
    try:
        return json.loads(text, parse_int=_json_number(int, max_digits), parse_float=_json_number(float, max_digits))
    except LoadError as exc:
        raise LoadError(f"{what}: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise LoadError(f"{what}: not valid JSON ({exc})") from None
