import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from core.errors import InvalidInputError
from core.methods.neighbours import KnnIndex, knn_graph, nearest_neighbours, neighbour_overlap


def test_nearest_by_cosine_excluding_self():
    X = np.array([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 1.0]])
    pos, sims = nearest_neighbours(X, 0, k=3)
    assert pos.tolist() == [1, 4, 2]
    assert sims[0] == pytest.approx(10 / np.sqrt(101)) and np.all(np.diff(sims) <= 0)
    pos, _ = nearest_neighbours(X, 0, k=1, exclude_self=False)
    assert pos.tolist() == [0]


def test_matches_brute_force_on_random_data():
    X = np.random.default_rng(0).normal(size=(300, 8))
    pos, _ = nearest_neighbours(X, 17, k=10)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    s = Xn @ Xn[17]
    s[17] = -np.inf
    assert pos.tolist() == np.argsort(-s)[:10].tolist()


def test_overlap_and_errors():
    assert neighbour_overlap([1, 2, 3, 4], [4, 3, 9, 8]) == 0.5
    assert neighbour_overlap([], []) == 0.0
    with pytest.raises(InvalidInputError, match="same length"):
        neighbour_overlap([1], [1, 2])
    with pytest.raises(InvalidInputError, match=r"k=5 must be in \[1, 3\]"):
        nearest_neighbours(np.ones((4, 2)), 0, k=5)
    with pytest.raises(InvalidInputError, match="query=9"):
        nearest_neighbours(np.ones((4, 2)), 9, k=1)


# ---------------------------------------------------------------------- kNN graphs
def _clusters(n=3000, d=24, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(12, d)) * 3
    return (centers[rng.integers(0, 12, n)] + rng.normal(size=(n, d))).astype(np.float32)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_exact_equals_brute_force(metric):
    X = _clusters(n=700)
    Y = _clusters(n=50, seed=1)
    idx, dist = knn_graph(X, n_neighbors=8, metric=metric, method="exact")
    nn = NearestNeighbors(n_neighbors=8, metric=metric, algorithm="brute").fit(X)
    ref_d, ref_i = nn.kneighbors(X)
    assert np.array_equal(idx[:, 0], np.arange(700)) and np.all(dist[:, 0] == 0)  # itself first (UMAP's convention)
    np.testing.assert_allclose(dist, ref_d, rtol=1e-4, atol=1e-4)
    assert np.mean(idx == ref_i) > 0.999  # ties aside, the same neighbours
    qidx, qdist = knn_graph(X, Y, n_neighbors=5, metric=metric, method="exact")
    ref_d, ref_i = nn.kneighbors(Y, n_neighbors=5)
    np.testing.assert_allclose(qdist, ref_d, rtol=1e-4, atol=1e-4)
    assert np.mean(qidx == ref_i) > 0.999


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_ivf_finds_most_true_neighbours_and_is_deterministic(metric):
    X = _clusters()
    X, Y = X[:2800], X[2800:]  # queries from the same distribution, not indexed
    exact, _ = knn_graph(X, n_neighbors=10, metric=metric, method="exact")
    ix = KnnIndex(X, metric=metric, method="ivf", n_cells=40, n_probe=6, random_state=3)
    assert ix.method_ == "ivf"
    idx, dist = ix.query(n_neighbors=10)
    assert np.array_equal(idx[:, 0], np.arange(len(X))) and np.all(dist[:, 0] == 0)
    assert np.all(np.diff(dist, axis=1) >= -1e-6)  # nearest first
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx, exact)])
    assert recall > 0.9, recall
    again = KnnIndex(X, metric=metric, method="ivf", n_cells=40, n_probe=6, random_state=3).query(n_neighbors=10)
    assert np.array_equal(again[0], idx) and np.array_equal(again[1], dist)
    # queries from another set, and one probe only: fewer true neighbours found
    q_exact, _ = knn_graph(X, Y, n_neighbors=10, metric=metric, method="exact")
    q_idx, _ = ix.query(Y, n_neighbors=10)
    assert np.mean([len(set(a) & set(b)) / 10 for a, b in zip(q_idx, q_exact)]) > 0.9
    narrow = KnnIndex(X, metric=metric, method="ivf", n_cells=40, n_probe=1, random_state=3).query(n_neighbors=10)[0]
    assert np.mean([len(set(a) & set(b)) / 10 for a, b in zip(narrow, exact)]) < recall


def test_auto_is_exact_for_small_inputs():
    assert KnnIndex(_clusters(n=500)).method_ == "exact"


def test_knn_errors_name_the_problem():
    X = _clusters(n=50)
    X[7, 3] = np.nan
    with pytest.raises(InvalidInputError, match=r"NaN or Inf in rows \[7\]"):
        KnnIndex(X)
    X[7, 3] = 0.0
    X[9] = 0.0
    with pytest.raises(InvalidInputError, match=r"rows \[9\] are all zero"):
        KnnIndex(X, metric="cosine")
    ix = KnnIndex(X, metric="euclidean")
    with pytest.raises(InvalidInputError, match=r"n_neighbors=51 must be an int in \[1, n_samples=50\]"):
        ix.query(n_neighbors=51)
    with pytest.raises(InvalidInputError, match=r"Y must have shape \(n_queries, 24\)"):
        ix.query(np.ones((3, 5)))
    with pytest.raises(InvalidInputError, match="metric='l3' is not supported"):
        KnnIndex(X, metric="l3")
