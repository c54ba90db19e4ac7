import numpy as np
import pytest

from core import relative_projection
from core.methods.relative_estimator import RelativeProjection


@pytest.mark.parametrize("d", [16, 200])  # narrow (normalise X blocks) and wide (scale output) paths
def test_blocked_kernel_matches_naive_across_blocks(monkeypatch, d):
    import core.methods.similarities as cs

    monkeypatch.setattr(cs, "_BLOCK_ROWS_NARROW", 7)
    monkeypatch.setattr(cs, "_BLOCK_ROWS_WIDE", 7)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, d)).astype(np.float32)
    A = rng.normal(size=(9, d)).astype(np.float32)
    naive = (X / np.linalg.norm(X, axis=1, keepdims=True)) @ (A / np.linalg.norm(A, axis=1, keepdims=True)).T
    np.testing.assert_allclose(relative_projection(X, A), naive, rtol=1e-5, atol=1e-6)
    X[23, 3] = np.inf
    with pytest.raises(ValueError, match=r"NaN or Inf in rows \[23\]"):
        relative_projection(X, A)


def test_huge_finite_float32_values_do_not_overflow():
    X = np.array([[3e19, 4e19], [1.0, 0.0]], dtype=np.float32)  # squares overflow float32
    A = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    R = relative_projection(X, A)
    assert R.dtype == np.float32
    np.testing.assert_allclose(R, [[0.6, 0.8], [1.0, 0.0]], rtol=1e-6)


def _reference(X, A):
    """``normalize(X) @ normalize(A).T`` in float64: the definition the fast paths must match."""
    X, A = np.asarray(X, np.float64), np.asarray(A, np.float64)
    return (X / np.linalg.norm(X, axis=1, keepdims=True)) @ (A / np.linalg.norm(A, axis=1, keepdims=True)).T


@pytest.mark.parametrize("seed", range(6))
def test_fast_paths_equal_the_reference_over_random_shapes(monkeypatch, seed):
    """Random (n, d, k), block sizes that do not divide n, float32 and float64, narrow
    and wide rows: equal to the reference to 1e-5."""
    import core.methods.similarities as cs

    rng = np.random.default_rng(seed)
    n, d, k = int(rng.integers(1, 400)), int(rng.choice([3, 17, 64, 129, 300])), int(rng.integers(1, 40))
    block = int(rng.integers(2, 50))
    monkeypatch.setattr(cs, "_BLOCK_ROWS_NARROW", block)
    monkeypatch.setattr(cs, "_BLOCK_ROWS_WIDE", block + 3)
    for dtype in (np.float32, np.float64):
        X = (rng.normal(size=(n, d)) * rng.uniform(0.1, 10, size=(n, 1))).astype(dtype)
        A = rng.normal(size=(k, d)).astype(dtype)
        R = relative_projection(X, A)
        assert R.dtype == dtype and R.shape == (n, k)
        np.testing.assert_allclose(R, _reference(X, A), rtol=0, atol=1e-5)
        # the estimator and the angular similarity go through the same kernel
        np.testing.assert_allclose(RelativeProjection().fit(A).transform(X), R, rtol=0, atol=1e-6)
        ang = relative_projection(X, A, similarity="angular")
        np.testing.assert_allclose(ang, 1 - np.arccos(np.clip(_reference(X, A), -1, 1)) / np.pi, rtol=0, atol=1e-4)


def test_fast_paths_do_not_copy_or_modify_x(monkeypatch):
    """X is read in place: a read-only, non-contiguous view works and is left untouched."""
    import core.methods.similarities as cs

    monkeypatch.setattr(cs, "_BLOCK_ROWS_WIDE", 16)
    rng = np.random.default_rng(1)
    base = rng.normal(size=(101, 300)).astype(np.float32)
    X = base[::2]  # a strided view, 51 rows
    X.flags.writeable = False
    A = rng.normal(size=(7, 300)).astype(np.float32)
    before = X.copy()
    np.testing.assert_allclose(relative_projection(X, A), _reference(X, A), rtol=0, atol=1e-5)
    assert np.array_equal(X, before)


def test_wide_path_reports_bad_rows(monkeypatch):
    import core.methods.similarities as cs

    monkeypatch.setattr(cs, "_BLOCK_ROWS_WIDE", 8)
    rng = np.random.default_rng(3)
    X, A = rng.normal(size=(30, 300)).astype(np.float32), rng.normal(size=(4, 300)).astype(np.float32)
    X[17, 5] = np.nan
    with pytest.raises(ValueError, match=r"NaN or Inf in rows \[17\]"):
        relative_projection(X, A)
    X[17, 5] = 0.0
    X[21] = 0.0
    with pytest.raises(ValueError, match=r"rows \[21\] of X are all zero"):
        relative_projection(X, A)
    X[21] = 1e30  # finite, but the float32 squares overflow
    R = relative_projection(X, A)
    np.testing.assert_allclose(R, _reference(X, A), rtol=0, atol=1e-5)


@pytest.mark.parametrize("block_rows", [4096, 7])  # one block, and many (the last one partial)
@pytest.mark.parametrize("anchors", ["rows of X", "other points"])
def test_float32_euclidean_far_from_the_origin_matches_float64(monkeypatch, block_rows, anchors):
    """300 x 64 float32 data shifted by 100: the expansion |x|^2 - 2 x.a + |a|^2 in float32 was
    4e-2 off (relative to the largest distance); now within 1e-5, and close pairs (an anchor
    against itself: distance 0) are exact."""
    from scipy.spatial.distance import cdist

    import core.methods.similarities as cs

    monkeypatch.setattr(cs, "_EUCLIDEAN_BLOCK_ROWS", block_rows)
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(300, 64)) + 100).astype(np.float32)
    A = X[:50] if anchors == "rows of X" else (rng.normal(size=(40, 64)) + 100).astype(np.float32)
    ref = -cdist(X.astype(np.float64), A.astype(np.float64))
    R = relative_projection(X, A, similarity="euclidean")
    assert R.dtype == np.float32
    assert np.abs(R - ref).max() / np.abs(ref).max() < 1e-5
    np.testing.assert_allclose(R, ref, rtol=1e-5)  # also entry by entry
    if anchors == "rows of X":
        assert np.all(np.diag(R[:50]) == 0)
    naive = np.einsum("ij,ij->i", X, X)[:, None] - 2 * (X @ A.T) + np.einsum("ij,ij->i", A, A)[None]
    assert np.abs(-np.sqrt(np.maximum(naive, 0)) - ref).max() / np.abs(ref).max() > 1e-3  # what it replaced


@pytest.mark.parametrize("similarity", ["l1", "linf"])
def test_float32_l_distances_far_from_the_origin_match_float64(similarity):
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(1)
    X = (rng.normal(size=(300, 64)) + 100).astype(np.float32)
    A = (rng.normal(size=(40, 64)) + 100).astype(np.float32)
    ref = -cdist(X.astype(np.float64), A.astype(np.float64), "cityblock" if similarity == "l1" else "chebyshev")
    R = relative_projection(X, A, similarity=similarity)
    np.testing.assert_allclose(R, ref, rtol=1e-5)
