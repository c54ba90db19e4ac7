"""Relative projection: represent each sample by its similarity to anchor samples."""

from __future__ import annotations

import numpy as np

__all__ = ["relative_projection", "SIMILARITIES"]

#: Similarities accepted by :func:`relative_projection`.
SIMILARITIES = ("cosine",)


def _as_float_2d(name: str, M) -> np.ndarray:
    M = np.asarray(M)
    if M.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n, d); got shape {M.shape}")
    if M.dtype not in (np.float32, np.float64):
        M = M.astype(np.float64 if not np.issubdtype(M.dtype, np.floating) else np.float32)
    if not np.all(np.isfinite(M)):
        bad = np.unique(np.nonzero(~np.isfinite(M))[0])[:10].tolist()
        raise ValueError(f"{name} contains NaN or Inf in rows {bad}; clean or drop those rows first")
    return M


def relative_projection(X, A, *, similarity: str = "cosine") -> np.ndarray:
    """Similarity of every sample to every anchor.

    ``r(x) = [cos(x, a_1), ..., cos(x, a_k)]`` (Moschella et al., ICLR 2023). With
    ``similarity="cosine"`` this is ``normalize(X) @ normalize(A).T``: invariant to
    rotations, reflections and isotropic rescaling of the latent space applied to both
    ``X`` and ``A``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
        Vectors to project.
    A : array-like of shape (n_anchors, n_dims)
        Anchor vectors, in the same space as ``X``.
    similarity : {"cosine"}, default="cosine"

    Returns
    -------
    R : ndarray of shape (n_samples, n_anchors)
        float32 when both inputs are float32, else float64. Values in [-1, 1].

    Raises
    ------
    ValueError
        On non-2-D inputs, mismatched ``n_dims``, NaN/Inf, or all-zero rows (whose
        cosine is undefined; the message gives their row positions).
    """
    if similarity not in SIMILARITIES:
        raise ValueError(f"similarity={similarity!r} is not supported; choose one of {list(SIMILARITIES)}")
    X = _as_float_2d("X", X)
    A = _as_float_2d("A", A)
    if X.shape[1] != A.shape[1]:
        raise ValueError(
            f"X has n_dims={X.shape[1]} but A has n_dims={A.shape[1]}; anchors must live in the same space as X"
        )
    if A.shape[0] == 0:
        raise ValueError("A is empty: pass at least one anchor vector")
    dtype = np.result_type(X.dtype, A.dtype)
    X = X.astype(dtype, copy=False)
    A = A.astype(dtype, copy=False)
    a_norm = np.linalg.norm(A, axis=1)
    if np.any(a_norm == 0):
        raise ValueError(
            f"anchor rows {np.nonzero(a_norm == 0)[0][:10].tolist()} of A are all zero: cosine is undefined; "
            "choose other anchors"
        )
    x_norm = np.linalg.norm(X, axis=1)
    if np.any(x_norm == 0):
        raise ValueError(
            f"rows {np.nonzero(x_norm == 0)[0][:10].tolist()} of X are all zero: cosine is undefined; "
            "drop them or use a similarity that is defined at the origin"
        )
    # Scale the small (k, d) anchor matrix and the (n, k) output, never a copy of X.
    R = X @ (A / a_norm[:, None]).T
    R /= x_norm[:, None]
    return R
