"""Relative projection: represent each sample by its similarity to anchor samples.

``relative_projection`` is the pure function; :class:`RelativeProjection` is the
scikit-learn estimator that stores what it learned from the anchors (``fit``) and
applies it to new vectors (``transform``). Both give identical results.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, validate_data

from ..errors import AnchorError, InvalidInputError, InvalidTypeError, MismatchError, UnknownIdError
from ..validation import NotFittedYetError, as_vectors, check_bool, check_choice, check_finite, check_int, check_number, fmt_list, unit_rows

__all__ = ["relative_projection", "RelativeProjection", "SIMILARITIES", "PRODUCT_BLOCKS"]

#: Similarities accepted by :func:`relative_projection`.
SIMILARITIES = ("cosine", "angular", "euclidean", "l1", "linf", "product")
#: The blocks concatenated by ``similarity="product"``, in order.
PRODUCT_BLOCKS = ("cosine", "euclidean", "l1", "linf")
_CENTERS = (None, "anchors")


def _check_params(similarity, center, scale, topk, power):
    check_choice(similarity, name="similarity", choices=SIMILARITIES)
    check_choice(center, name="center", choices=_CENTERS[1:], allow_none=True)
    check_bool(scale, name="scale")
    if topk is not None:
        check_int(topk, name="topk", low=1)
    check_number(power, name="power", low=0, low_open=True)


def _where(rows, ids) -> str:
    """``rows [..]`` or ``rows with ids [..]``."""
    rows = np.asarray(rows)
    return f"rows {fmt_list(rows)}" if ids is None else f"rows with ids {fmt_list(np.asarray(ids)[rows])}"


#: Rows per block of the cosine kernel, for wide (compute-bound) and narrow
#: (memory-bound) inputs; see ``benchmarks/bench_relative.py``.
_BLOCK_ROWS_WIDE = 131072
_BLOCK_ROWS_NARROW = 4096
#: Rows with at most this many dims are "narrow": the output dominates the memory
#: traffic, so each block of X is normalised in a small buffer before the GEMM.
_NARROW_DIMS = 128
#: Rows of X at least this wide go through torch's GEMM (MKL, on a zero-copy
#: ``torch.from_numpy`` view) instead of numpy's (OpenBLAS); None: numpy for every
#: shape. Chosen per shape with ``benchmarks/bench_relative.py`` (its "forced numpy /
#: forced torch" columns): on the 2-core reference machine numpy was as fast as or
#: faster than torch at every shape (10k and 1M rows, 64 and 384 dims, 300 anchors;
#: torch 1.2-9x slower at 64 dims), and importing torch costs seconds, so numpy it is.
#: Set e.g. 256 on a machine where MKL's sgemm wins.
_TORCH_FROM_DIMS: int | None = None


def _gemm_backend(X: np.ndarray, AnT: np.ndarray) -> str:
    """``"torch"`` or ``"numpy"``: the GEMM measured faster for this shape (torch only
    on plain native-endian arrays it can view without a copy)."""
    if _TORCH_FROM_DIMS is None or X.shape[1] < _TORCH_FROM_DIMS or not X.dtype.isnative or any(s < 0 for s in X.strides):
        return "numpy"
    try:
        import torch  # noqa: F401  (a core dependency; imported lazily)
    except ImportError:  # pragma: no cover
        return "numpy"
    return "torch"


def _cosine_blocked(X: np.ndarray, AnT: np.ndarray, *, x_name: str = "X", x_ids=None,
                    out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
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
    Rows whose norm over- or underflows are recomputed in float64 after dividing by
    their largest entry. See ``benchmarks/bench_relative.py``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    AnT : ndarray of shape (d, k)
        Normalised anchors, transposed, C-contiguous, X's dtype.
    out : ndarray of shape (n, k), optional
        C-contiguous, X's dtype: receives the result in place (e.g. a chunk of a file).

    Returns
    -------
    R : ndarray of shape (n, k)
        ``out`` when given.
    x_norm : ndarray of shape (n,)
        Row norms of X (0 exactly for all-zero rows; 1 for recomputed rows).
    """
    n, d = X.shape
    R = np.empty((n, AnT.shape[1]), dtype=X.dtype) if out is None else out
    narrow = d <= _NARROW_DIMS
    step = _BLOCK_ROWS_NARROW if narrow else _BLOCK_ROWS_WIDE
    if _gemm_backend(X, AnT) == "torch":
        x_norm = _cosine_blocks_torch(X, AnT, R, step=step, narrow=narrow)
    else:
        x_norm = _cosine_blocks_numpy(X, AnT, R, step=step, narrow=narrow)
    fi = np.finfo(X.dtype)
    bad = ~np.isfinite(x_norm) | (x_norm < np.sqrt(fi.tiny) / fi.eps)  # overflow, underflow or all zero
    if bad.any():
        if not np.all(np.isfinite(X[bad])):
            check_finite(X, name=x_name, ids=x_ids)  # names the rows with NaN/Inf
        # finite rows whose norm over- or underflowed (or all-zero rows): redo them in
        # float64, each row scaled by its largest entry first
        rows = np.nonzero(bad)[0]
        U, zero = unit_rows(X[rows])
        R[rows] = (U @ AnT.astype(np.float64)).astype(R.dtype)
        x_norm[rows] = np.where(zero, 0.0, 1.0)
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


def _block(similarity: str, X: np.ndarray, A: np.ndarray, ctx: dict, out: np.ndarray | None = None) -> np.ndarray:
    """One similarity block, shape (n, k). Distances are negated so that larger = more similar.

    ``ctx`` names things in messages: ``x_ids`` / ``a_ids`` (ids of the rows of X / A,
    or None for positions) and ``pre`` (whether X and A were centred or scaled).
    ``out`` (cosine and angular only) receives the block in place.
    """
    if similarity in ("cosine", "angular"):
        after = " after centering/scaling" if ctx.get("pre") else ""
        An, a_zero = unit_rows(A)
        if a_zero.any():
            raise AnchorError(
                f"anchor {_where(np.nonzero(a_zero)[0], ctx.get('a_ids'))} are all zero{after}: "
                "cosine is undefined; choose other anchors or another similarity"
            )
        R, x_norm = _cosine_blocked(
            X, np.ascontiguousarray(An.astype(X.dtype).T), x_name=ctx.get("x_name", "X"), x_ids=ctx.get("x_ids"), out=out
        )
        if np.any(x_norm == 0):
            raise InvalidInputError(
                f"{_where(np.nonzero(x_norm == 0)[0], ctx.get('x_ids'))} of {ctx.get('x_name', 'X')} are all zero{after}: "
                "cosine is undefined; drop them or use a distance-based similarity (euclidean, l1, linf)"
            )
        if similarity == "angular":
            np.clip(R, -1.0, 1.0, out=R)
            np.arccos(R, out=R)
            R *= -1.0 / np.pi
            R += 1.0
        return R
    with np.errstate(over="ignore", invalid="ignore"):
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


def _fit_stats(A: np.ndarray, *, similarity, center, scale, a_ids=None) -> dict:
    """Everything learned from the anchors: centre, scale, per-block z-score stats."""
    stats = {"anchors": A, "shift": None, "mean": None, "std": None, "blocks": None, "a_ids": a_ids}
    if center == "anchors" and A.shape[0] < 2:
        raise AnchorError(
            "center='anchors' needs at least 2 anchors (n_samples=1 given): a single centred anchor is all zero"
        )
    if scale and A.shape[0] < 2:
        raise AnchorError("scale=True needs at least 2 anchors (n_samples=1 given) to estimate a standard deviation")
    with np.errstate(over="ignore", invalid="ignore"):
        if center == "anchors" or scale:
            stats["shift"] = A.mean(0)  # centring and standard scaling both subtract the anchor mean
        if center == "anchors":
            stats["mean"] = stats["shift"]
        if scale:
            std = A.std(0)
            if np.any(std == 0):
                cols = np.nonzero(std == 0)[0]
                raise InvalidInputError(
                    f"scale=True: columns {fmt_list(cols)} are constant on the anchors (std 0); drop those features, "
                    "pick more varied anchors or set scale=False"
                )
            stats["std"] = std
        Ap = _preprocess(A, stats)
    stats["anchors_pre"] = Ap
    if similarity == "product":
        blocks = []
        pre = stats["shift"] is not None
        ctx = {"x_name": "A after centering/scaling" if pre else "A", "x_ids": a_ids, "a_ids": a_ids, "pre": pre}
        with np.errstate(over="ignore", invalid="ignore"):
            for sim in PRODUCT_BLOCKS:
                B = _block(sim, Ap, Ap, ctx)
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


def _apply(X: np.ndarray, stats: dict, *, similarity, topk, power, x_ids=None, out: np.ndarray | None = None) -> np.ndarray:
    pre = stats["shift"] is not None
    ctx = {"x_ids": x_ids, "a_ids": stats.get("a_ids"), "pre": pre, "x_name": "X after centering/scaling" if pre else "X"}
    direct = out is not None and similarity in ("cosine", "angular") and topk is None and power == 1
    with np.errstate(over="ignore", invalid="ignore"):
        Xp = _preprocess(X, stats)
        Ap = stats["anchors_pre"].astype(X.dtype, copy=False)
        if similarity == "product":
            parts = [(_block(sim, Xp, Ap, ctx) - m) / s for sim, (m, s) in zip(PRODUCT_BLOCKS, stats["blocks"])]
            R = np.concatenate(parts, axis=1).astype(X.dtype, copy=False)
        else:
            R = _block(similarity, Xp, Ap, ctx, out=out if direct else None)
        if topk is not None or power != 1:
            R = _asif(R, topk=topk, power=power)
    return R


def _project(X: np.ndarray, stats: dict, *, similarity, center, scale, topk, power, x_ids=None,
             out: np.ndarray | None = None) -> np.ndarray:
    """:func:`_apply`, checked: float32 results that overflow are redone in float64; what
    still is not finite raises, naming the rows. ``out`` (C-contiguous, the result's
    dtype) receives the result in place and is returned."""
    R = _apply(X, stats, similarity=similarity, topk=topk, power=power, x_ids=x_ids, out=out)
    bounded = similarity in ("cosine", "angular") and topk is None and power == 1  # in [-1, 1] by construction
    bad = None if bounded else ~np.isfinite(R).all(axis=1)
    if bad is not None and bad.any():
        R = _retry_in_float64(X, stats, bad, similarity=similarity, center=center, scale=scale, topk=topk,
                              power=power, x_ids=x_ids)
    if out is not None and R is not out:
        out[...] = R
        R = out
    return R


def _retry_in_float64(X, stats, bad, *, similarity, center, scale, topk, power, x_ids):
    if X.dtype == np.float32:  # e.g. squared distances beyond float32: retry in float64
        A64 = stats["anchors"].astype(np.float64)
        stats64 = _fit_stats(A64, similarity=similarity, center=center, scale=scale, a_ids=stats.get("a_ids"))
        with np.errstate(over="ignore"):
            R = _apply(X.astype(np.float64), stats64, similarity=similarity, topk=topk, power=power, x_ids=x_ids)
            R = R.astype(np.float32)
        bad = ~np.isfinite(R).all(axis=1)
        if not bad.any():
            return R
    big = max(float(np.abs(X).max()), float(np.abs(stats["anchors"]).max()))
    raise InvalidInputError(
        f"the relative vectors of {_where(np.nonzero(bad)[0], x_ids)} overflow ({X.dtype}) with "
        f"similarity={similarity!r}{'' if power == 1 else f', power={power!r}'}: the inputs are too large "
        f"(largest |value| {big:.3g}); rescale X and A by the same factor (e.g. divide both by their max "
        "absolute value), or lower power"
    )


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
    odd = ~np.isfinite(norm[:, 0]) & np.isfinite(R).all(axis=1)  # finite rows whose norm overflowed
    if odd.any():
        U, _ = unit_rows(R[odd])
        R[odd] = U.astype(R.dtype)
        norm[odd] = 1.0
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
    ids=None,
    anchor_ids=None,
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
    ids : array-like of shape (n_samples,), optional
        Sample ids of the rows of ``X``, used only to name rows in error messages.
    anchor_ids : array-like of shape (n_anchors,), optional
        Sample ids of the rows of ``A``, likewise.

    Returns
    -------
    R : ndarray of shape (n_samples, n_anchors), or (n_samples, 4 * n_anchors) for ``product``
        float32 when both inputs are float32 (or float16, bool, or ints within
        +-2**24; see :mod:`core.validation`), else float64. Always finite.

    Raises
    ------
    InvalidInputError
        Non-2-D or empty inputs, NaN/Inf, all-zero rows of ``X`` under cosine/angular
        (the message gives their ids, or row positions without ``ids``), a constant
        feature under ``scale=True``, or results that overflow even in float64.
    AnchorError
        No anchors, all-zero anchors under cosine/angular, too few anchors to centre or
        scale.
    MismatchError
        ``X`` and ``A`` differ in ``n_dims``.
    InvalidTypeError
        Non-numeric vectors or parameters of the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> relative_projection(X, X)
    array([[1., 0.],
           [0., 1.]])
    """
    _check_params(similarity, center, scale, topk, power)
    X = as_vectors(X, name="X", finite=False)
    ids = _row_ids("ids", ids, X.shape[0])
    A = as_vectors(A, name="A", min_rows=0, finite=False)
    anchor_ids = _row_ids("anchor_ids", anchor_ids, A.shape[0])
    check_finite(A, name="A", ids=anchor_ids)
    if X.shape[1] != A.shape[1]:
        raise MismatchError(
            f"X has n_dims={X.shape[1]} but A has n_dims={A.shape[1]}; anchors must live in the same space as X"
        )
    if A.shape[0] == 0:
        raise AnchorError("A is empty: pass at least one anchor vector")
    A = A.astype(np.result_type(X.dtype, A.dtype), copy=False)
    stats = _fit_stats(A, similarity=similarity, center=center, scale=scale, a_ids=anchor_ids)
    return _project_rows(X, stats, similarity=similarity, center=center, scale=scale, topk=topk, power=power, ids=ids)


def _project_rows(X, stats: dict, *, similarity, center, scale, topk, power, ids=None,
                  out: np.ndarray | None = None) -> np.ndarray:
    """Validate rows ``X`` and project them with anchor statistics from :func:`_fit_stats`.

    The one code path behind :func:`relative_projection`, the streaming CLI
    (:mod:`core.io.streaming`, chunk by chunk) and the Dask blocks
    (:mod:`core.io.distributed`), so all three give the same numbers.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
    stats : dict
        From :func:`_fit_stats`; its anchors' dtype is the result's dtype.
    ids : array-like of shape (n_samples,), optional
        Names rows in error messages.
    out : ndarray of shape (n_samples, n_outputs), optional
        C-contiguous, the result's dtype; receives the result in place.

    Returns
    -------
    R : ndarray of shape (n_samples, n_outputs)
    """
    # cosine/angular without pre-processing validate X through its row norms (no extra pass)
    fused = similarity in ("cosine", "angular") and center is None and not scale
    X = as_vectors(X, name="X", finite=False)
    if not fused:
        check_finite(X, name="X", ids=ids)
    A = stats["anchors"]
    if X.shape[1] != A.shape[1]:
        raise MismatchError(
            f"X has n_dims={X.shape[1]} but A has n_dims={A.shape[1]}; anchors must live in the same space as X"
        )
    X = X.astype(A.dtype, copy=False)
    return _project(X, stats, similarity=similarity, center=center, scale=scale, topk=topk, power=power, x_ids=ids, out=out)


def _result_dtype(x_dtype, a_dtype) -> np.dtype:
    """The result dtype of rows of dtype ``x_dtype`` against validated (float) anchors,
    known before the rows are read (streamed files, Dask blocks): float32 when the rows
    are float16/float32 and the anchors float32, else float64 (ints count as float64)."""
    x = np.dtype(x_dtype)
    x = np.dtype(np.float32) if x in (np.float16, np.float32) else np.dtype(np.float64)
    return np.result_type(x, a_dtype)


def _row_ids(name, ids, n):
    """Ids naming the rows of a matrix in messages (None: name row positions)."""
    if ids is None:
        return None
    try:
        ids = np.asarray(ids)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"{name} cannot be read as a 1-D array ({exc})") from None
    if ids.shape != (n,):
        raise MismatchError(f"{name} must have shape ({n},), one id per row; got {ids.shape}")
    return ids


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
        X = self._validate(X, reset=True)
        have = None if ids is None else _row_ids("ids", ids, X.shape[0])
        check_finite(X, name="X", ids=have)
        a_ids = None
        if self.anchor_ids is None:
            A = X
            a_ids = have
        else:
            try:
                want = np.asarray(self.anchor_ids)
            except (ValueError, TypeError) as exc:
                raise AnchorError(f"anchor_ids cannot be read as a 1-D list of ids ({exc})") from None
            if want.ndim != 1 or len(want) == 0:
                raise AnchorError(f"anchor_ids must be a non-empty 1-D list of ids; got shape {want.shape}")
            wl = want.tolist()
            try:
                lookup = {v: i for i, v in enumerate((np.arange(X.shape[0]) if have is None else have).tolist())}
                dup = len(set(wl)) != len(wl)
            except TypeError as exc:  # unhashable ids
                raise InvalidTypeError(f"anchor_ids and ids must be ints or strings ({exc})") from None
            if dup:
                raise AnchorError("anchor_ids contain duplicates; each anchor id must appear once")
            missing = [a for a in wl if a not in lookup]
            if missing:
                raise UnknownIdError(
                    f"{len(missing)} anchor id(s) are not among the fitted samples: {fmt_list(missing)}"
                    + ("" if have is not None else " (without ids=..., the ids are the row numbers 0..n-1)")
                )
            A = X[[lookup[a] for a in wl]]
            a_ids = want
        self._stats = _fit_stats(A, similarity=self.similarity, center=self.center, scale=self.scale, a_ids=a_ids)
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
        self._check_fitted()
        _check_params(self.similarity, self.center, self.scale, self.topk, self.power)
        fused = self.similarity in ("cosine", "angular") and self.center is None and not self.scale
        X = self._validate(X, reset=False)
        if not fused:
            check_finite(X, name="X")
        stats = self._stats
        kw = dict(similarity=self.similarity, center=self.center, scale=self.scale, topk=self.topk, power=self.power)
        if stats["anchors"].dtype != X.dtype:
            with np.errstate(over="ignore"):
                A = stats["anchors"].astype(X.dtype)
            if not np.all(np.isfinite(A)):  # float64 anchors beyond float32: compute in float64
                R = _project(X.astype(stats["anchors"].dtype), stats, **kw)
                with np.errstate(over="ignore"):
                    out = R.astype(X.dtype)
                if not np.all(np.isfinite(out)):
                    raise InvalidInputError(
                        f"the relative vectors overflow {X.dtype}: the fitted anchors are beyond its range; "
                        "pass X as float64"
                    )
                return out
            stats = _fit_stats(A, similarity=self.similarity, center=self.center, scale=self.scale, a_ids=stats.get("a_ids"))
        return _project(X, stats, **kw)

    def _check_fitted(self):
        try:
            check_is_fitted(self)
        except NotFittedError:
            raise NotFittedYetError(
                f"This {type(self).__name__} is not fitted yet: call fit(anchor_vectors) first"
            ) from None

    def _validate(self, X, *, reset: bool) -> np.ndarray:
        """Our checks (dtype, shape) with our messages, then scikit-learn's bookkeeping."""
        X = as_vectors(X, name="X", finite=False)
        try:
            return validate_data(self, X, dtype=(np.float64, np.float32), reset=reset, ensure_all_finite=False)
        except ValueError as exc:  # e.g. n_features differs from fit
            raise MismatchError(str(exc)) from None

    def get_feature_names_out(self, input_features=None):
        """Names ``rel_<similarity>_<j>`` of the output columns."""
        self._check_fitted()
        blocks = PRODUCT_BLOCKS if self.similarity == "product" else (self.similarity,)
        return np.asarray([f"rel_{b}_{j}" for b in blocks for j in range(self.n_anchors_)], dtype=object)
