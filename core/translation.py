"""Latent space translation (Maiorca et al., NeurIPS 2023) and inverse relative projection.

A translation is a map fitted on *parallel anchors* (the same sample ids encoded by a
source and a target encoder) that sends source vectors into the target space, where the
target encoder's ORIGINAL head can read them.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["LatentTranslation", "TRANSLATIONS", "inverse_relative_projection"]

#: Methods accepted by :class:`LatentTranslation`.
TRANSLATIONS = ("orthogonal", "linear", "affine")


def _check_2d(name, M):
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n, d); got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError(f"{name} contains NaN or Inf; clean those rows first")
    return M


class LatentTranslation(BaseEstimator):
    """Map source vectors into a target space, fitted on parallel anchors.

    Procedure (Maiorca et al. 2023): standard-scale each space with its own anchors'
    mean and scale, zero-pad the smaller space to the larger dimension, fit ``R`` on
    the anchors, translate, drop the padding and undo the target's scaling. The scale
    is isotropic (the RMS norm of the centred anchors), so scaling never distorts a
    rotation and a zero-padded copy keeps its scale.

    Parameters
    ----------
    method : {"orthogonal", "linear", "affine"}, default="orthogonal"
        - ``orthogonal``: Procrustes, ``R = U V^T`` from ``svd(As^T At)``.
        - ``linear``: least squares ``min |As R - At|``.
        - ``affine``: least squares with a bias, ``min |As R + b - At|`` (closed form).
    std_scale : bool, default=True
        Centre each space on its anchor mean and divide by the RMS norm of its centred
        anchors (one scalar per space) before fitting.
    pad : bool, default=True
        Zero-pad to equal dims when they differ. With ``pad=False`` and
        ``method="orthogonal"``, differing dims raise an error.

    Attributes
    ----------
    R_ : ndarray of shape (d_max, d_max) or (d_source, d_target)
    b_ : ndarray of shape (d_target_padded,)
        Zero unless ``method="affine"``.
    source_mean_, target_mean_ : ndarray
    source_std_, target_std_ : float
        RMS norm of the centred anchors (1.0 with ``std_scale=False``).
    n_features_in_ : int
        Source dimension.
    n_features_out_ : int
        Target dimension.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 4)); Q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    >>> t = LatentTranslation().fit(X[:20], X[:20] @ Q)
    >>> bool(np.allclose(t.transform(X), X @ Q))
    True
    """

    def __init__(self, method: str = "orthogonal", *, std_scale: bool = True, pad: bool = True):
        self.method = method
        self.std_scale = std_scale
        self.pad = pad

    def fit(self, source_anchors, target_anchors):
        """Fit the map on parallel anchors.

        Parameters
        ----------
        source_anchors : array-like of shape (n_anchors, d_source)
        target_anchors : array-like of shape (n_anchors, d_target)
            Row i of both is the same sample.

        Returns
        -------
        self
        """
        if self.method not in TRANSLATIONS:
            raise ValueError(f"method={self.method!r} is not supported; choose one of {list(TRANSLATIONS)}")
        S = _check_2d("source_anchors", source_anchors)
        T = _check_2d("target_anchors", target_anchors)
        if S.shape[0] != T.shape[0]:
            raise ValueError(
                f"source_anchors has {S.shape[0]} rows but target_anchors has {T.shape[0]}; "
                "pass the same anchor ids encoded by both encoders"
            )
        if S.shape[0] < 2:
            raise ValueError(f"n_anchors={S.shape[0]} must be >= 2 to fit a translation")
        ds, dt = S.shape[1], T.shape[1]
        if ds != dt and not self.pad and self.method == "orthogonal":
            raise ValueError(f"dims differ ({ds} vs {dt}): set pad=True or use method='linear'")
        if S.shape[0] < max(ds, dt):
            warnings.warn(
                f"n_anchors={S.shape[0]} < latent dim {max(ds, dt)}: the translation is under-determined; "
                "use at least as many anchors as dimensions",
                UserWarning,
                stacklevel=2,
            )
        self.source_mean_, self.source_std_ = self._stats(S)
        self.target_mean_, self.target_std_ = self._stats(T)
        Sn = (S - self.source_mean_) / self.source_std_
        Tn = (T - self.target_mean_) / self.target_std_
        self._d = max(ds, dt) if self.pad else None
        Sp, Tp = self._pad(Sn), self._pad(Tn)
        if self.method == "orthogonal":
            U, _, Vt = np.linalg.svd(Sp.T @ Tp)
            self.R_ = U @ Vt
            self.b_ = np.zeros(Tp.shape[1])
        elif self.method == "linear":
            self.R_ = np.linalg.lstsq(Sp, Tp, rcond=None)[0]
            self.b_ = np.zeros(Tp.shape[1])
        else:
            Sa = np.hstack([Sp, np.ones((Sp.shape[0], 1))])
            W = np.linalg.lstsq(Sa, Tp, rcond=None)[0]
            self.R_, self.b_ = W[:-1], W[-1]
        self.n_features_in_, self.n_features_out_ = ds, dt
        return self

    def _stats(self, M):
        if not self.std_scale:
            return np.zeros(M.shape[1]), 1.0
        mean = M.mean(0)
        # isotropic scale: the RMS norm of the centred anchors, so it does not depend on
        # the number of dims (a zero-padded copy keeps its scale)
        std = float(np.sqrt(((M - mean) ** 2).sum(1).mean()))
        return mean, (std if std > 0 else 1.0)

    def _pad(self, M):
        if self._d is None or M.shape[1] == self._d:
            return M
        return np.hstack([M, np.zeros((M.shape[0], self._d - M.shape[1]))])

    def transform(self, X):
        """Translate source vectors into the target space.

        Parameters
        ----------
        X : array-like of shape (n_samples, d_source)

        Returns
        -------
        Y : ndarray of shape (n_samples, d_target), same float dtype as ``X`` (float64 for ints)
        """
        check_is_fitted(self)
        X0 = np.asarray(X)
        X = _check_2d("X", X0)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} dims but the translation was fitted on {self.n_features_in_}")
        Y = self._pad((X - self.source_mean_) / self.source_std_) @ self.R_ + self.b_
        Y = Y[:, : self.n_features_out_] * self.target_std_ + self.target_mean_
        return Y.astype(X0.dtype if X0.dtype in (np.float32, np.float64) else np.float64)


def inverse_relative_projection(R, target_anchors, *, norm: float | None = None):
    """Map relative vectors back into a target space (arXiv 2406.15057).

    Solves ``normalize(A_t) y = r`` by least squares (``y = pinv(normalize(A_t)) r``)
    for every row ``r``, then rescales each ``y`` to the target's typical norm. Feeding
    the result to the target's original head stitches without a relative decoder.

    Parameters
    ----------
    R : array-like of shape (n_samples, n_anchors)
        Cosine relative vectors (from any encoder) w.r.t. the anchors.
    target_anchors : array-like of shape (n_anchors, d_target)
        The same anchor ids encoded by the target encoder.
    norm : float, optional
        Norm given to every output row. Default: the mean norm of ``target_anchors``.

    Returns
    -------
    Y : ndarray of shape (n_samples, d_target)

    Warns
    -----
    UserWarning
        When ``n_anchors < d_target``: the system is under-determined.
    """
    R = _check_2d("R", R)
    A = _check_2d("target_anchors", target_anchors)
    if R.shape[1] != A.shape[0]:
        raise ValueError(f"R has {R.shape[1]} columns but there are {A.shape[0]} target anchors; they must match")
    a_norm = np.linalg.norm(A, axis=1)
    if np.any(a_norm == 0):
        raise ValueError(f"target anchor rows {np.nonzero(a_norm == 0)[0][:10].tolist()} are all zero")
    if A.shape[0] < A.shape[1]:
        warnings.warn(
            f"n_anchors={A.shape[0]} < d={A.shape[1]}: inverse relative projection is under-determined; "
            "use at least d anchors",
            UserWarning,
            stacklevel=2,
        )
    An = A / a_norm[:, None]
    Y = np.linalg.lstsq(An, R.T, rcond=None)[0].T
    target_norm = float(a_norm.mean()) if norm is None else float(norm)
    y_norm = np.linalg.norm(Y, axis=1, keepdims=True)
    y_norm[y_norm == 0] = 1.0
    return Y / y_norm * target_norm
