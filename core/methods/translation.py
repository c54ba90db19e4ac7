"""Latent space translation (Maiorca et al., NeurIPS 2023) and inverse relative projection.

A translation is a map fitted on *parallel anchors* (the same sample ids encoded by a
source and a target encoder) that sends source vectors into the target space, where the
target encoder's ORIGINAL head can read them.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import AnchorError, InvalidInputError, MismatchError
from ..validation import (
    NotFittedYetError,
    as_vectors,
    check_bool,
    check_choice,
    check_number,
    fmt_list,
    safe_row_norms,
    unit_rows,
)

__all__ = ["LatentTranslation", "TRANSLATIONS", "SCALINGS", "inverse_relative_projection"]

#: Methods accepted by :class:`LatentTranslation`.
TRANSLATIONS = ("orthogonal", "linear", "affine")
#: Standardisations accepted by :class:`LatentTranslation` (``None``: none).
SCALINGS = ("feature", "isotropic")

#: Above this (padded) dimension, with fewer anchors than dims, the map is kept in
#: low-rank form instead of a dense d x d matrix (50,000 dims would need 20 GB).
LOW_RANK_MIN_DIM = 4096


def _check_2d(name, M, **kw):
    return as_vectors(M, name=name, **kw).astype(np.float64, copy=False)


def _pinv(M: np.ndarray) -> np.ndarray:
    """Pseudo-inverse with ``np.linalg.lstsq``'s default cutoff (``eps * max(M.shape) * s_max``)."""
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    keep = s > np.finfo(np.float64).eps * max(M.shape) * (s[0] if len(s) else 0.0)
    return (Vt[keep].T / s[keep]) @ U[:, keep].T


def _row_basis(M: np.ndarray) -> np.ndarray:
    """Orthonormal rows spanning the rows of a wide ``M`` (r, d), r <= n.

    Through the small Gram matrix ``M M^T`` (one GEMM and an (n, n) eigendecomposition,
    far faster than an SVD or QR of a 50,000-column matrix), twice for orthogonality to
    working precision. Directions with singular value below 1e-7 of the largest are
    dropped.
    """
    B = M
    for _ in range(2):
        w, a = np.linalg.eigh(B @ B.T)
        sv = np.sqrt(np.maximum(w, 0.0))
        keep = sv > 1e-7 * sv.max() if sv.max() > 0 else np.zeros(len(sv), bool)
        B = (a[:, keep] / sv[keep]).T @ B
    return B


def _low_rank_procrustes(Sp: np.ndarray, Tp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An orthogonal Procrustes solution for ``n < d`` anchors without a d x d matrix.

    ``R = I + Q D Q^T`` with ``Q`` (d, m) orthonormal, ``m <= 2n``: R sends the
    principal directions of ``Sp^T Tp`` onto their partners (which maximises
    ``tr(R^T Sp^T Tp)``, as the dense ``U V^T`` does), maps the rest of span(Q) by the
    rotation closest to the identity and leaves everything orthogonal to Q unchanged.
    """
    Bs, Bt = _row_basis(Sp), _row_basis(Tp)  # Sp = (Sp Bs^T) Bs, likewise Tp
    u, _, vh = np.linalg.svd((Sp @ Bs.T).T @ (Tp @ Bt.T), full_matrices=False)  # Sp^T Tp = Bs^T [this] Bt
    U, V = Bs.T @ u, Bt.T @ vh.T  # (d, p) each, orthonormal columns: the paired directions
    p = U.shape[1]
    Q = _row_basis(np.vstack([U.T, V.T])).T  # (d, m): a basis of span(U) + span(V)
    m = Q.shape[1]
    u_w, v_w = Q.T @ U, Q.T @ V  # (m, p)
    u_perp = np.linalg.svd(u_w, full_matrices=True)[0][:, p:]
    v_perp = np.linalg.svd(v_w, full_matrices=True)[0][:, p:]
    a, _, bt = np.linalg.svd(u_perp.T @ v_perp)
    R_w = u_w @ v_w.T + u_perp @ (a @ bt) @ v_perp.T
    return Q, R_w - np.eye(m)


class LatentTranslation(BaseEstimator):
    """Map source vectors into a target space, fitted on parallel anchors.

    Procedure (Maiorca et al. 2023): standardise each space on its own anchors,
    zero-pad the smaller space to the larger dimension, fit ``R`` on the anchors,
    translate, drop the padding and undo the target's standardisation.

    Parameters
    ----------
    method : {"orthogonal", "linear", "affine"}, default="orthogonal"
        - ``orthogonal``: Procrustes, ``R = U V^T`` from ``svd(As^T At)``.
        - ``linear``: least squares ``min |As R - At|``.
        - ``affine``: least squares with a bias, ``min |As R + b - At|`` (closed form).
    scaling : {"feature", "isotropic"} or None, default="feature"
        How each space is standardised on its anchors before fitting:

        - ``feature`` (the paper's and latentis's ``Procrustes`` recipe): every feature
          to zero mean and unit variance (``std`` with ``ddof=1`` as latentis; the
          choice of ``ddof`` cancels out). Recovers a target that is the source with
          axes stretched; an orthogonal map no longer recovers a rotated copy exactly,
          because per-feature scaling does not commute with rotations.
        - ``isotropic``: centre, then divide by one number per space, the RMS norm of
          the centred anchors. Recovers rotated, isotropically scaled and shifted
          copies exactly (also zero-padded ones: padding keeps that norm).
        - None: no centring or scaling.

        Features constant on the anchors (std 0, or below the rounding noise of
        their mean) keep scale 1, as latentis's ``_handle_zeros`` does.
    pad : bool, default=True
        Zero-pad to equal dims when they differ. With ``pad=False`` and
        ``method="orthogonal"``, differing dims raise an error.

    Attributes
    ----------
    R_ : ndarray of shape (d_max, d_max) or (d_source, d_target), or None
        None for the identity (see ``identity_``) and when the map is kept in low-rank
        form: dims above :data:`LOW_RANK_MIN_DIM` (4,096) with fewer anchors than
        dims. Then memory is O(n_anchors x d) instead of O(d^2); ``linear`` and
        ``affine`` give the same minimum-norm least-squares map, ``orthogonal`` an
        equally optimal rotation that leaves directions outside the anchors' span
        unchanged.
    b_ : ndarray of shape (d_target_padded,) or (d_target,)
        Zero unless ``method="affine"``.
    identity_ : bool
        True when the source and target anchors are the same array (a space
        translated onto itself): the map is then the identity. Without this
        short-cut, fewer anchors than dims leave R free outside the anchors' span
        and the fitted map would move vectors of a space onto itself.
    source_mean_, target_mean_ : ndarray of shape (d_source,), (d_target,)
    source_std_, target_std_ : ndarray of shape (d_source,), (d_target,), or float
        Per-feature standard deviations (``scaling="feature"``), the RMS norm of
        the centred anchors (``"isotropic"``), or 1.0 (None).
    n_features_in_ : int
        Source dimension.
    n_features_out_ : int
        Target dimension.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 4))
    >>> Y = X * [1.0, 10.0, 1.0, 1.0] + 5.0  # one axis stretched 10x, shifted
    >>> t = LatentTranslation().fit(X[:20], Y[:20])
    >>> bool(np.allclose(t.transform(X), Y))
    True
    >>> Q = np.linalg.qr(rng.normal(size=(4, 4)))[0]  # a rotated copy: the isotropic recipe
    >>> t = LatentTranslation(scaling="isotropic").fit(X[:20], X[:20] @ Q)
    >>> bool(np.allclose(t.transform(X), X @ Q))
    True
    """

    def __init__(self, method: str = "orthogonal", *, scaling: str | None = "feature", pad: bool = True):
        self.method = method
        self.scaling = scaling
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
        check_choice(self.method, name="method", choices=TRANSLATIONS)
        check_choice(self.scaling, name="scaling", choices=SCALINGS, allow_none=True)
        check_bool(self.pad, name="pad")
        S = _check_2d("source_anchors", source_anchors)
        T = _check_2d("target_anchors", target_anchors)
        if S.shape[0] != T.shape[0]:
            raise MismatchError(
                f"source_anchors has {S.shape[0]} rows but target_anchors has {T.shape[0]}; "
                "pass the same anchor ids encoded by both encoders"
            )
        if S.shape[0] < 2:
            raise AnchorError(f"n_anchors={S.shape[0]} must be >= 2 to fit a translation")
        ds, dt = S.shape[1], T.shape[1]
        if ds != dt and not self.pad and self.method == "orthogonal":
            raise MismatchError(f"dims differ ({ds} vs {dt}): set pad=True or use method='linear'")
        self.n_features_in_, self.n_features_out_ = ds, dt
        self.identity_ = S.shape == T.shape and np.array_equal(S, T)
        if self.identity_:  # a space onto itself: exactly i -> i, whatever the number of anchors
            self.R_, self.b_, self._low_rank, self._d = None, np.zeros(dt), None, None
            self.source_mean_, self.target_mean_ = np.zeros(ds), np.zeros(dt)
            self.source_std_ = self.target_std_ = 1.0
            return self
        if S.shape[0] < max(ds, dt):
            warnings.warn(
                f"n_anchors={S.shape[0]} < latent dim {max(ds, dt)}: the translation is under-determined; "
                "use at least as many anchors as dimensions",
                UserWarning,
                stacklevel=2,
            )
        self.source_mean_, self.source_std_ = self._stats(S, "source_anchors")
        self.target_mean_, self.target_std_ = self._stats(T, "target_anchors")
        Sn = (S - self.source_mean_) / self.source_std_
        Tn = (T - self.target_mean_) / self.target_std_
        self._d = max(ds, dt) if self.pad else None
        n = S.shape[0]
        self._low_rank = None
        try:
            if max(ds, dt) > LOW_RANK_MIN_DIM and n < max(ds, dt):
                self.R_, self.b_ = None, np.zeros(dt)
                if self.method == "orthogonal":
                    Q, D = _low_rank_procrustes(self._pad(Sn), self._pad(Tn))
                    self._low_rank = ("orthogonal", Q, D)
                elif self.method == "linear":
                    self._low_rank = ("linear", _pinv(Sn), Tn)
                else:
                    P = _pinv(np.hstack([Sn, np.ones((n, 1))]))
                    self._low_rank = ("linear", P[:-1], Tn)
                    self.b_ = P[-1] @ Tn
                parts = self._low_rank[1:]
            else:
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
                parts = (self.R_,)
        except np.linalg.LinAlgError as exc:
            raise InvalidInputError(
                f"the {self.method} translation could not be fitted ({exc}); the anchors are degenerate: "
                "pick more varied anchors"
            ) from None
        if not all(np.all(np.isfinite(p)) for p in (*parts, self.b_)):
            raise InvalidInputError(
                f"the {self.method} translation is not finite: the anchor vectors are too extreme; "
                "rescale them or pick other anchors"
            )
        return self

    def _stats(self, M, name):
        if self.scaling is None:
            return np.zeros(M.shape[1]), 1.0
        with np.errstate(over="ignore", invalid="ignore"):
            mean = M.mean(0)
            C = M - mean
            if self.scaling == "feature":
                # per-column std (ddof=1), each column divided by its largest magnitude first (no overflow)
                top = np.abs(C).max(0)
                safe = np.where(top > 0, top, 1.0)
                std = np.sqrt(((C / safe) ** 2).sum(0) / (M.shape[0] - 1)) * top
                # constant on the anchors, or spread within the rounding noise of the mean: keep scale 1
                const = std <= 10 * np.finfo(np.float64).eps * np.abs(mean)
                std = np.where(const | (std == 0), 1.0, std)
            else:
                # isotropic: the RMS norm of the centred anchors, so it does not depend on the
                # number of dims (a zero-padded copy keeps its scale); computed without overflow
                norms = safe_row_norms(C)
                top = norms.max()
                std = float(top * np.sqrt(np.mean((norms / top) ** 2))) if top > 0 else 0.0
                std = std if std > 0 else 1.0
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std))):
            raise InvalidInputError(
                f"{name} are too large to standardise (their mean or spread overflows float64); rescale them"
            )
        return mean, std

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
        Y : ndarray of shape (n_samples, d_target)
            float32 or float64 as ``X`` (see :mod:`core.validation` for other dtypes).
        """
        if not hasattr(self, "n_features_in_"):
            raise NotFittedYetError("This LatentTranslation is not fitted yet: call fit(source_anchors, target_anchors) first")
        X32 = as_vectors(X, name="X")
        X = X32.astype(np.float64, copy=False)
        if X.shape[1] != self.n_features_in_:
            raise MismatchError(f"X has {X.shape[1]} dims but the translation was fitted on {self.n_features_in_}")
        if self.identity_:
            return X32.copy()
        with np.errstate(over="ignore", invalid="ignore"):
            Xn = (X - self.source_mean_) / self.source_std_
            if self._low_rank is None:
                Y = self._pad(Xn) @ self.R_ + self.b_
            elif self._low_rank[0] == "linear":
                _, P, Tn = self._low_rank
                Y = (Xn @ P) @ Tn + self.b_
            else:
                _, Q, D = self._low_rank
                Xp = self._pad(Xn)
                Y = Xp + ((Xp @ Q) @ D) @ Q.T
            Y = Y[:, : self.n_features_out_] * self.target_std_ + self.target_mean_
            Y = Y.astype(X32.dtype)
        bad = ~np.isfinite(Y).all(axis=1)
        if bad.any():
            raise InvalidInputError(
                f"the translated vectors of rows {fmt_list(np.nonzero(bad)[0])} overflow {Y.dtype}: "
                "X is too large for this translation; rescale X like the source anchors"
            )
        return Y


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
        raise MismatchError(f"R has {R.shape[1]} columns but there are {A.shape[0]} target anchors; they must match")
    a_norm = safe_row_norms(A)
    if np.any(a_norm == 0):
        raise AnchorError(
            f"target anchor rows {fmt_list(np.nonzero(a_norm == 0)[0])} are all zero: cosine is undefined; "
            "pick other anchors"
        )
    if not np.all(np.isfinite(a_norm)):
        raise InvalidInputError("target_anchors are too large (their norms overflow float64); rescale them")
    if norm is not None:
        norm = check_number(norm, name="norm", low=0, low_open=True)
    if A.shape[0] < A.shape[1]:
        warnings.warn(
            f"n_anchors={A.shape[0]} < d={A.shape[1]}: inverse relative projection is under-determined; "
            "use at least d anchors",
            UserWarning,
            stacklevel=2,
        )
    An = unit_rows(A)[0]
    try:
        Y = np.linalg.lstsq(An, R.T, rcond=None)[0].T
    except np.linalg.LinAlgError as exc:
        raise InvalidInputError(f"inverse relative projection failed ({exc}); pick more varied anchors") from None
    target_norm = float(a_norm.mean()) if norm is None else norm
    with np.errstate(over="ignore", invalid="ignore"):
        Y = unit_rows(Y)[0] * target_norm
    if not np.all(np.isfinite(Y)):
        raise InvalidInputError("the inverse relative projection overflows: R or the anchors are too large; rescale them")
    return Y
