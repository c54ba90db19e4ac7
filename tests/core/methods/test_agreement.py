"""Per-sample agreement against plain loops, the space metrics it averages to, and its invariances."""

import numpy as np
import pytest

from core.errors import InvalidInputError, InvalidTypeError, MismatchError
from core.methods.agreement import (
    cross_jaccard,
    cross_lookup,
    cross_neighbour_lists,
    neighbour_lists,
    neighbourhood_overlap,
    sample_agreement,
    sample_cosine,
)
from core.methods.metrics import knn_jaccard, mutual_knn
from core.spaces.latent_space import LatentSpace


# ---------------------------------------------------------------- direct computations (plain loops)
def cos(u, v):
    nu, nv = np.sqrt(sum(a * a for a in u)), np.sqrt(sum(b * b for b in v))
    return sum(a * b for a, b in zip(u, v)) / (nu * nv)


def knn_loop(X, i, k, *, among=None, exclude_self=True):
    """Positions of the k rows of ``among`` (X by default) most cosine-similar to X[i]."""
    Y = X if among is None else among
    sims = [(-cos(X[i], Y[j]), j) for j in range(len(Y)) if not (exclude_self and j == i)]
    return [j for _, j in sorted(sims)[:k]]


def relative_loop(X, anchors):
    return np.array([[cos(x, a) for a in anchors] for x in X])


def overlap_loop(X, Y, k):
    return np.array([len(set(knn_loop(X, i, k)) & set(knn_loop(Y, i, k))) / k for i in range(len(X))])


@pytest.fixture(scope="module")
def pair():
    """Two related spaces of different dims (B a noisy nonlinear view of A) and a third of A's dims."""
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(60, 5))
    XA = np.tanh(Z @ rng.normal(size=(5, 12)))
    XB = np.tanh(Z @ rng.normal(size=(5, 7))) + 0.2 * rng.normal(size=(60, 7))
    XC = np.tanh(Z @ rng.normal(size=(5, 12))) + 0.2 * rng.normal(size=(60, 12))
    return XA, XB, XC


# ---------------------------------------------------------------- against loops
def test_sample_cosine_is_the_rowwise_cosine(pair):
    XA, _, XC = pair
    want = np.array([cos(a, c) for a, c in zip(XA, XC)])
    np.testing.assert_allclose(sample_cosine(XA, XC), want, atol=1e-12)


def test_sample_cosine_in_blocks_matches_one_block(pair, monkeypatch):
    import core.methods.agreement as agreement

    XA, _, XC = pair
    whole = sample_cosine(XA, XC)
    monkeypatch.setattr(agreement, "BLOCK_ROWS", 7)
    np.testing.assert_allclose(sample_cosine(XA, XC), whole, atol=1e-15)


def test_neighbour_lists_are_the_nearest_others_in_order(pair):
    XA = pair[0]
    N = neighbour_lists(XA, k=6)
    assert N.shape == (60, 6)
    for i in range(60):
        assert N[i].tolist() == knn_loop(XA, i, 6)


def test_neighbourhood_overlap_matches_sets(pair):
    XA, XB, _ = pair
    NA, NB = neighbour_lists(XA, k=8), neighbour_lists(XB, k=8)
    np.testing.assert_allclose(neighbourhood_overlap(NA, NB), overlap_loop(XA, XB, 8))
    # a prefix of longer lists is the overlap at the smaller k
    np.testing.assert_allclose(neighbourhood_overlap(NA, NB, k=3), overlap_loop(XA, XB, 3))


def test_overlap_counts_each_id_once():
    NX = np.array([[4, 4, 1], [0, 2, 3]])
    NY = np.array([[4, 1, 1], [5, 6, 7]])
    assert neighbourhood_overlap(NX, NY).tolist() == [2 / 3, 0.0]


def test_means_are_the_space_metrics(pair):
    XA, XB, XC = pair
    k = 7
    NA, NB, NC = (neighbour_lists(X, k=k) for X in (XA, XB, XC))
    assert neighbourhood_overlap(NA, NB).mean() == pytest.approx(mutual_knn(XA, XB, k=k))
    per_sample = cross_jaccard(cross_neighbour_lists(XA, XC, k=k), NC)
    assert per_sample.mean() == pytest.approx(knn_jaccard(XA, XC, k=k))


def test_cross_jaccard_against_loops(pair):
    XA, _, XC = pair
    k = 5
    got = cross_jaccard(cross_neighbour_lists(XA, XC, k=k), neighbour_lists(XC, k=k - 1))
    want = []
    for i in range(60):
        L = set(knn_loop(XA, i, k, among=XC, exclude_self=False))
        M = {i} | set(knn_loop(XC, i, k - 1))
        want.append(len(L & M) / len(L | M))
    np.testing.assert_allclose(got, want)


def test_cross_lookup_against_a_loop(pair):
    XA, _, XC = pair
    pos, sims, rank = cross_lookup(XA, XC, 11, k=4)
    ranked = knn_loop(XA, 11, 60, among=XC, exclude_self=False)
    assert pos.tolist() == ranked[:4]
    np.testing.assert_allclose(sims, [cos(XA[11], XC[j]) for j in ranked[:4]])
    assert rank == ranked.index(11) + 1


def test_sample_agreement_against_direct_computation(pair):
    XA, XB, XC = pair
    ids = np.arange(100, 160)
    anchors = [103, 110, 125, 140, 151]
    k = 6
    A, C = LatentSpace(XA, ids, name="A"), LatentSpace(XC, ids, name="C")
    df = sample_agreement(A, C, anchors, k=k)
    assert list(df.index) == ids.tolist()
    RA, RC = relative_loop(XA, XA[np.subtract(anchors, 100)]), relative_loop(XC, XC[np.subtract(anchors, 100)])
    np.testing.assert_allclose(df["relative_cosine"], [cos(a, c) for a, c in zip(RA, RC)], atol=1e-9)
    np.testing.assert_allclose(df["relative_overlap"], overlap_loop(RA, RC, k))
    np.testing.assert_allclose(df["absolute_overlap"], overlap_loop(XA, XC, k))
    np.testing.assert_allclose(df["absolute_cosine"], [cos(a, c) for a, c in zip(XA, XC)], atol=1e-12)
    # different dims: no absolute cosine, the rest still computed
    df2 = sample_agreement(A, LatentSpace(XB, ids, name="B"), anchors, k=k)
    assert df2["absolute_cosine"].isna().all()
    assert df2[["relative_cosine", "relative_overlap", "absolute_overlap"]].notna().all().all()


def test_sample_agreement_follows_ids_not_row_order(pair):
    XA, _, XC = pair
    ids = np.arange(60)
    perm = np.random.default_rng(0).permutation(60)
    A = LatentSpace(XA, ids)
    in_order = sample_agreement(A, LatentSpace(XC, ids), [1, 2, 3], k=4)
    shuffled = sample_agreement(A, LatentSpace(XC[perm], ids[perm]), [1, 2, 3], k=4)
    np.testing.assert_allclose(shuffled.to_numpy(dtype=float), in_order.to_numpy(dtype=float))


# ---------------------------------------------------------------- invariances
@pytest.mark.parametrize("transform, same_dims", [("rotation", True), ("rotation+scale", True), ("isometric embedding", False)])
def test_a_rotated_copy_agrees_perfectly_in_relative_terms(transform, same_dims):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 16))
    if transform == "isometric embedding":
        Q = np.linalg.qr(rng.normal(size=(24, 16)))[0]  # 16 -> 24 dims, orthonormal columns: angles kept
        Y = X @ Q.T
    else:
        Q = np.linalg.qr(rng.normal(size=(16, 16)))[0]
        Y = X @ Q * (3.5 if "scale" in transform else 1.0)
    ids = np.arange(80)
    df = sample_agreement(LatentSpace(X, ids), LatentSpace(Y, ids), list(range(0, 80, 8)), k=8)
    np.testing.assert_allclose(df["relative_cosine"], 1.0, atol=1e-9)
    assert (df["relative_overlap"] == 1.0).all()
    assert (df["absolute_overlap"] == 1.0).all()  # cosine neighbourhoods survive rotation too
    if same_dims:  # ... but the coordinates do not: x_i and y_i point in unrelated directions
        np.testing.assert_allclose(df["absolute_cosine"], [cos(x, y) for x, y in zip(X, Y)], atol=1e-12)
        assert df["absolute_cosine"].max() < 0.9 and abs(df["absolute_cosine"].mean()) < 0.5


def test_unrelated_spaces_disagree():
    rng = np.random.default_rng(2)
    ids = np.arange(200)
    df = sample_agreement(LatentSpace(rng.normal(size=(200, 10)), ids), LatentSpace(rng.normal(size=(200, 10)), ids),
                          list(range(20)), k=10)
    assert df["relative_overlap"].mean() < 0.2 and df["absolute_overlap"].mean() < 0.2
    assert abs(df["relative_cosine"].mean()) < 0.2


# ---------------------------------------------------------------- scale
def test_the_inverted_file_finds_most_neighbours():
    rng = np.random.default_rng(4)
    centres = rng.normal(size=(30, 24))
    X = centres[rng.integers(0, 30, 3000)] + 0.4 * rng.normal(size=(3000, 24))
    exact, ivf = neighbour_lists(X, k=10, method="exact"), neighbour_lists(X, k=10, method="ivf")
    assert neighbourhood_overlap(exact, ivf).mean() > 0.9


# ---------------------------------------------------------------- bad input
def test_bad_inputs_say_what_to_do(pair):
    XA, XB, _ = pair
    with pytest.raises(MismatchError, match="dims differ .*neighbourhood_overlap"):
        sample_cosine(XA, XB)
    with pytest.raises(MismatchError, match="60 rows but Y has 59"):
        sample_cosine(XA, XA[:59])
    with pytest.raises(InvalidInputError, match="k=60"):
        neighbour_lists(XA, k=60)
    Z = XA.copy()
    Z[[4, 9]] = 0
    with pytest.raises(InvalidInputError, match=r"rows \[4, 9\] of X are all zero"):
        neighbour_lists(Z, k=3)
    Z[4, 0] = np.nan
    with pytest.raises(InvalidInputError, match="NaN or Inf"):
        sample_cosine(Z, XA)
    with pytest.raises(InvalidInputError, match="k=5"):
        neighbourhood_overlap([[1, 2]], [[2, 3]], k=5)
    with pytest.raises((InvalidInputError, InvalidTypeError), match="integer"):
        neighbourhood_overlap([[0.5, 2.0]], [[2, 3]])
    ids = np.arange(60)
    with pytest.raises(MismatchError, match="different samples"):
        sample_agreement(LatentSpace(XA, ids), LatentSpace(XA, ids + 1), [0, 1])
    with pytest.raises(InvalidInputError, match="at least 2 anchors"):
        sample_agreement(LatentSpace(XA, ids), LatentSpace(XB, ids), [0])
    with pytest.raises(InvalidInputError, match="query"):
        cross_lookup(XA, XA, 60)
