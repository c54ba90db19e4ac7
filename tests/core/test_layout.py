import numpy as np
import pytest

from core.layout import align_layout, compute_layout, layout_pair


def test_align_recovers_rotation_reflection_scale_shift():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(100, 2))
    th = 1.1
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]) @ np.diag([1, -1])
    moved = 3.0 * Y @ R + np.array([5.0, -2.0])
    np.testing.assert_allclose(align_layout(moved, Y), Y, atol=1e-5)


def test_pca_layout_keeps_every_point():
    X = np.random.default_rng(0).normal(size=(500, 10))
    assert compute_layout(X, method="pca").shape == (500, 2)


def test_b_in_a_frame_matches_a_only_when_coordinates_agree():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    Q = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    LA, LB, used = layout_pair(X, X.copy(), method="pca")
    assert used == "A" and np.allclose(LA, LB, atol=1e-5)
    LA, LB, _ = layout_pair(X, X @ Q, method="pca")
    assert not np.allclose(LA, LB, atol=0.1)


def test_dims_differ_falls_back_to_own_aligned_layout():
    rng = np.random.default_rng(0)
    LA, LB, used = layout_pair(rng.normal(size=(50, 6)), rng.normal(size=(50, 4)), method="pca")
    assert used == "own" and LA.shape == LB.shape == (50, 2)


def test_errors():
    with pytest.raises(ValueError, match="method='tsne' is not supported"):
        compute_layout(np.ones((10, 3)), method="tsne")
    with pytest.raises(ValueError, match="at least 3 rows"):
        compute_layout(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"n_neighbors=50 must be in \[2, n_samples=10\)"):
        compute_layout(np.random.default_rng(0).normal(size=(10, 3)), n_neighbors=50)
