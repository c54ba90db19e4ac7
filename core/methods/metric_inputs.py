"""Checked inputs of the space-to-space metrics: two parallel spaces, a neighbourhood size.

Shared by :mod:`core.methods.metrics` and :mod:`core.methods.cka` (an internal API, not
exported).
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError, MismatchError
from ..validation import as_vectors, check_finite, check_int, unit_rows

__all__ = ["check_pair", "centred_pair", "check_k", "unit", "topk"]


def check_pair(X, Y, *, same_dims: bool = False, min_samples: int = 2, what: str = "this metric"):
    """Two parallel spaces as float64 arrays, validated.

    Every metric here is invariant to a global rescaling of X (and of Y), so a space
    whose products could overflow or underflow float64 (max |value| beyond 1e30 or
    below 1e-30) is divided by its largest magnitude first.
    """
    X = as_vectors(X, name="X", finite=False).astype(np.float64, copy=False)
    Y = as_vectors(Y, name="Y", finite=False).astype(np.float64, copy=False)
    if X.shape[0] != Y.shape[0]:
        raise MismatchError(
            f"X has {X.shape[0]} rows but Y has {Y.shape[0]}; pass parallel spaces (same samples, same order)"
        )
    if X.shape[0] < min_samples:
        raise InvalidInputError(f"n_samples={X.shape[0]} must be >= {min_samples} for {what}")
    if same_dims and X.shape[1] != Y.shape[1]:
        raise MismatchError(
            f"dims differ ({X.shape[1]} vs {Y.shape[1]}): this metric compares coordinates directly; "
            "compare relative spaces, or use a geometry metric (CKA, mutual kNN, ...)"
        )
    check_finite(X, name="X")
    check_finite(Y, name="Y")
    return _rescaled(X), _rescaled(Y)


def centred_pair(X, Y, **kw) -> tuple[np.ndarray, np.ndarray, bool]:
    """:func:`check_pair` (same keywords), then column-centred: ``(Xc, Yc, wide)``.

    ``wide`` is True when a space has more dims than samples: the metric is then cheaper
    through (n, n) Gram matrices than through (d_x, d_y) cross-covariances.
    """
    X, Y = check_pair(X, Y, **kw)
    return X - X.mean(0), Y - Y.mean(0), max(X.shape[1], Y.shape[1]) > X.shape[0]


def _rescaled(M: np.ndarray) -> np.ndarray:
    top = float(np.abs(M).max())
    return M / top if (top > 1e30 or 0 < top < 1e-30) else M


def unit(M):
    """Rows scaled to unit L2 norm (all-zero rows stay zero)."""
    return unit_rows(M)[0]


def check_k(k, n, *, exclude_self=False, name="k"):
    """``k`` must be an int in [1, n] ([1, n - 1] when a sample is not its own neighbour)."""
    limit = n - 1 if exclude_self else n
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= limit:
        check_int(k, name=name)  # the type error first
        raise InvalidInputError(f"{name}={k!r} must be an int in [1, {limit}]; lower {name} or pass more samples")


def topk(S, k):
    """Column positions of the k largest entries of each row (unordered)."""
    return np.argpartition(-S, k - 1, axis=1)[:, :k]
