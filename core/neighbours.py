"""k-nearest-neighbour lookup of one sample in a space, and the overlap of two lookups."""

from __future__ import annotations

import numpy as np

from .errors import InvalidInputError

__all__ = ["nearest_neighbours", "neighbour_overlap"]


def nearest_neighbours(X, query: int, *, k: int = 10, exclude_self: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``X`` most cosine-similar to row ``query``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
    query : int
        Row position of the sample looked up.
    k : int, default=10
        ``1 <= k <= n_samples - 1`` (``n_samples`` when the query itself is kept).
    exclude_self : bool, default=True
        Leave the query out of its own neighbours.

    Returns
    -------
    positions : ndarray of shape (k,), int
        Row positions, most similar first (ties broken by position).
    similarities : ndarray of shape (k,)
        Their cosine similarity to the query.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    >>> nearest_neighbours(X, 0, k=2)[0].tolist()
    [1, 2]
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise InvalidInputError(f"X must be 2-D (n_samples, n_dims); got shape {X.shape}")
    n = X.shape[0]
    if not 0 <= int(query) < n:
        raise InvalidInputError(f"query={query} must be a row position in [0, {n})")
    limit = n - 1 if exclude_self else n
    if isinstance(k, bool) or not 1 <= int(k) <= limit:
        raise InvalidInputError(f"k={k} must be in [1, {limit}]")
    norms = np.linalg.norm(X, axis=1)
    norms[norms == 0] = 1.0
    sims = (X @ X[int(query)]) / (norms * norms[int(query)])
    if exclude_self:
        sims[int(query)] = -np.inf
    order = np.lexsort((np.arange(n), -sims))[: int(k)]
    return order, sims[order]


def neighbour_overlap(a, b) -> float:
    """``|a ∩ b| / |a|`` for two neighbour lists of the same length (0 for empty lists)."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise InvalidInputError(f"neighbour lists must have the same length; got {len(a)} and {len(b)}")
    return len(set(a) & set(b)) / len(a) if a else 0.0
