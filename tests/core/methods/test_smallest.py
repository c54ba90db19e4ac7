"""Each row's k smallest entries (core.methods.smallest): the same as a stable full sort."""

import numpy as np
import pytest

from core.methods.smallest import smallest_per_row


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_k_smallest_are_those_of_a_stable_sort(dtype):
    rng = np.random.default_rng(0)
    D = rng.normal(size=(500, 300)).astype(dtype)
    D[:, ::7] = D[:, :1]  # ties: the lower column comes first
    D[:50, 5] = np.inf  # e.g. a query's own column, excluded
    D[50:60, :] = np.inf  # a row of nothing but excluded columns
    for k in (1, 15, 300):
        cols, vals = smallest_per_row(D, k)
        order = np.argsort(D, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(cols, order)
        np.testing.assert_array_equal(vals, np.take_along_axis(D, order, axis=1))
        assert cols.dtype == np.int64 and vals.dtype == dtype


def test_k_out_of_range_is_refused():
    with pytest.raises(ValueError, match=r"k=4 must be in \[1, n_cols=3\]"):
        smallest_per_row(np.zeros((2, 3), dtype=np.float32), 4)
