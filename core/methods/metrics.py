"""Space-to-space metrics for two *parallel* spaces (row i of X and Y is the same sample).

Two families:

- **Cross-space retrieval** (the paper's word-embedding table): compare coordinates
  directly, so they need equal dims. ``knn_jaccard``, ``mrr``, ``mean_cosine``. Near 0
  for absolute spaces of different encoders, high for their relative spaces.
- **Geometry** (shape only, any dims): ``linear_cka``, ``debiased_cka``, ``rbf_cka``,
  ``mutual_knn``, ``procrustes_distance``, ``rsa``. High for two encoders that learned
  the same geometry, whatever their coordinates.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError
from .cka import BANDWIDTHS, debiased_cka, linear_cka, rbf_bandwidth, rbf_cka
from .metric_inputs import centred_pair, check_k, check_pair, topk, unit
from ..validation import check_int

__all__ = [
    "knn_jaccard",
    "mrr",
    "mean_cosine",
    "cross_retrieval",
    "linear_cka",
    "debiased_cka",
    "rbf_cka",
    "rbf_bandwidth",
    "mutual_knn",
    "procrustes_distance",
    "rsa",
    "compare_spaces",
    "METRICS",
    "MRR_K",
    "BANDWIDTHS",
]


def knn_jaccard(X, Y, *, k: int = 10) -> float:
    """Mean Jaccard overlap of cross-space top-k neighbourhoods.

    For each i: ``N = topk_j cos(x_i, y_j)`` (x_i looked up among Y) and
    ``M = topk_j cos(y_i, y_j)``; score ``mean_i |N ∩ M| / |N ∪ M|``. Range [0, 1];
    needs equal dims.

    Parameters
    ----------
    X, Y : array-like of shape (n_samples, n_dims)
    k : int, default=10
    """
    X, Y = check_pair(X, Y, same_dims=True)
    check_k(k, X.shape[0])
    Xn, Yn = unit(X), unit(Y)
    return _jaccard(Xn @ Yn.T, Yn @ Yn.T, k)


def _jaccard(S_xy: np.ndarray, S_yy: np.ndarray, k: int) -> float:
    N, M = topk(S_xy, k), topk(S_yy, k)
    common = (N[:, :, None] == M[:, None, :]).any(2).sum(1)  # top-k lists hold distinct ids
    return float(np.mean(common / (2 * k - common)))


#: Default ``k`` of :func:`mrr`: relreps's word-embedding retrieval (``evaluate_retrieval(k=5)``).
MRR_K = 5


def mrr(X, Y, *, k: int | None = MRR_K) -> float:
    """Mean reciprocal rank of y_i when x_i is looked up among all of Y by cosine (MRR@k).

    ``mean_i RR_i`` with ``RR_i = 1 / rank_i`` when y_i is among x_i's ``k`` nearest
    rows of Y and 0 otherwise, as relreps computes it from a top-k search
    (``evaluate_retrieval(k=5)`` in its quantitative-analysis notebook). Rank 1 = y_i is
    x_i's nearest. Ties are broken by row order (a lower row ranks first), as a faiss
    flat index orders equal scores by id. Range [0, 1]; needs equal dims.

    Parameters
    ----------
    X, Y : array-like of shape (n_samples, n_dims)
    k : int or None, default=5
        Truncation (``k >= n_samples`` truncates nothing); None ranks over all
        samples (no zeros: range (0, 1]).
    """
    if k is not None:
        check_int(k, name="k", low=1)
    X, Y = check_pair(X, Y, same_dims=True)
    return _mrr(unit(X) @ unit(Y).T, k)


def _mrr(S: np.ndarray, k: int | None) -> float:
    own = np.diag(S)[:, None]
    before = np.tri(S.shape[0], k=-1, dtype=bool)  # row j < i: ranks first on a tie
    rank = 1 + (S > own).sum(1) + ((S == own) & before).sum(1)
    rr = 1.0 / rank
    if k is not None:
        rr[rank > k] = 0.0
    return float(np.mean(rr))


def mean_cosine(X, Y) -> float:
    """``mean_i cos(x_i, y_i)``. Range [-1, 1]; needs equal dims.

    Parameters
    ----------
    X, Y : array-like of shape (n_samples, n_dims)
    """
    X, Y = check_pair(X, Y, same_dims=True)
    return float(np.mean((unit(X) * unit(Y)).sum(1)))


def cross_retrieval(X, Y, *, k: int = MRR_K) -> dict:
    """relreps's three retrieval numbers at once: ``jaccard`` (:func:`knn_jaccard`),
    ``mrr`` (:func:`mrr`) and ``cosine`` (:func:`mean_cosine`), all with the same ``k``,
    sharing one normalisation and one similarity matrix (equal up to rounding).

    Parameters
    ----------
    X, Y : array-like of shape (n_samples, n_dims)
    k : int, default=5
        relreps's ``evaluate_retrieval(k=5)``.

    Returns
    -------
    dict of str to float
    """
    X, Y = check_pair(X, Y, same_dims=True)
    check_k(k, X.shape[0])
    Xn, Yn = unit(X), unit(Y)
    S = Xn @ Yn.T
    return {"jaccard": _jaccard(S, Yn @ Yn.T, k), "mrr": _mrr(S, k), "cosine": float(np.mean(np.diag(S)))}


def mutual_knn(X, Y, *, k: int = 10) -> float:
    """Mutual k-nearest-neighbour alignment (Huh et al., 2024).

    ``mean_i |N_k^X(i) ∩ N_k^Y(i)| / k``, neighbours by cosine within each space,
    self excluded. Range [0, 1]; any dims.

    Parameters
    ----------
    X : array-like of shape (n_samples, d_x)
    Y : array-like of shape (n_samples, d_y)
    k : int, default=10
    """
    X, Y = check_pair(X, Y)
    check_k(k, X.shape[0], exclude_self=True)

    def neighbours(M):
        S = unit(M) @ unit(M).T
        np.fill_diagonal(S, -np.inf)
        return topk(S, k)

    NX, NY = neighbours(X), neighbours(Y)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(NX.tolist(), NY.tolist())]))


def procrustes_distance(X, Y) -> float:
    """Orthogonal Procrustes distance.

    ``d^2 = 2 - 2 |X^T Y|_*`` on column-centred X, Y scaled to unit Frobenius norm
    (``|.|_*`` the nuclear norm); returns ``d``. Range [0, sqrt(2)]; 0 when Y is a
    rotated, scaled, shifted copy of X. Any dims.

    Parameters
    ----------
    X : array-like of shape (n_samples, d_x)
    Y : array-like of shape (n_samples, d_y)
    """
    Xc, Yc, wide = centred_pair(X, Y)
    nx, ny = np.linalg.norm(Xc), np.linalg.norm(Yc)
    if nx == 0 or ny == 0:
        raise InvalidInputError(
            f"{'X' if nx == 0 else 'Y'} is constant (every row the same, zero variance): the Procrustes distance "
            "is undefined; compare spaces whose samples differ"
        )
    Xu, Yu = Xc / nx, Yc / ny
    if wide:
        # wide: the singular values of Xu^T Yu are those of (S_x U_x^T) Yu, thin SVD Xu = U_x S_x V_x^T
        Ux, sx, _ = np.linalg.svd(Xu, full_matrices=False)
        nuc = np.linalg.svd((Ux * sx).T @ Yu, compute_uv=False).sum()
    else:
        nuc = np.linalg.svd(Xu.T @ Yu, compute_uv=False).sum()
    return float(np.sqrt(max(2.0 - 2.0 * nuc, 0.0)))


def rsa(X, Y) -> float:
    """Representational similarity analysis.

    Spearman correlation between the upper triangles of the two cosine-distance
    matrices. Range [-1, 1]; any dims.

    Parameters
    ----------
    X : array-like of shape (n_samples, d_x)
    Y : array-like of shape (n_samples, d_y)
    """
    X, Y = check_pair(X, Y, min_samples=3, what="RSA")
    iu = np.triu_indices(X.shape[0], 1)
    dx = 1.0 - (unit(X) @ unit(X).T)[iu]
    dy = 1.0 - (unit(Y) @ unit(Y).T)[iu]
    for name, d in (("X", dx), ("Y", dy)):
        if np.ptp(d) == 0:
            raise InvalidInputError(
                f"RSA is undefined: all pairwise cosine distances in {name} are equal (a rank correlation needs "
                "varying distances)"
            )
    # Spearman = Pearson of the average ranks (as scipy's spearmanr, which ranks more slowly)
    return float(np.corrcoef(_average_ranks(dx), _average_ranks(dy))[0, 1])


def _average_ranks(d: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``d``, ties given the mean of their ranks (scipy's ``rankdata(method="average")``)."""
    order = np.argsort(d)
    s = d[order]
    new = np.empty(len(s), dtype=bool)
    new[0] = True
    new[1:] = s[1:] != s[:-1]
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(s))
    ranks = np.empty(len(d), dtype=np.float64)
    ranks[order] = ((starts + ends + 1) / 2.0)[np.cumsum(new) - 1]
    return ranks


#: name -> (function, needs equal dims)
METRICS = {
    "jaccard": (knn_jaccard, True),
    "mrr": (mrr, True),
    "cosine": (mean_cosine, True),
    "linear_cka": (linear_cka, False),
    "debiased_cka": (debiased_cka, False),
    "rbf_cka": (rbf_cka, False),
    "mutual_knn": (mutual_knn, False),
    "procrustes": (procrustes_distance, False),
    "rsa": (rsa, False),
}


#: Samples needed by metrics that need more than 2.
_MIN_SAMPLES = {"debiased_cka": 4, "rsa": 3}


def compare_spaces(X, Y, *, k: int = 10, mrr_k: int | None = MRR_K, metrics=None) -> dict:
    """Every metric for one pair of parallel spaces.

    Parameters
    ----------
    X : array-like of shape (n_samples, d_x)
    Y : array-like of shape (n_samples, d_y)
    k : int, default=10
        Neighbourhood size of ``jaccard`` and ``mutual_knn``.
    mrr_k : int or None, default=5
        Truncation of ``mrr`` (MRR@k, relreps's convention); None ranks over all samples.
    metrics : sequence of str, optional
        Names from :data:`METRICS`; all by default.

    Returns
    -------
    dict of str to float
        NaN for the coordinate metrics (``jaccard``, ``mrr``, ``cosine``) when dims
        differ, and for ``rsa`` when all cosine distances within a space are equal
        (a rank correlation is undefined). Every other value is finite.

    Raises
    ------
    InvalidInputError
        Fewer samples than a requested metric needs (``debiased_cka`` 4, ``rsa`` 3,
        others 2), ``k`` out of range, NaN/Inf, or a constant space (every row the
        same: geometry metrics are undefined).
    MismatchError
        Different row counts.
    """
    if metrics is None:
        names = list(METRICS)
    elif isinstance(metrics, str):
        names = [metrics]
    else:
        names = list(metrics)
    unknown = [m for m in names if not isinstance(m, str) or m not in METRICS]
    if unknown:
        raise InvalidInputError(f"unknown metrics {unknown}; choose from {list(METRICS)}")
    need = max([_MIN_SAMPLES.get(m, 2) for m in names] or [2])
    X, Y = check_pair(X, Y, min_samples=need, what=f"metrics {[m for m in names if _MIN_SAMPLES.get(m, 2) == need]}")
    for name, M in (("X", X), ("Y", Y)):
        if np.all(M == M[0]):
            raise InvalidInputError(
                f"{name} is constant (every row the same): geometry metrics are undefined; compare spaces whose "
                "samples differ"
            )
    if "jaccard" in names and X.shape[1] == Y.shape[1]:
        check_k(k, X.shape[0])
    if "mrr" in names and mrr_k is not None:
        check_int(mrr_k, name="mrr_k", low=1)
    if "mutual_knn" in names:
        check_k(k, X.shape[0], exclude_self=True)
    out = {}
    for name in names:
        fn, same = METRICS[name]
        if same and X.shape[1] != Y.shape[1]:
            out[name] = float("nan")
        elif name in ("jaccard", "mutual_knn"):
            out[name] = fn(X, Y, k=k)
        elif name == "mrr":
            out[name] = fn(X, Y, k=mrr_k)
        elif name == "rsa":
            try:
                out[name] = fn(X, Y)
            except InvalidInputError:
                out[name] = float("nan")  # equal distances: documented as NaN
        else:
            out[name] = fn(X, Y)
    return out
