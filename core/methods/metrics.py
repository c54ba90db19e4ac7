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

from ..errors import InvalidInputError, MismatchError
from ..validation import as_vectors, check_finite, check_int, check_number, unit_rows

__all__ = [
    "knn_jaccard",
    "mrr",
    "mean_cosine",
    "linear_cka",
    "debiased_cka",
    "rbf_cka",
    "mutual_knn",
    "procrustes_distance",
    "rsa",
    "compare_spaces",
    "METRICS",
]


def _pair(X, Y, *, same_dims: bool = False, min_samples: int = 2, what: str = "this metric"):
    """Two parallel spaces as float64 arrays, validated.

    Every metric here is invariant to a global rescaling of X (and of Y), so a space
    whose products could overflow or underflow float64 (max |value| beyond 1e30 or
    below 1e-30) is divided by its largest magnitude first.
    """
    X = as_vectors(X, name="X", finite=False).astype(np.float64, copy=False)
    Y = as_vectors(Y, name="Y", finite=False).astype(np.float64, copy=False)
    if X.shape[0] != Y.shape[0]:
        raise MismatchError(
            f"X has {X.shape[0]} rows but Y has {Y.shape[0]}; pass parallel spaces (same samples, same order)"
        )
    if X.shape[0] < min_samples:
        raise InvalidInputError(f"n_samples={X.shape[0]} must be >= {min_samples} for {what}")
    if same_dims and X.shape[1] != Y.shape[1]:
        raise MismatchError(
            f"dims differ ({X.shape[1]} vs {Y.shape[1]}): this metric compares coordinates directly; "
            "compare relative spaces, or use a geometry metric (CKA, mutual kNN, ...)"
        )
    check_finite(X, name="X")
    check_finite(Y, name="Y")
    return _rescaled(X), _rescaled(Y)


def _rescaled(M: np.ndarray) -> np.ndarray:
    top = float(np.abs(M).max())
    return M / top if (top > 1e30 or 0 < top < 1e-30) else M


def _normalize(M):
    return unit_rows(M)[0]


def _check_k(k, n, *, exclude_self=False):
    limit = n - 1 if exclude_self else n
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= limit:
        check_int(k, name="k")  # the type error first
        raise InvalidInputError(f"k={k!r} must be an int in [1, {limit}]; lower k or pass more samples")


def _topk(S, k):
    idx = np.argpartition(-S, k - 1, axis=1)[:, :k]
    return idx


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
    X, Y = _pair(X, Y, same_dims=True)
    _check_k(k, X.shape[0])
    Xn, Yn = _normalize(X), _normalize(Y)
    N = _topk(Xn @ Yn.T, k)
    M = _topk(Yn @ Yn.T, k)
    scores = [len(set(a) & set(b)) / len(set(a) | set(b)) for a, b in zip(N.tolist(), M.tolist())]
    return float(np.mean(scores))


def mrr(X, Y) -> float:
    """Mean reciprocal rank of y_i when x_i is looked up among all of Y by cosine.

    ``mean_i 1 / rank_i``, rank 1 = y_i is x_i's nearest. Range (0, 1]; needs equal dims.

    Parameters
    ----------
    X, Y : array-like of shape (n_samples, n_dims)
    """
    X, Y = _pair(X, Y, same_dims=True)
    S = _normalize(X) @ _normalize(Y).T
    own = np.diag(S)[:, None]
    rank = 1 + (S > own).sum(1)
    return float(np.mean(1.0 / rank))


def mean_cosine(X, Y) -> float:
    """``mean_i cos(x_i, y_i)``. Range [-1, 1]; needs equal dims.

    Parameters
    ----------
    X, Y : array-like of shape (n_samples, n_dims)
    """
    X, Y = _pair(X, Y, same_dims=True)
    return float(np.mean((_normalize(X) * _normalize(Y)).sum(1)))


def linear_cka(X, Y) -> float:
    """Linear CKA (Kornblith et al., 2019).

    ``|Yc^T Xc|_F^2 / (|Xc^T Xc|_F |Yc^T Yc|_F)`` on column-centred X, Y. Range [0, 1];
    1 for spaces equal up to rotation and isotropic scaling. Outlier-sensitive: read it
    next to a kNN metric.

    Parameters
    ----------
    X : array-like of shape (n_samples, d_x)
    Y : array-like of shape (n_samples, d_y)
    """
    X, Y = _pair(X, Y)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    if max(X.shape[1], Y.shape[1]) > X.shape[0]:  # wide: the same traces through (n, n) Gram matrices
        K, L = Xc @ Xc.T, Yc @ Yc.T
        num, den = float((K * L).sum()), float(np.linalg.norm(K) * np.linalg.norm(L))
    else:
        num = float(np.linalg.norm(Yc.T @ Xc) ** 2)
        den = float(np.linalg.norm(Xc.T @ Xc) * np.linalg.norm(Yc.T @ Yc))
    return num / den if den > 0 else 0.0


def _hsic_unbiased(K, L):
    n = K.shape[0]
    K = K.copy()
    L = L.copy()
    np.fill_diagonal(K, 0.0)
    np.fill_diagonal(L, 0.0)
    ones = np.ones(n)
    term = np.trace(K @ L) + (ones @ K @ ones) * (ones @ L @ ones) / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * (ones @ K @ L @ ones)
    return term / (n * (n - 3))


def debiased_cka(X, Y) -> float:
    """Debiased linear CKA: CKA with the unbiased HSIC estimator (Song et al., 2012).

    ``HSIC_u(K, L) / sqrt(HSIC_u(K, K) HSIC_u(L, L))`` with linear kernels. Removes
    the upward bias of CKA when n is small relative to the dims. Range about [-1, 1]
    (can be slightly negative for unrelated spaces); needs n_samples >= 4.

    Parameters
    ----------
    X : array-like of shape (n_samples, d_x)
    Y : array-like of shape (n_samples, d_y)
    """
    X, Y = _pair(X, Y, min_samples=4, what="the unbiased HSIC")
    K, L = X @ X.T, Y @ Y.T
    kk, ll = _hsic_unbiased(K, K), _hsic_unbiased(L, L)
    if kk <= 0 or ll <= 0:
        return 0.0
    return float(_hsic_unbiased(K, L) / np.sqrt(kk * ll))


def rbf_cka(X, Y, *, sigma_frac: float = 0.8) -> float:
    """CKA with Gaussian kernels, bandwidth a fraction of the median pairwise distance.

    ``K_ij = exp(-|x_i - x_j|^2 / (2 sigma^2))``, ``sigma = sigma_frac * median_dist``,
    then ``HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))`` on centred kernels. Range [0, 1].

    Parameters
    ----------
    X : array-like of shape (n_samples, d_x)
    Y : array-like of shape (n_samples, d_y)
    sigma_frac : float, default=0.8
    """
    X, Y = _pair(X, Y)
    check_number(sigma_frac, name="sigma_frac", low=0, low_open=True)

    def kernel(M):
        sq = (M * M).sum(1)
        D2 = np.maximum(sq[:, None] + sq[None, :] - 2 * M @ M.T, 0.0)
        med = np.median(np.sqrt(D2[np.triu_indices_from(D2, 1)]))
        sigma = sigma_frac * med if med > 0 else 1.0
        return np.exp(-D2 / (2 * sigma**2))

    n = X.shape[0]
    H = np.eye(n) - 1.0 / n
    K, L = H @ kernel(X) @ H, H @ kernel(Y) @ H
    den = np.sqrt((K * K).sum() * (L * L).sum())
    return float((K * L).sum() / den) if den > 0 else 0.0


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
    X, Y = _pair(X, Y)
    _check_k(k, X.shape[0], exclude_self=True)

    def neighbours(M):
        S = _normalize(M) @ _normalize(M).T
        np.fill_diagonal(S, -np.inf)
        return _topk(S, k)

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
    X, Y = _pair(X, Y)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    nx, ny = np.linalg.norm(Xc), np.linalg.norm(Yc)
    if nx == 0 or ny == 0:
        raise InvalidInputError(
            f"{'X' if nx == 0 else 'Y'} is constant (every row the same, zero variance): the Procrustes distance "
            "is undefined; compare spaces whose samples differ"
        )
    Xu, Yu = Xc / nx, Yc / ny
    if max(X.shape[1], Y.shape[1]) > X.shape[0]:
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
    from scipy.stats import spearmanr

    X, Y = _pair(X, Y, min_samples=3, what="RSA")
    iu = np.triu_indices(X.shape[0], 1)
    dx = 1.0 - (_normalize(X) @ _normalize(X).T)[iu]
    dy = 1.0 - (_normalize(Y) @ _normalize(Y).T)[iu]
    for name, d in (("X", dx), ("Y", dy)):
        if np.ptp(d) == 0:
            raise InvalidInputError(
                f"RSA is undefined: all pairwise cosine distances in {name} are equal (a rank correlation needs "
                "varying distances)"
            )
    return float(spearmanr(dx, dy).statistic)


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


def compare_spaces(X, Y, *, k: int = 10, metrics=None) -> dict:
    """Every metric for one pair of parallel spaces.

    Parameters
    ----------
    X : array-like of shape (n_samples, d_x)
    Y : array-like of shape (n_samples, d_y)
    k : int, default=10
        Neighbourhood size of ``jaccard`` and ``mutual_knn``.
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
    X, Y = _pair(X, Y, min_samples=need, what=f"metrics {[m for m in names if _MIN_SAMPLES.get(m, 2) == need]}")
    for name, M in (("X", X), ("Y", Y)):
        if np.all(M == M[0]):
            raise InvalidInputError(
                f"{name} is constant (every row the same): geometry metrics are undefined; compare spaces whose "
                "samples differ"
            )
    if "jaccard" in names and X.shape[1] == Y.shape[1]:
        _check_k(k, X.shape[0])
    if "mutual_knn" in names:
        _check_k(k, X.shape[0], exclude_self=True)
    out = {}
    for name in names:
        fn, same = METRICS[name]
        if same and X.shape[1] != Y.shape[1]:
            out[name] = float("nan")
        elif name in ("jaccard", "mutual_knn"):
            out[name] = fn(X, Y, k=k)
        elif name == "rsa":
            try:
                out[name] = fn(X, Y)
            except InvalidInputError:
                out[name] = float("nan")  # equal distances: documented as NaN
        else:
            out[name] = fn(X, Y)
    return out
