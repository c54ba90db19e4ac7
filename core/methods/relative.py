"""Relative projection: represent each sample by its similarity to anchor samples.

``relative_projection`` is the pure function; the scikit-learn estimator
:class:`~core.methods.relative_estimator.RelativeProjection` runs the same code path.
The similarities themselves are in :mod:`core.methods.similarities`.

``check_params``, ``fit_stats``, ``project_rows`` and ``result_dtype`` are an internal
API (not exported) shared with :mod:`core.io.streaming` and :mod:`core.io.distributed`,
so that chunked and distributed projections give the same numbers as the in-memory one;
:class:`~core.methods.relative_estimator.RelativeProjection` also uses
``project_validated`` and ``row_ids``.
"""

from __future__ import annotations

import numpy as np

from ..errors import AnchorError, InvalidInputError, MismatchError
from ..validation import (as_1d, as_vectors, check_bool, check_choice, check_finite, check_int, check_number,
                          fmt_list)
from .similarities import PRODUCT_BLOCKS, SIMILARITIES, asif, name_rows, similarity_block

__all__ = ["relative_projection"]

_CENTERS = (None, "anchors")
#: Rows of a lower-precision X (float16) converted to the result's dtype at a time, for plain cosine/angular:
#: a whole float32 copy of a 1M x 384 space is 1.5 GB of fresh memory per projection.
_CONVERT_ROWS = 131_072


def check_params(similarity, center, scale, topk, power):
    """Validate the parameters of :func:`relative_projection` (its error messages)."""
    check_choice(similarity, name="similarity", choices=SIMILARITIES)
    check_choice(center, name="center", choices=_CENTERS[1:], allow_none=True)
    check_bool(scale, name="scale")
    if topk is not None:
        check_int(topk, name="topk", low=1)
    check_number(power, name="power", low=0, low_open=True)


def fit_stats(A: np.ndarray, *, similarity, center, scale, a_ids=None) -> dict:
    """Everything learned from the anchors: centre, scale, per-block z-score stats.

    Parameters
    ----------
    A : ndarray of shape (n_anchors, n_dims)
        Validated, finite anchors; their dtype is the dtype of the projections.
    similarity, center, scale
        As in :func:`relative_projection` (checked by :func:`check_params`).
    a_ids : ndarray of shape (n_anchors,), optional
        Names anchors in error messages.

    Returns
    -------
    stats : dict
        Input of :func:`project_rows`.
    """
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
                B = similarity_block(sim, Ap, Ap, ctx)
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
            parts = [(similarity_block(sim, Xp, Ap, ctx) - m) / s for sim, (m, s) in zip(PRODUCT_BLOCKS, stats["blocks"])]
            R = np.concatenate(parts, axis=1).astype(X.dtype, copy=False)
        else:
            R = similarity_block(similarity, Xp, Ap, ctx, out=out if direct else None)
        if topk is not None or power != 1:
            R = asif(R, topk=topk, power=power)
    return R


def project_validated(X: np.ndarray, stats: dict, *, similarity, center, scale, topk, power, x_ids=None,
                      out: np.ndarray | None = None) -> np.ndarray:
    """:func:`_apply` on validated rows (X already in the anchors' dtype), checked: float32
    results that overflow are redone in float64; what still is not finite raises, naming
    the rows. ``out`` (C-contiguous, the result's dtype) receives the result in place and
    is returned."""
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
        stats64 = fit_stats(A64, similarity=similarity, center=center, scale=scale, a_ids=stats.get("a_ids"))
        with np.errstate(over="ignore"):
            R = _apply(X.astype(np.float64), stats64, similarity=similarity, topk=topk, power=power, x_ids=x_ids)
            R = R.astype(np.float32)
        bad = ~np.isfinite(R).all(axis=1)
        if not bad.any():
            return R
    big = max(float(np.abs(X).max()), float(np.abs(stats["anchors"]).max()))
    raise InvalidInputError(
        f"the relative vectors of {name_rows(np.nonzero(bad)[0], x_ids)} overflow ({X.dtype}) with "
        f"similarity={similarity!r}{'' if power == 1 else f', power={power!r}'}: the inputs are too large "
        f"(largest |value| {big:.3g}); rescale X and A by the same factor (e.g. divide both by their max "
        "absolute value), or lower power"
    )


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
    check_params(similarity, center, scale, topk, power)
    X = as_vectors(X, name="X", finite=False)
    ids = row_ids("ids", ids, X.shape[0])
    A = as_vectors(A, name="A", min_rows=0, finite=False)
    anchor_ids = row_ids("anchor_ids", anchor_ids, A.shape[0])
    check_finite(A, name="A", ids=anchor_ids)
    if X.shape[1] != A.shape[1]:
        raise MismatchError(
            f"X has n_dims={X.shape[1]} but A has n_dims={A.shape[1]}; anchors must live in the same space as X"
        )
    if A.shape[0] == 0:
        raise AnchorError("A is empty: pass at least one anchor vector")
    A = A.astype(np.result_type(X.dtype, A.dtype), copy=False)
    stats = fit_stats(A, similarity=similarity, center=center, scale=scale, a_ids=anchor_ids)
    return project_rows(X, stats, similarity=similarity, center=center, scale=scale, topk=topk, power=power, ids=ids)


def project_rows(X, stats: dict, *, similarity, center, scale, topk, power, ids=None,
                 out: np.ndarray | None = None) -> np.ndarray:
    """Validate rows ``X`` and project them with anchor statistics from :func:`fit_stats`.

    The one code path behind :func:`relative_projection`, the streaming CLI
    (:mod:`core.io.streaming`, chunk by chunk) and the Dask blocks
    (:mod:`core.io.distributed`), so all three give the same numbers.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
    stats : dict
        From :func:`fit_stats`; its anchors' dtype is the result's dtype.
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
    kw = dict(similarity=similarity, center=center, scale=scale, topk=topk, power=power)
    if fused and topk is None and power == 1 and X.dtype != A.dtype and X.shape[0] > _CONVERT_ROWS:
        R = np.empty((X.shape[0], A.shape[0]), dtype=A.dtype) if out is None else out
        try:
            for s in range(0, X.shape[0], _CONVERT_ROWS):
                block = X[s:s + _CONVERT_ROWS]
                project_validated(block.astype(A.dtype), stats, x_ids=None if ids is None else ids[s:s + len(block)],
                                  out=R[s:s + len(block)], **kw)
            return R
        except InvalidInputError:  # name the bad rows by their place in the whole of X, as unblocked
            pass
    return project_validated(X.astype(A.dtype, copy=False), stats, x_ids=ids, out=out, **kw)


def result_dtype(x_dtype, a_dtype) -> np.dtype:
    """The result dtype of rows of dtype ``x_dtype`` against validated (float) anchors,
    known before the rows are read (streamed files, Dask blocks): float32 when the rows
    are float16/float32 and the anchors float32, else float64 (ints count as float64)."""
    x = np.dtype(x_dtype)
    x = np.dtype(np.float32) if x in (np.float16, np.float32) else np.dtype(np.float64)
    return np.result_type(x, a_dtype)


def row_ids(name, ids, n):
    """Ids naming the rows of a matrix in messages (None: name row positions)."""
    if ids is None:
        return None
    return as_1d(ids, n, name=name, each="one id per row")
