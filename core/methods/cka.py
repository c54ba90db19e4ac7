"""Centred kernel alignment (CKA) between two parallel spaces: linear, debiased, RBF.

How each follows its reference (Kornblith et al. 2019's demo notebook, latentis's
``measure.functional.cka``, Song et al. 2012's unbiased HSIC) is in docs/references.md.
"""

from __future__ import annotations

import numpy as np

from .metric_inputs import centred_pair, check_pair
from ..validation import check_choice, check_number

__all__ = ["linear_cka", "debiased_cka", "rbf_cka", "rbf_bandwidth", "BANDWIDTHS"]


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
    Xc, Yc, wide = centred_pair(X, Y)
    if wide:  # the same traces through (n, n) Gram matrices
        K, L = Xc @ Xc.T, Yc @ Yc.T
        num, den = float((K * L).sum()), float(np.linalg.norm(K) * np.linalg.norm(L))
    else:
        num = float(np.linalg.norm(Yc.T @ Xc) ** 2)
        den = float(np.linalg.norm(Xc.T @ Xc) * np.linalg.norm(Yc.T @ Yc))
    return num / den if den > 0 else 0.0


def _hsic_unbiased(K, L):
    """Song et al.'s unbiased HSIC of two symmetric Gram matrices whose diagonals are already 0."""
    n = K.shape[0]
    # trace(K L) = sum(K * L) and 1^T K L 1 = (K 1) . (L 1) for symmetric K, L: O(n^2), not a (n, n) product
    k1, l1 = K.sum(1), L.sum(1)
    term = float((K * L).sum()) + k1.sum() * l1.sum() / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * float(k1 @ l1)
    return term / (n * (n - 3))


def debiased_cka(X, Y) -> float:
    """Debiased linear CKA: CKA with the unbiased HSIC estimator (Song et al., 2012).

    ``HSIC_u(K, L) / sqrt(HSIC_u(K, K) HSIC_u(L, L))`` with linear kernels of the
    column-centred features (as Kornblith et al.'s ``feature_space_linear_cka`` does).
    HSIC_u is invariant to a shared offset in exact arithmetic; centring first keeps it
    so in floating point (uncentred Gram matrices of data at offset 1e4 cancel to 0).
    Removes the upward bias of CKA when n is small relative to the dims. Range about
    [-1, 1] (can be slightly negative for unrelated spaces); needs n_samples >= 4.

    Parameters
    ----------
    X : array-like of shape (n_samples, d_x)
    Y : array-like of shape (n_samples, d_y)
    """
    Xc, Yc, _ = centred_pair(X, Y, min_samples=4, what="the unbiased HSIC")
    K, L = Xc @ Xc.T, Yc @ Yc.T
    np.fill_diagonal(K, 0.0)
    np.fill_diagonal(L, 0.0)
    kk, ll = _hsic_unbiased(K, K), _hsic_unbiased(L, L)
    if kk <= 0 or ll <= 0:
        return 0.0
    return float(_hsic_unbiased(K, L) / np.sqrt(kk * ll))


#: Median conventions of :func:`rbf_cka`'s bandwidth.
BANDWIDTHS = ("latentis", "kornblith")


def _sq_distances(M: np.ndarray) -> np.ndarray:
    """Squared euclidean distances (n, n) from direct differences: identical rows give exactly 0."""
    from scipy.spatial.distance import pdist, squareform

    return squareform(pdist(M, "sqeuclidean"))


def rbf_bandwidth(D2: np.ndarray, *, sigma_frac: float = 1.0, bandwidth: str = "latentis") -> float:
    """The RBF kernel width ``sigma`` of one space from its squared distances.

    - ``latentis``: ``sigma = sigma_frac * sqrt(m)``, ``m`` the lower median (torch's
      ``median``) of the non-zero squared pairwise distances (latentis's ``rbf``).
    - ``kornblith``: ``sigma = sigma_frac * sqrt(m)``, ``m`` the median (numpy's, the
      mean of the two middle values) of all n^2 squared distances, the zero diagonal
      included (``gram_rbf(x, threshold=sigma_frac)`` in Kornblith et al.'s demo).

    Parameters
    ----------
    D2 : ndarray of shape (n, n)
        Squared pairwise distances, zero diagonal.
    sigma_frac : float, default=1.0
    bandwidth : {"latentis", "kornblith"}, default="latentis"

    Returns
    -------
    float
        1.0 when every distance is 0 (a constant space).
    """
    if bandwidth == "latentis":
        nz = np.sort(D2[D2 != 0])
        m = float(nz[(len(nz) - 1) // 2]) if len(nz) else 0.0
    else:
        m = float(np.median(D2))
    return sigma_frac * float(np.sqrt(m)) if m > 0 else 1.0


def _double_centred(K: np.ndarray) -> np.ndarray:
    """``H K H`` with ``H = I - 1/n`` for a symmetric K, in O(n^2): minus row and column means, plus the grand mean."""
    m = K.mean(0)
    K -= m[None, :]
    K -= m[:, None]
    K += m.mean()
    return K


def rbf_cka(X, Y, *, sigma_frac: float = 1.0, bandwidth: str = "latentis") -> float:
    """CKA with Gaussian kernels, bandwidth from the median pairwise distance.

    ``K_ij = exp(-|x_i - x_j|^2 / (2 sigma^2))`` with ``sigma`` from
    :func:`rbf_bandwidth` (one per space), then ``HSIC(K, L) / sqrt(HSIC(K, K)
    HSIC(L, L))`` on centred kernels (Kornblith et al., 2019). Range [0, 1].

    Parameters
    ----------
    X : array-like of shape (n_samples, d_x)
    Y : array-like of shape (n_samples, d_y)
    sigma_frac : float, default=1.0
        Fraction of the median distance (Kornblith's ``threshold``; latentis uses 1).
    bandwidth : {"latentis", "kornblith"}, default="latentis"
        Which median: latentis's lower median of the non-zero squared distances (the
        default, so values match the authors' library), or Kornblith et al.'s median of
        all squared distances. See :func:`rbf_bandwidth`.
    """
    X, Y = check_pair(X, Y)
    check_number(sigma_frac, name="sigma_frac", low=0, low_open=True)
    check_choice(bandwidth, name="bandwidth", choices=BANDWIDTHS)

    def kernel(M):
        D2 = _sq_distances(M)
        sigma = rbf_bandwidth(D2, sigma_frac=sigma_frac, bandwidth=bandwidth)
        return np.exp(-D2 / (2 * sigma**2))

    K, L = _double_centred(kernel(X)), _double_centred(kernel(Y))
    den = np.sqrt((K * K).sum() * (L * L).sum())
    return float((K * L).sum() / den) if den > 0 else 0.0
