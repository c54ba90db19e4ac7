import numpy as np
import pytest
from scipy.stats import ortho_group

from core import relative_projection


@pytest.fixture
def XA():
    rng = np.random.default_rng(0)
    return rng.normal(size=(200, 32)), rng.normal(size=(20, 32))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("scale", [0.01, 1.0, 37.5])
def test_invariant_to_orthogonal_maps_and_isotropic_scaling(XA, seed, scale):
    X, A = XA
    R = ortho_group.rvs(32, random_state=seed)
    assert np.allclose(R @ R.T, np.eye(32))
    base = relative_projection(X, A)
    moved = relative_projection(X @ R * scale, A @ R * scale)
    np.testing.assert_allclose(moved, base, atol=1e-10)


def test_not_invariant_to_translation(XA):
    X, A = XA
    shift = np.full(32, 3.0)
    assert not np.allclose(relative_projection(X + shift, A + shift), relative_projection(X, A), atol=1e-3)


def test_values_are_cosines(XA):
    X, A = XA
    R = relative_projection(X, A)
    assert R.shape == (200, 20)
    i, j = 17, 5
    expected = X[i] @ A[j] / (np.linalg.norm(X[i]) * np.linalg.norm(A[j]))
    assert R[i, j] == pytest.approx(expected)
    assert np.all(np.abs(R) <= 1 + 1e-12)
    np.testing.assert_allclose(relative_projection(A, A).diagonal(), 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(XA, dtype):
    X, A = XA
    assert relative_projection(X.astype(dtype), A.astype(dtype)).dtype == dtype


def test_int_input_becomes_float(XA):
    X, A = XA
    assert relative_projection((X * 10).astype(int), (A * 10).astype(int)).dtype == np.float64


def test_does_not_modify_inputs(XA):
    X, A = XA
    X0, A0 = X.copy(), A.copy()
    relative_projection(X, A)
    assert np.array_equal(X, X0) and np.array_equal(A, A0)


@pytest.mark.parametrize(
    "X, A, match",
    [
        (np.ones(5), np.ones((2, 5)), "X must be 2-D"),
        (np.ones((3, 5)), np.ones((2, 4)), "n_dims=5 but A has n_dims=4"),
        (np.ones((3, 5)), np.zeros((0, 5)), "A is empty"),
        (np.array([[1.0, np.nan]]), np.ones((2, 2)), r"NaN or Inf in rows \[0\]"),
        (np.ones((3, 2)), np.array([[1.0, 1.0], [0.0, 0.0]]), r"anchor rows \[1\] are all zero"),
        (np.array([[1.0, 1.0], [0.0, 0.0]]), np.ones((2, 2)), r"rows \[1\] of X are all zero"),
    ],
)
def test_errors_name_the_problem(X, A, match):
    with pytest.raises(ValueError, match=match):
        relative_projection(X, A)


def test_unknown_similarity():
    with pytest.raises(ValueError, match="similarity='dot' is not supported"):
        relative_projection(np.ones((2, 2)), np.ones((2, 2)), similarity="dot")


@pytest.mark.parametrize("d", [16, 200])  # narrow (normalise X blocks) and wide (scale output) paths
def test_blocked_kernel_matches_naive_across_blocks(monkeypatch, d):
    import core.methods.relative as cr

    monkeypatch.setattr(cr, "_BLOCK_ROWS_NARROW", 7)
    monkeypatch.setattr(cr, "_BLOCK_ROWS_WIDE", 7)
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


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("seed", range(6))
def test_fast_paths_equal_the_reference_over_random_shapes(monkeypatch, backend, seed):
    """Random (n, d, k), block sizes that do not divide n, float32 and float64, narrow
    and wide rows, both GEMM backends: equal to the reference to 1e-5."""
    import core.methods.relative as cr

    rng = np.random.default_rng(seed)
    n, d, k = int(rng.integers(1, 400)), int(rng.choice([3, 17, 64, 129, 300])), int(rng.integers(1, 40))
    block = int(rng.integers(2, 50))
    monkeypatch.setattr(cr, "_BLOCK_ROWS_NARROW", block)
    monkeypatch.setattr(cr, "_BLOCK_ROWS_WIDE", block + 3)
    monkeypatch.setattr(cr, "_TORCH_FROM_DIMS", 1 if backend == "torch" else 10**9)
    for dtype in (np.float32, np.float64):
        X = (rng.normal(size=(n, d)) * rng.uniform(0.1, 10, size=(n, 1))).astype(dtype)
        A = rng.normal(size=(k, d)).astype(dtype)
        assert cr._gemm_backend(X, A.T) == backend
        R = relative_projection(X, A)
        assert R.dtype == dtype and R.shape == (n, k)
        np.testing.assert_allclose(R, _reference(X, A), rtol=0, atol=1e-5)
        # the estimator and the angular similarity go through the same kernel
        np.testing.assert_allclose(cr.RelativeProjection().fit(A).transform(X), R, rtol=0, atol=1e-6)
        ang = relative_projection(X, A, similarity="angular")
        np.testing.assert_allclose(ang, 1 - np.arccos(np.clip(_reference(X, A), -1, 1)) / np.pi, rtol=0, atol=1e-4)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_fast_paths_do_not_copy_or_modify_x(monkeypatch, backend):
    """X is read in place: a read-only, non-contiguous view works and is left untouched."""
    import core.methods.relative as cr

    monkeypatch.setattr(cr, "_TORCH_FROM_DIMS", 1 if backend == "torch" else 10**9)
    monkeypatch.setattr(cr, "_BLOCK_ROWS_WIDE", 16)
    rng = np.random.default_rng(1)
    base = rng.normal(size=(101, 300)).astype(np.float32)
    X = base[::2]  # a strided view, 51 rows
    X.flags.writeable = False
    A = rng.normal(size=(7, 300)).astype(np.float32)
    before = X.copy()
    np.testing.assert_allclose(relative_projection(X, A), _reference(X, A), rtol=0, atol=1e-5)
    assert np.array_equal(X, before)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_out_receives_the_result_in_place(monkeypatch, backend):
    import core.methods.relative as cr

    monkeypatch.setattr(cr, "_TORCH_FROM_DIMS", 1 if backend == "torch" else 10**9)
    rng = np.random.default_rng(2)
    X, A = rng.normal(size=(50, 260)).astype(np.float32), rng.normal(size=(9, 260)).astype(np.float32)
    for sim, kw in (("cosine", {}), ("angular", {}), ("cosine", {"topk": 3}), ("euclidean", {})):
        stats = cr._fit_stats(A, similarity=sim, center=None, scale=False)
        out = np.full((50, 9), np.nan, dtype=np.float32)
        R = cr._project_rows(X, stats, similarity=sim, center=None, scale=False, topk=kw.get("topk"), power=1.0, out=out)
        assert R is out
        np.testing.assert_allclose(out, relative_projection(X, A, similarity=sim, **kw), rtol=1e-6, atol=1e-6)


def test_torch_path_reports_bad_rows_like_numpy(monkeypatch):
    import core.methods.relative as cr

    monkeypatch.setattr(cr, "_TORCH_FROM_DIMS", 1)
    monkeypatch.setattr(cr, "_BLOCK_ROWS_WIDE", 8)
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
