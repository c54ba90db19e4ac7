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


def test_out_receives_the_result_in_place():
    import core.methods.relative as cr

    rng = np.random.default_rng(2)
    X, A = rng.normal(size=(50, 260)).astype(np.float32), rng.normal(size=(9, 260)).astype(np.float32)
    for sim, kw in (("cosine", {}), ("angular", {}), ("cosine", {"topk": 3}), ("euclidean", {})):
        stats = cr.fit_stats(A, similarity=sim, center=None, scale=False)
        out = np.full((50, 9), np.nan, dtype=np.float32)
        R = cr.project_rows(X, stats, similarity=sim, center=None, scale=False, topk=kw.get("topk"), power=1.0, out=out)
        assert R is out
        np.testing.assert_allclose(out, relative_projection(X, A, similarity=sim, **kw), rtol=1e-6, atol=1e-6)


def test_float16_rows_are_converted_block_by_block_with_the_same_result(monkeypatch):
    import core.methods.relative as rel
    from core.errors import InvalidInputError

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 40)).astype(np.float16)
    whole = rel.relative_projection(X.astype(np.float32), X[:7].astype(np.float32))
    monkeypatch.setattr(rel, "_CONVERT_ROWS", 64)  # 16 blocks
    blocked = rel.relative_projection(X, X[:7])
    assert blocked.dtype == np.float32
    np.testing.assert_allclose(blocked, whole, rtol=1e-6, atol=1e-6)
    bad = X.copy()
    bad[700, 3] = np.nan
    with pytest.raises(InvalidInputError, match=r"rows \[700\]"):  # named in the whole of X, not its block
        rel.relative_projection(bad, X[:7])
    bad = X.copy()
    bad[130] = 0
    with pytest.raises(InvalidInputError, match=r"rows \[130\] of X are all zero"):
        rel.relative_projection(bad, X[:7])
