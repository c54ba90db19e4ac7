"""Transforms of a latent space, for teaching which ones relative representations ignore.

Each transform maps every vector of a space the same way. Cosine relative vectors are
unchanged by rotations/reflections (any orthogonal map, permutations of the axes
included) and isotropic rescaling; they change under translation (unless centred on
the anchors), anisotropic rescaling and noise.

Examples
--------
>>> import numpy as np
>>> from core.methods.relative import relative_projection
>>> X = np.random.default_rng(0).normal(size=(50, 8))
>>> Y = transform_space(X, kind="rotation", strength=90.0, random_state=0)
>>> bool(np.allclose(relative_projection(X, X[:5]), relative_projection(Y, Y[:5]), atol=1e-6))
True
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError

__all__ = ["TRANSFORMS", "TRANSFORM_HELP", "transform_space", "random_orthogonal"]

#: Transform kinds accepted by :func:`transform_space`.
TRANSFORMS = (
    "none", "rotation", "random_orthogonal", "isotropic_scale", "translation", "anisotropic_scale",
    "permutation", "noise",
)

#: What ``strength`` means for each kind, and whether cosine relative vectors are invariant.
TRANSFORM_HELP = {
    "none": ("unused", True),
    "rotation": ("angle in degrees, applied in every pair of axes of a random basis", True),
    "random_orthogonal": ("unused: a random orthogonal matrix (rotation + reflection)", True),
    "isotropic_scale": ("factor multiplying every vector", True),
    "translation": ("shift length, in units of the space's mean vector norm", False),
    "anisotropic_scale": ("largest per-axis factor s: axes scaled by factors between 1/s and s", False),
    "permutation": ("unused: a random permutation of the axes", True),
    "noise": ("Gaussian noise standard deviation, in units of the per-axis RMS", False),
}


def random_orthogonal(d: int, *, random_state: int = 0) -> np.ndarray:
    """A random orthogonal matrix of shape (d, d) (Haar distributed, seeded)."""
    rng = np.random.default_rng(random_state)
    Q, R = np.linalg.qr(rng.normal(size=(d, d)))
    return Q * np.sign(np.diag(R))


def _rotation(d: int, degrees: float, rng) -> np.ndarray:
    """Rotation by ``degrees`` in each of d//2 orthogonal planes of a random basis."""
    B = random_orthogonal(d, random_state=int(rng.integers(2**31)))
    th = np.deg2rad(degrees)
    G = np.eye(d)
    for k in range(d // 2):
        i, j = 2 * k, 2 * k + 1
        G[i, i] = G[j, j] = np.cos(th)
        G[i, j], G[j, i] = -np.sin(th), np.sin(th)
    return B @ G @ B.T


def transform_space(X, *, kind: str, strength: float = 1.0, random_state: int = 0) -> np.ndarray:
    """Apply one transform to every row of ``X``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
    kind : str
        One of :data:`TRANSFORMS`:

        - ``none``: ``X`` unchanged (a copy).
        - ``rotation``: ``X R`` with R a rotation by ``strength`` degrees in each plane
          of a random orthonormal basis (0 and 360 give ``X``).
        - ``random_orthogonal``: ``X Q``, Q a random orthogonal matrix.
        - ``isotropic_scale``: ``strength * X`` (``strength > 0``).
        - ``translation``: ``X + t``, t a random direction of length ``strength`` times
          the mean row norm.
        - ``anisotropic_scale``: ``X diag(s)``, per-axis factors log-uniform in
          ``[1/strength, strength]`` (``strength >= 1``).
        - ``permutation``: the axes in a random order.
        - ``noise``: ``X + strength * rms * N(0, 1)``, ``rms`` the root mean square of X.
    strength : float, default=1.0
        See above; its meaning is in :data:`TRANSFORM_HELP`.
    random_state : int, default=0
        Seed of the random basis, direction, factors, permutation or noise.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_dims), the dtype of ``X`` (float32 or float64)

    Raises
    ------
    InvalidInputError
        An unknown kind, or a strength out of its range.
    """
    X0 = np.asarray(X)
    if X0.ndim != 2:
        raise InvalidInputError(f"X must be 2-D (n_samples, n_dims); got shape {X0.shape}")
    X = X0.astype(np.float64)
    if kind not in TRANSFORMS:
        raise InvalidInputError(f"kind={kind!r} is not supported; choose one of {list(TRANSFORMS)}")
    if not np.isfinite(strength):
        raise InvalidInputError(f"strength={strength!r} must be finite")
    rng = np.random.default_rng(random_state)
    d = X.shape[1]
    if kind == "none":
        Y = X.copy()
    elif kind == "rotation":
        Y = X @ _rotation(d, float(strength), rng)
    elif kind == "random_orthogonal":
        Y = X @ random_orthogonal(d, random_state=random_state)
    elif kind == "isotropic_scale":
        if strength <= 0:
            raise InvalidInputError(f"strength={strength} must be > 0 for an isotropic scale")
        Y = X * float(strength)
    elif kind == "translation":
        if strength < 0:
            raise InvalidInputError(f"strength={strength} must be >= 0 for a translation")
        t = rng.normal(size=d)
        t *= float(strength) * np.linalg.norm(X, axis=1).mean() / np.linalg.norm(t)
        Y = X + t
    elif kind == "anisotropic_scale":
        if strength < 1:
            raise InvalidInputError(f"strength={strength} must be >= 1 for an anisotropic scale (1 = no change)")
        s = np.exp(rng.uniform(-np.log(strength), np.log(strength), size=d))
        Y = X * s
    elif kind == "permutation":
        Y = X[:, rng.permutation(d)]
    else:
        if strength < 0:
            raise InvalidInputError(f"strength={strength} must be >= 0 for noise")
        rms = float(np.sqrt((X**2).mean()))
        Y = X + float(strength) * rms * rng.normal(size=X.shape)
    return Y.astype(X0.dtype if X0.dtype in (np.float32, np.float64) else np.float64)
