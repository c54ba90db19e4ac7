"""Relative projection: represent each sample by its similarity to anchor samples.

``relative_projection`` is the pure function; :class:`RelativeProjection` is the
scikit-learn estimator that stores what it learned from the anchors (``fit``) and
applies it to new vectors (``transform``). Both give identical results.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["relative_projection", "RelativeProjection", "SIMILARITIES", "PRODUCT_BLOCKS"]

#: Similarities accepted by :func:`relative_projection`.
SIMILARITIES = ("cosine", "angular", "euclidean", "l1", "linf", "product")
#: The blocks concatenated by ``similarity="product"``, in order.
PRODUCT_BLOCKS = ("cosine", "euclidean", "l1", "linf")
_CENTERS = (None, "anchors")


def _as_float_2d(name: str, M, *, check_finite: bool = True) -> np.ndarray:
    M = np.asarray(M)
    if M.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n, d); got shape {M.shape}")
    if M.dtype not in (np.float32, np.float64):
        M = M.astype(np.float32 if M.dtype == np.float16 else np.float64)
    if check_finite:
        _check_finite(name, M)
    return M


def _check_finite(name: str, M: np.ndarray) -> None:
    if not np.all(np.isfinite(M)):
        bad = np.unique(np.nonzero(~np.isfinite(M))[0])[:10].tolist()
        raise ValueError(f"{name} contains NaN or Inf in rows {bad}; clean or drop those rows first")


def _check_params(similarity, center, scale, topk, power):
    if similarity not in SIMILARITIES:
        raise ValueError(f"similarity={similarity!r} is not supported; choose one of {list(SIMILARITIES)}")
    if center not in _CENTERS:
        raise ValueError(f"center={center!r} is not supported; use None or 'anchors'")
    if not isinstance(scale, (bool, np.bool_)):
        raise TypeError(f"scale={scale!r} must be True or False")
    if topk is not None and (isinstance(topk, bool) or not isinstance(topk, (int, np.integer)) or topk < 1):
        raise ValueError(f"topk={topk!r} must be None or an int >= 1")
    if not (isinstance(power, (int, float, np.number)) and np.isfinite(power) and power > 0):
        raise ValueError(f"power={power!r} must be a finite number > 0")


#: Rows per block of the cosine kernel, for wide (compute-bound) and narrow
#: (memory-bound) inputs; see ``benchmarks/bench_relative.py``.
_BLOCK_ROWS_WIDE = 131072
_BLOCK_ROWS_NARROW = 4096
#: Rows of X at least this wide go through torch's GEMM (MKL, on a zero-copy
#: ``torch.from_numpy`` view) instead of numpy's (OpenBLAS); None: numpy for every
#: shape. Chosen per shape with ``benchmarks/bench_relative.py`` (its "forced numpy /
#: forced torch" columns): on the 2-core reference machine numpy was as fast as or
#: faster than torch at every shape (10k and 1M rows, 64 and 384 dims, 300 anchors;
#: torch 1.2-9x slower at 64 dims), and importing torch costs seconds, so numpy it is.
#: Set e.g. 256 on a machine where MKL's sgemm wins.
_TORCH_FROM_DIMS: int | None = None
#: Narrow rows are those with at most this many dims: the output dominates memory
#: traffic, so X's block is normalised in a small buffer before the GEMM.
_NARROW_DIMS = 128


def _gemm_backend(X: np.ndarray, AnT: np.ndarray) -> str:
    """``"torch"`` or ``"numpy"``: the faster GEMM for this shape (torch only on plain
    native-endian arrays it can view without a copy)."""
    if _TORCH_FROM_DIMS is None or X.shape[1] < _TORCH_FROM_DIMS or not X.dtype.isnative or any(s < 0 for s in X.strides):
        return "numpy"
    try:
        import torch  # noqa: F401  (a core dependency; imported lazily)
    except ImportError:  # pragma: no cover
        return "numpy"
    return "torch"


def _cosine_blocked(X: np.ndarray, AnT: np.ndarray, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(X @ AnT) / |x|`` block by block, without copying X as a whole.

    - Narrow rows (``d <= 128``; the GEMM is bound by writing the output): each block
      of X is normalised into a small reused buffer, then multiplied, so the output
      is written once.
    - Wide rows: one large GEMM per block, then the output block is scaled by the
      inverse row norms.

    The GEMM runs in numpy or in torch on a zero-copy view of the same memory
    (``torch.from_numpy``), whichever was measured faster for the shape
    (``_TORCH_FROM_DIMS``).

    A row of ``X`` with NaN or Inf shows up as a non-finite norm, which is then
    reported with the exact rows, so finite inputs pay no separate validation pass.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    AnT : ndarray of shape (d, k)
        Normalised anchors, transposed, C-contiguous, same dtype as X.
    out : ndarray of shape (n, k), optional
        Written in place (C-contiguous rows, X's dtype), e.g. a chunk of an output file.

    Returns
    -------
    R : ndarray of shape (n, k)
        ``out`` when given.
    x_norm : ndarray of shape (n,)
        Row norms of X.
    """
    n, d = X.shape
    R = np.empty((n, AnT.shape[1]), dtype=X.dtype) if out is None else out
    narrow = d <= _NARROW_DIMS
    step = _BLOCK_ROWS_NARROW if narrow else _BLOCK_ROWS_WIDE
    if _gemm_backend(X, AnT) == "torch":
        x_norm = _cosine_blocks_torch(X, AnT, R, step=step, narrow=narrow)
    else:
        x_norm = _cosine_blocks_numpy(X, AnT, R, step=step, narrow=narrow)
    if not np.all(np.isfinite(x_norm)):
        _check_finite("X", X)  # names the rows with NaN/Inf
        # finite but huge: the float32 norm overflowed; redo in float64
        x64 = X.astype(np.float64)
        x_norm = np.linalg.norm(x64, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            R[...] = (x64 @ AnT.astype(np.float64)) / x_norm[:, None]
    return R, x_norm


def _cosine_blocks_numpy(X, AnT, R, *, step, narrow) -> np.ndarray:
    n, d = X.shape
    x_norm = np.empty(n, dtype=X.dtype)
    buf = np.empty((min(step, n), d), dtype=X.dtype) if narrow else None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for s in range(0, n, step):
            Xb = X[s : s + step]
            m = Xb.shape[0]
            nb = np.sqrt(np.einsum("ij,ij->i", Xb, Xb))
            x_norm[s : s + m] = nb
            inv = (1.0 / nb)[:, None]
            if narrow:
                np.multiply(Xb, inv, out=buf[:m])
                np.matmul(buf[:m], AnT, out=R[s : s + m])
            else:
                Rb = R[s : s + m]
                np.matmul(Xb, AnT, out=Rb)
                Rb *= inv
    return x_norm


def _cosine_blocks_torch(X, AnT, R, *, step, narrow) -> np.ndarray:
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # read-only X (a memmap, a LatentSpace): never written
        Xt = torch.from_numpy(X)
    At, Rt = torch.from_numpy(AnT), torch.from_numpy(R)
    n, d = X.shape
    x_norm = torch.empty(n, dtype=Xt.dtype)
    buf = torch.empty((min(step, n), d), dtype=Xt.dtype) if narrow else None
    with torch.inference_mode():
        for s in range(0, n, step):
            Xb = Xt[s : s + step]
            m = Xb.shape[0]
            nb = torch.linalg.vector_norm(Xb, dim=1, out=x_norm[s : s + m])
            if narrow:
                torch.div(Xb, nb[:, None], out=buf[:m])
                torch.mm(buf[:m], At, out=Rt[s : s + m])
            else:
                Rb = Rt[s : s + m]
                torch.mm(Xb, At, out=Rb)
                Rb.div_(nb[:, None])
    return x_norm.numpy()


def _block(similarity: str, X: np.ndarray, A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """One similarity block, shape (n, k). Distances are negated so that larger = more similar.

    ``out`` (cosine and angular only) receives the block in place.
    """
    if similarity in ("cosine", "angular"):
        a_norm = np.linalg.norm(A, axis=1)
        if np.any(a_norm == 0):
            raise ValueError(
                f"anchor rows {np.nonzero(a_norm == 0)[0][:10].tolist()} are all zero after centering/scaling: "
                "cosine is undefined; choose other anchors or another similarity"
            )
        R, x_norm = _cosine_blocked(X, np.ascontiguousarray((A / a_norm[:, None]).T), out=out)
        if np.any(x_norm == 0):
            raise ValueError(
                f"rows {np.nonzero(x_norm == 0)[0][:10].tolist()} of X are all zero after centering/scaling: "
                "cosine is undefined; drop them or use a distance-based similarity"
            )
        if similarity == "angular":
            np.clip(R, -1.0, 1.0, out=R)
            np.arccos(R, out=R)
            R *= -1.0 / np.pi
            R += 1.0
        return R
    if similarity == "euclidean":
        sq = np.einsum("ij,ij->i", X, X)[:, None] - 2.0 * (X @ A.T) + np.einsum("ij,ij->i", A, A)[None, :]
        return -np.sqrt(np.maximum(sq, 0.0))
    p = 1 if similarity == "l1" else np.inf
    out = np.empty((X.shape[0], A.shape[0]), dtype=X.dtype)
    step = max(1, int(2**24 // max(1, A.shape[0] * X.shape[1])))
    for s in range(0, X.shape[0], step):
        diff = np.abs(X[s : s + step, None, :] - A[None, :, :])
        out[s : s + step] = -(diff.sum(-1) if p == 1 else diff.max(-1))
    return out


def _fit_stats(A: np.ndarray, *, similarity, center, scale) -> dict:
    """Everything learned from the anchors: centre, scale, per-block z-score stats."""
    stats = {"anchors": A, "shift": None, "mean": None, "std": None, "blocks": None}
    if center == "anchors" and A.shape[0] < 2:
        raise ValueError(
            f"center='anchors' needs at least 2 anchors (n_samples=1 given): a single centred anchor is all zero"
        )
    if center == "anchors" or scale:
        stats["shift"] = A.mean(0)  # centring and standard scaling both subtract the anchor mean
    if center == "anchors":
        stats["mean"] = stats["shift"]
    if scale and A.shape[0] < 2:
        raise ValueError("scale=True needs at least 2 anchors (n_samples=1 given) to estimate a standard deviation")
    if scale:
        std = A.std(0)
        if np.any(std == 0):
            cols = np.nonzero(std == 0)[0][:10].tolist()
            raise ValueError(
                f"scale=True: columns {cols} are constant on the anchors (std 0); drop those features, "
                "pick more varied anchors or set scale=False"
            )
        stats["std"] = std
    Ap = _preprocess(A, stats)
    stats["anchors_pre"] = Ap
    if similarity == "product":
        blocks = []
        for sim in PRODUCT_BLOCKS:
            B = _block(sim, Ap, Ap)
            sd = B.std()
            blocks.append((B.mean(), sd if sd > 0 else 1.0))
        stats["blocks"] = blocks
    return stats


def _preprocess(X: np.ndarray, stats: dict) -> np.ndarray:
    if stats["shift"] is not None:
        X = X - stats["shift"].astype(X.dtype, copy=False)
    if stats["std"] is not None:
        X = X / stats["std"].astype(X.dtype, copy=False)
    return X


def _apply(X: np.ndarray, stats: dict, *, similarity, topk, power, out: np.ndarray | None = None) -> np.ndarray:
    Xp = _preprocess(X, stats)
    Ap = stats["anchors_pre"].astype(X.dtype, copy=False)
    direct = out is not None and similarity in ("cosine", "angular") and topk is None and power == 1
    if similarity == "product":
        parts = [(_block(sim, Xp, Ap) - m) / s for sim, (m, s) in zip(PRODUCT_BLOCKS, stats["blocks"])]
        R = np.concatenate(parts, axis=1).astype(X.dtype, copy=False)
    else:
        R = _block(similarity, Xp, Ap, out=out if direct else None)
    if topk is not None or power != 1:
        R = _asif(R, topk=topk, power=power)
    if out is not None and R is not out:
        out[...] = R
        R = out
    return R


def _project(X, stats: dict, *, similarity, topk, power, out: np.ndarray | None = None) -> np.ndarray:
    """Validate ``X`` and project it with anchor statistics from :func:`_fit_stats`.

    The one code path behind :func:`relative_projection`, the streaming CLI
    (:mod:`core.streaming`) and the Dask blocks (:mod:`core.distributed`), so all three
    give the same numbers. ``stats`` must have been fitted in the dtype of the result
    (``np.result_type(X.dtype, anchors.dtype)``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
    stats : dict
    out : ndarray of shape (n_samples, n_outputs), optional
        C-contiguous, in the result's dtype; receives the result in place.

    Returns
    -------
    R : ndarray of shape (n_samples, n_outputs)
    """
    # cosine/angular without pre-processing validate X through its row norms (no extra pass)
    fused = similarity in ("cosine", "angular") and stats["shift"] is None
    X = _as_float_2d("X", X, check_finite=not fused)
    A = stats["anchors"]
    if X.shape[1] != A.shape[1]:
        raise ValueError(
            f"X has n_dims={X.shape[1]} but A has n_dims={A.shape[1]}; anchors must live in the same space as X"
        )
    X = X.astype(np.result_type(X.dtype, A.dtype), copy=False)
    return _apply(X, stats, similarity=similarity, topk=topk, power=power, out=out)


def _asif(R: np.ndarray, *, topk, power) -> np.ndarray:
    """ASIF post-processing: keep the top-k entries of each row, raise to ``power``, L2-renormalise.

    Modifies ``R`` in place (callers pass a freshly computed array) and returns it renormalised.
    """
    if topk is not None and topk < R.shape[1]:
        drop = np.argpartition(R, R.shape[1] - topk, axis=1)[:, : R.shape[1] - topk]
        np.put_along_axis(R, drop, 0.0, axis=1)
    if power != 1:
        R = np.sign(R) * np.abs(R) ** power
    norm = np.linalg.norm(R, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return (R / norm).astype(R.dtype, copy=False)


def relative_projection(
    X,
    A,
    *,
    similarity: str = "cosine",
    center: str | None = None,
    scale: bool = False,
    topk: int | None = None,
    power: float = 1.0,
) -> np.ndarray:
    """Similarity of every sample to every anchor.

    ``r(x) = [sim(x, a_1), ..., sim(x, a_k)]`` (Moschella et al., ICLR 2023). With the
    default ``similarity="cosine"`` this is ``normalize(X) @ normalize(A).T``: invariant
    to rotations, reflections and isotropic rescaling applied to both ``X`` and ``A``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
        Vectors to project.
    A : array-like of shape (n_anchors, n_dims)
        Anchor vectors, in the same space as ``X``.
    similarity : {"cosine", "angular", "euclidean", "l1", "linf", "product"}, default="cosine"
        - ``cosine``: ``<x, a> / (|x| |a|)``, range [-1, 1].
        - ``angular``: ``1 - arccos(cos(x, a)) / pi``, range [0, 1]; same invariances as cosine.
        - ``euclidean`` / ``l1`` / ``linf``: the negated distance ``-|x - a|_p``, range
          (-inf, 0]. Invariant to rotations (euclidean only), translations and
          permutations, *not* to rescaling.
        - ``product``: the cosine, euclidean, l1 and linf blocks concatenated, each
          z-scored with the mean and standard deviation of its anchor-vs-anchor block
          (Cannistraci et al., ICLR 2024); shape (n_samples, 4 * n_anchors). The
          z-scoring makes every block invariant to isotropic rescaling.
    center : {None, "anchors"}, default=None
        ``"anchors"`` subtracts the anchor mean from ``X`` and ``A`` first, which adds
        invariance to translations.
    scale : bool, default=False
        Standard-scale each feature with the anchors' mean and standard deviation
        (per-feature, so it breaks rotation invariance; it adds invariance to
        per-feature scaling and translation).
    topk : int, optional
        ASIF post-processing (Norelli et al., 2023): keep the ``topk`` largest entries of
        each row and zero the others.
    power : float, default=1.0
        ASIF exponent applied (sign-preserving) after ``topk``. When ``topk`` is set or
        ``power != 1``, rows are L2-renormalised.

    Returns
    -------
    R : ndarray of shape (n_samples, n_anchors), or (n_samples, 4 * n_anchors) for ``product``
        float32 when both inputs are float32 (or float16), else float64.

    Raises
    ------
    ValueError
        On non-2-D inputs, mismatched ``n_dims``, NaN/Inf, no anchors, all-zero rows
        under cosine/angular (the message gives their row positions), or a constant
        feature under ``scale=True``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> relative_projection(X, X)
    array([[1., 0.],
           [0., 1.]])
    """
    _check_params(similarity, center, scale, topk, power)
    A = _as_float_2d("A", A)
    if A.shape[0] == 0:
        raise ValueError("A is empty: pass at least one anchor vector")
    X = np.asarray(X)
    if X.ndim == 2 and X.shape[1] != A.shape[1]:
        raise ValueError(
            f"X has n_dims={X.shape[1]} but A has n_dims={A.shape[1]}; anchors must live in the same space as X"
        )
    stats = _fit_stats(A.astype(_result_dtype(X, A), copy=False), similarity=similarity, center=center, scale=scale)
    return _project(X, stats, similarity=similarity, topk=topk, power=power)


def _result_dtype(X: np.ndarray, A: np.ndarray) -> np.dtype:
    """float32 when both are float32 (or float16), else float64 (ints count as float64)."""
    def kind(M):
        return M.dtype if M.dtype in (np.float32, np.float64) else np.dtype(np.float32 if M.dtype == np.float16 else np.float64)

    return np.result_type(kind(X), kind(A))


class RelativeProjection(TransformerMixin, BaseEstimator):
    """Scikit-learn transformer: vectors -> similarities to fitted anchors.

    ``fit`` learns the anchors (and their centre, scale and block statistics);
    ``transform`` returns :func:`relative_projection` of new vectors against them.

    Parameters
    ----------
    similarity : str, default="cosine"
        See :func:`relative_projection`.
    center : {None, "anchors"}, default=None
    scale : bool, default=False
    topk : int, optional
    power : float, default=1.0
    anchor_ids : array-like of shape (n_anchors,), optional
        If None, every row passed to ``fit`` is an anchor. Otherwise the anchors are
        the rows of ``fit``'s ``X`` whose sample ids (``ids`` argument of ``fit``, or
        the row numbers 0..n-1 when ``ids`` is not given) are in ``anchor_ids``, taken
        in the order of ``anchor_ids``.

    Attributes
    ----------
    anchors_ : ndarray of shape (n_anchors, n_features_in_)
        The anchor vectors as given (before centring/scaling).
    center_ : ndarray of shape (n_features_in_,) or None
        Anchor mean subtracted when ``center="anchors"``.
    scale_ : ndarray of shape (n_features_in_,) or None
        Anchor standard deviation when ``scale=True``.
    n_features_in_ : int
    n_anchors_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(50, 8)); y = (X[:, 0] > 0).astype(int)
    >>> rp = RelativeProjection(anchor_ids=[0, 5, 9]).fit(X)
    >>> rp.transform(X).shape
    (50, 3)
    """

    def __init__(self, similarity="cosine", *, center=None, scale=False, topk=None, power=1.0, anchor_ids=None):
        self.similarity = similarity
        self.center = center
        self.scale = scale
        self.topk = topk
        self.power = power
        self.anchor_ids = anchor_ids

    def fit(self, X, y=None, ids=None):
        """Learn the anchors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Anchor vectors, or candidate vectors when ``anchor_ids`` is set.
        y : ignored
        ids : array-like of shape (n_samples,), optional
            Sample ids of the rows of ``X`` (used with ``anchor_ids``).

        Returns
        -------
        self
        """
        _check_params(self.similarity, self.center, self.scale, self.topk, self.power)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=True)
        if self.anchor_ids is None:
            A = X
        else:
            want = np.asarray(self.anchor_ids)
            if want.ndim != 1 or len(want) == 0:
                raise ValueError(f"anchor_ids must be a non-empty 1-D list of ids; got shape {want.shape}")
            if len(np.unique(want)) != len(want):
                raise ValueError("anchor_ids contain duplicates; each anchor id must appear once")
            have = np.arange(X.shape[0]) if ids is None else np.asarray(ids)
            if have.shape != (X.shape[0],):
                raise ValueError(f"ids must have shape ({X.shape[0]},); got {have.shape}")
            lookup = {v: i for i, v in enumerate(have.tolist())}
            missing = [a for a in want.tolist() if a not in lookup]
            if missing:
                raise ValueError(f"{len(missing)} anchor id(s) are not among the fitted samples: {missing[:10]}")
            A = X[[lookup[a] for a in want.tolist()]]
        self._stats = _fit_stats(A, similarity=self.similarity, center=self.center, scale=self.scale)
        self.anchors_ = A
        self.center_ = self._stats["mean"]
        self.scale_ = self._stats["std"]
        self.n_anchors_ = A.shape[0]
        return self

    def transform(self, X):
        """Similarities to the fitted anchors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)

        Returns
        -------
        R : ndarray of shape (n_samples, n_anchors_) (``4 * n_anchors_`` for ``product``)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        stats = self._stats
        if stats["anchors"].dtype != X.dtype:
            stats = _fit_stats(stats["anchors"].astype(X.dtype), similarity=self.similarity, center=self.center, scale=self.scale)
        return _apply(X, stats, similarity=self.similarity, topk=self.topk, power=self.power)

    def get_feature_names_out(self, input_features=None):
        """Names ``rel_<similarity>_<j>`` of the output columns."""
        check_is_fitted(self)
        blocks = PRODUCT_BLOCKS if self.similarity == "product" else (self.similarity,)
        return np.asarray([f"rel_{b}_{j}" for b in blocks for j in range(self.n_anchors_)], dtype=object)
