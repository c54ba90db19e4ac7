import numpy as np
import pytest

from core.methods import metrics as M
from core.methods.metric_inputs import unit


@pytest.fixture(scope="module")
def XY():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 12))
    Q = np.linalg.qr(rng.normal(size=(12, 12)))[0]
    return X, 3.0 * X @ Q, rng.normal(size=(150, 12))


@pytest.mark.parametrize("fn", [M.linear_cka, M.debiased_cka, M.rbf_cka, M.mutual_knn, M.rsa])
def test_rotated_copy_scores_one(XY, fn):
    X, XR, _ = XY
    assert fn(X, XR) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("fn", [M.linear_cka, M.debiased_cka, M.rbf_cka])
def test_cka_ignores_translation(XY, fn):
    X, XR, _ = XY
    assert fn(X, XR + 5.0) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("fn, bound", [(M.linear_cka, 0.2), (M.debiased_cka, 0.05), (M.rbf_cka, 0.2), (M.mutual_knn, 0.15), (M.rsa, 0.1)])
def test_independent_noise_scores_near_zero(XY, fn, bound):
    X, _, N = XY
    assert abs(fn(X, N)) < bound


@pytest.mark.parametrize("ties", [False, True])
def test_rsa_is_scipys_spearman_of_the_cosine_distances(ties):
    from scipy.stats import spearmanr

    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(40, 6)), rng.normal(size=(40, 4))
    if ties:  # small integer vectors: many equal cosine distances, ranked by their mean rank
        X, Y = rng.integers(1, 4, size=(40, 3)).astype(float), rng.integers(1, 3, size=(40, 2)).astype(float)
    iu = np.triu_indices(40, 1)

    def dist(M_):  # the module's normalisation: exact ties stay exact (a near-tie would rank either way)
        U = unit(M_)
        return 1.0 - (U @ U.T)[iu]

    assert M.rsa(X, Y) == pytest.approx(spearmanr(dist(X), dist(Y)).statistic, abs=1e-12)


def test_procrustes_distance():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    Q = np.linalg.qr(rng.normal(size=(5, 5)))[0]
    assert M.procrustes_distance(X, 4 * X @ Q - 1) == pytest.approx(0.0, abs=1e-6)
    assert M.procrustes_distance(X, rng.normal(size=(80, 5))) > 0.8
    # hand case: orthogonal 1-d columns -> |X^T Y|_* = 0 -> d = sqrt(2)
    a = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    b = np.array([[1.0], [1.0], [-1.0], [-1.0]])
    assert M.procrustes_distance(a, b) == pytest.approx(np.sqrt(2))


def test_cross_space_metrics_hand_cases():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert M.mrr(X, X) == 1.0
    assert M.mean_cosine(X, X) == pytest.approx(1.0)
    assert M.knn_jaccard(X, X, k=1) == 1.0
    Y = X[:, ::-1]  # swap coordinates: x0 now matches y1
    # cos(x0, y) = [0, 1, .707] -> rank of y0 is 3; x1 same; x2 ranks y2 first
    assert M.mrr(X, Y) == pytest.approx((1 / 3 + 1 / 3 + 1) / 3)
    assert M.mean_cosine(X, Y) == pytest.approx((0 + 0 + 1) / 3)


def test_linear_cka_hand_case():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    Y = X[:, :1]  # keep one of two equal-variance directions
    # Xc^T Xc = 2I, Yc^T Yc = [2]; |Yc^T Xc|^2 = 4; CKA = 4 / (2*sqrt2 * 2)
    assert M.linear_cka(X, Y) == pytest.approx(1 / np.sqrt(2))


def test_mutual_knn_hand_case():
    X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    Y = np.array([[1.0, 0.0], [0.1, 0.9], [0.0, 1.0], [0.9, 0.1]])  # swaps the partners of 1 and 3
    # X neighbours: 0-1, 1-0, 2-3, 3-2. Y neighbours: 0-3, 1-2, 2-1, 3-0 -> no overlap
    assert M.mutual_knn(X, Y, k=1) == 0.0
    assert M.mutual_knn(X, X, k=1) == 1.0


def test_compare_spaces_and_errors(XY):
    X, XR, _ = XY
    out = M.compare_spaces(X, X[:, :5])
    assert set(out) == set(M.METRICS) and np.isnan(out["jaccard"]) and not np.isnan(out["linear_cka"])
    with pytest.raises(ValueError, match="dims differ"):
        M.mrr(X, X[:, :5])
    with pytest.raises(ValueError, match="X has 150 rows but Y has 10"):
        M.linear_cka(X, X[:10])
    with pytest.raises(ValueError, match=r"k=0 must be an int in \[1, 149\]"):
        M.mutual_knn(X, XR, k=0)
    with pytest.raises(ValueError, match="unknown metrics"):
        M.compare_spaces(X, XR, metrics=["nope"])


def test_relative_spaces_agree_where_absolute_do_not(train_spaces, test_spaces):
    from core import relative_projection, select_anchors

    anchors = select_anchors(train_spaces["mlp-s0"], 100, random_state=0)
    a, b = test_spaces["mlp-s0"], test_spaces["mlp-s1"]
    ra = relative_projection(a.vectors, train_spaces["mlp-s0"].take(anchors))
    rb = relative_projection(b.vectors, train_spaces["mlp-s1"].take(anchors))
    absolute, relative = M.compare_spaces(a.vectors, b.vectors), M.compare_spaces(ra, rb)
    assert absolute["jaccard"] < 0.05 and absolute["mrr"] < 0.05 and abs(absolute["cosine"]) < 0.1
    assert relative["jaccard"] > 0.4 and relative["mrr"] > 0.4 and relative["cosine"] > 0.9
    assert absolute["linear_cka"] > 0.9  # same geometry all along


def _mrr_plain(X, Y, k):
    """relreps's MRR@k written out: for each x_i, the top-k rows of Y by cosine in order
    (ties by row order, as a faiss flat index orders equal scores by id); 1 / position of
    y_i in that list, 0 when it is not there."""
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    Yn = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    out = []
    for i in range(len(X)):
        scores = [float(Xn[i] @ Yn[j]) for j in range(len(Y))]
        order = sorted(range(len(Y)), key=lambda j: (-scores[j], j))
        top = order if k is None else order[:k]
        out.append(1.0 / (top.index(i) + 1) if i in top else 0.0)
    return float(np.mean(out))


@pytest.mark.parametrize("k", [1, 5, 20, None])
def test_mrr_at_k_equals_the_top_k_search(k):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6))
    Y = X + 0.8 * rng.normal(size=(80, 6))  # partners often ranked 2nd..10th: truncation matters
    assert M.mrr(X, Y, k=k) == pytest.approx(_mrr_plain(X, Y, k), abs=1e-12)
    assert M.mrr(X, Y) == pytest.approx(_mrr_plain(X, Y, 5), abs=1e-12)  # the default: relreps's k=5
    assert M.mrr(X, Y, k=1) < M.mrr(X, Y) < M.mrr(X, Y, k=None)


def test_mrr_ties_and_truncation_hand_case():
    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # x1 ties y0 and y1 (cos 1 both): y0 is the earlier row, so y1 ranks 2nd
    assert M.mrr(X, X) == pytest.approx((1 + 1 / 2 + 1 + 1) / 4)
    Y = X[[2, 3, 0, 1]]  # y = [0,1], [1,1], [1,0], [1,0]
    # x0: cos [0, .71, 1, 1] -> y0 4th; x1: [0, .71, 1, 1] -> y1 3rd; x2: [1, .71, 0, 0] -> y2 3rd
    # (y3 ties but comes later); x3: [.71, 1, .71, .71] -> y3 4th (y1 above, y0 and y2 tie earlier)
    assert M.mrr(X, Y, k=None) == pytest.approx(np.mean([1 / 4, 1 / 3, 1 / 3, 1 / 4]))
    assert M.mrr(X, Y, k=3) == pytest.approx(np.mean([0, 1 / 3, 1 / 3, 0]))
    assert M.mrr(X, Y, k=2) == 0.0  # no partner in the top 2
    with pytest.raises(ValueError, match="k=0 must be >= 1"):
        M.mrr(X, Y, k=0)


def test_compare_spaces_reports_mrr_at_5_by_default():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 5))
    Y = X + 0.7 * rng.normal(size=(60, 5))
    assert M.compare_spaces(X, Y, metrics=["mrr"])["mrr"] == pytest.approx(M.mrr(X, Y, k=5))
    assert M.compare_spaces(X, Y, metrics=["mrr"], mrr_k=None)["mrr"] == pytest.approx(M.mrr(X, Y, k=None))


def test_cross_retrieval_equals_the_three_metrics():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(70, 6))
    Y = X + 0.6 * rng.normal(size=(70, 6))
    out = M.cross_retrieval(X, Y, k=5)
    assert out["jaccard"] == pytest.approx(M.knn_jaccard(X, Y, k=5), abs=1e-12)
    assert out["mrr"] == pytest.approx(_mrr_plain(X, Y, 5), abs=1e-12)
    assert out["cosine"] == pytest.approx(M.mean_cosine(X, Y), abs=1e-12)
    # Jaccard written out: |top-k of x_i among Y ∩ top-k of y_i among Y| / |∪|
    Xn, Yn = X / np.linalg.norm(X, axis=1, keepdims=True), Y / np.linalg.norm(Y, axis=1, keepdims=True)
    sets = lambda S: [set(np.argsort(-row, kind="stable")[:5]) for row in S]  # noqa: E731
    expected = np.mean([len(a & b) / len(a | b) for a, b in zip(sets(Xn @ Yn.T), sets(Yn @ Yn.T))])
    assert out["jaccard"] == pytest.approx(expected, abs=1e-12)
