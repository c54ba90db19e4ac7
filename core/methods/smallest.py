"""The k smallest entries of each row of a matrix, in order: the selection step of every kNN lookup.

A kNN lookup among the landmarks of a 1M-point map selects 15 of about 1,100 candidates for each of
a million rows. One pass per row keeps a sorted list of the k best so far, and most entries fail its
first comparison: less work than ``np.argpartition`` followed by a sort of the kept entries. Compiled
by numba once (cached on disk), it releases the GIL, so the lookups' two threads select at once.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["smallest_per_row"]


def smallest_per_row(D, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of the ``k`` smallest entries of each row, ascending.

    Parameters
    ----------
    D : ndarray of shape (n_rows, n_cols)
        No NaN (``inf`` is fine: it is never kept before a finite entry).
    k : int
        ``1 <= k <= n_cols``.

    Returns
    -------
    columns : ndarray of shape (n_rows, k), int64
    values : ndarray of shape (n_rows, k), D's dtype
        Ties keep the lower column first.
    """
    D = np.ascontiguousarray(D)
    k = int(k)
    if not 1 <= k <= D.shape[1]:
        raise ValueError(f"k={k} must be in [1, n_cols={D.shape[1]}]")
    cols = np.empty((D.shape[0], k), dtype=np.int64)
    vals = np.empty((D.shape[0], k), dtype=D.dtype)
    _select(D, k, cols, vals)
    return cols, vals


@numba.njit(nogil=True, cache=True)
def _select(D, k, cols, vals):
    n_rows, n_cols = D.shape
    for i in range(n_rows):
        row, cs, vs = D[i], cols[i], vals[i]
        for j in range(k):  # the first k, sorted by insertion
            _insert(cs, vs, j, row[j], j)
        worst = vs[k - 1]
        for j in range(k, n_cols):
            v = row[j]
            if v < worst:  # most entries stop here
                _insert(cs, vs, k - 1, v, j)
                worst = vs[k - 1]


@numba.njit(inline="always")
def _insert(cs, vs, p, v, j):
    """Put ``v`` (column ``j``) into the sorted ``vs[:p + 1]``, whose slot ``p`` is free."""
    while p > 0 and v < vs[p - 1]:  # strict: equal values keep column order
        vs[p] = vs[p - 1]
        cs[p] = cs[p - 1]
        p -= 1
    vs[p] = v
    cs[p] = j
