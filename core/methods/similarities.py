"""The similarity blocks behind :func:`core.methods.relative.relative_projection`.

Each block is an (n, k) matrix of similarities of n rows to k anchors (distances
negated, so that larger = more similar). Cosine runs through a blocked GEMM that reads
X in place; ``asif`` is the optional top-k / power post-processing.

``similarity_block``, ``asif`` and ``name_rows`` are an internal API for
:mod:`core.methods.relative`, not exported.
"""

from __future__ import annotations

import numpy as np

from ..errors import AnchorError, InvalidInputError
from ..validation import check_finite, fmt_list, unit_rows

__all__ = ["SIMILARITIES", "PRODUCT_BLOCKS"]

#: Similarities accepted by :func:`core.methods.relative.relative_projection`.
SIMILARITIES = ("cosine", "angular", "euclidean", "l1", "linf", "product")
#: The blocks concatenated by ``similarity="product"``, in order.
PRODUCT_BLOCKS = ("cosine", "euclidean", "l1", "linf")


def name_rows(rows, ids) -> str:
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


def _cosine_blocked(X: np.ndarray, AnT: np.ndarray, *, x_name: str = "X", x_ids=None,
                    out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(X @ AnT) / |x|`` block by block, without copying X as a whole.

    - Narrow rows (``d <= 128``; the GEMM is bound by writing the output): each block
      of X is normalised into a small reused buffer, then multiplied, so the output
      is written once.
    - Wide rows: one large GEMM per block, then the output block is scaled by the
      inverse row norms.

    A row of ``X`` with NaN or Inf shows up as a non-finite norm, which is then
    reported with the exact rows, so finite inputs pay no separate validation pass.
    Rows whose norm over- or underflows are recomputed in float64 after dividing by
    their largest entry.

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
    x_norm = _cosine_blocks(X, AnT, R, step=step, narrow=narrow)
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


def _cosine_blocks(X, AnT, R, *, step, narrow) -> np.ndarray:
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


#: Squared distances below this fraction of ``|x|^2 + |a|^2`` (both centred on the anchor
#: mean) lose digits to cancellation in the GEMM expansion and are recomputed directly.
_CANCEL_FRACTION = 1.0 / 16
#: Rows per block of the euclidean kernel: its (rows, k) temporaries stay in cache.
_EUCLIDEAN_BLOCK_ROWS = 4096


def _neg_euclidean(X: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Negated euclidean distances ``-|x - a|``, shape (n, k), in X's dtype, through a GEMM.

    ``|x|^2 - 2 x.a + |a|^2`` cancels when the points are far from the origin compared
    with their distances (float32 data shifted by 100 loses 4e-2 relative). So both
    sides are first centred on the anchor mean (distances do not change), and the few
    pairs still closer than ``sqrt(_CANCEL_FRACTION)`` of their norms are recomputed as
    ``sum((x - a)**2)`` in float64. Every other entry keeps the GEMM's error, about
    ``sqrt(d) * eps / sqrt(_CANCEL_FRACTION)`` relative to ``sqrt(|x|^2 + |a|^2)``.
    """
    f = _CANCEL_FRACTION
    shift = A.mean(0, dtype=np.float64).astype(X.dtype)
    Ac = A - shift  # the same rounded shift on both sides: distances unchanged
    na = np.einsum("ij,ij->i", Ac, Ac)
    # with G = x.a: |x - a|^2 < f (|x|^2 + |a|^2)  <=>  G - c |a|^2 > c |x|^2, c = (1 - f) / 2
    c = (1.0 - f) / 2.0
    c_na, f_na = (c * na).astype(X.dtype), (f * na).astype(X.dtype)
    out = np.empty((X.shape[0], A.shape[0]), dtype=X.dtype)
    for s in range(0, X.shape[0], _EUCLIDEAN_BLOCK_ROWS):
        Xb = X[s : s + _EUCLIDEAN_BLOCK_ROWS]
        Xc = Xb - shift
        nx = np.einsum("ij,ij->i", Xc, Xc)
        sq = out[s : s + len(Xb)]
        np.matmul(Xc, Ac.T, out=sq)
        sq -= c_na
        close = np.flatnonzero(sq > (c * nx)[:, None])  # np.nonzero on 2-D is far slower
        sq *= -2.0  # now nx + na - 2 G
        sq += nx[:, None]
        sq += f_na
        if len(close):
            rows, cols = np.divmod(close, sq.shape[1])
            diff = Xb[rows].astype(np.float64)
            diff -= A[cols]
            sq[rows, cols] = np.einsum("ij,ij->i", diff, diff)
        np.maximum(sq, 0.0, out=sq)
        np.sqrt(sq, out=sq)
        np.negative(sq, out=sq)
    return out


def similarity_block(similarity: str, X: np.ndarray, A: np.ndarray, ctx: dict, out: np.ndarray | None = None) -> np.ndarray:
    """One similarity block. Distances are negated so that larger = more similar.

    Parameters
    ----------
    similarity : {"cosine", "angular", "euclidean", "l1", "linf"}
    X : ndarray of shape (n, d)
        Rows, already validated (cosine and angular report NaN/Inf rows themselves).
    A : ndarray of shape (k, d)
        Anchors, X's dtype.
    ctx : dict
        Names things in messages: ``x_name``, ``x_ids`` / ``a_ids`` (ids of the rows of
        X / A, or None for positions) and ``pre`` (whether X and A were centred or scaled).
    out : ndarray of shape (n, k), optional
        Cosine and angular only: receives the block in place.

    Returns
    -------
    B : ndarray of shape (n, k)
    """
    if similarity in ("cosine", "angular"):
        after = " after centering/scaling" if ctx.get("pre") else ""
        An, a_zero = unit_rows(A)
        if a_zero.any():
            raise AnchorError(
                f"anchor {name_rows(np.nonzero(a_zero)[0], ctx.get('a_ids'))} are all zero{after}: "
                "cosine is undefined; choose other anchors or another similarity"
            )
        R, x_norm = _cosine_blocked(
            X, np.ascontiguousarray(An.astype(X.dtype).T), x_name=ctx.get("x_name", "X"), x_ids=ctx.get("x_ids"), out=out
        )
        if np.any(x_norm == 0):
            raise InvalidInputError(
                f"{name_rows(np.nonzero(x_norm == 0)[0], ctx.get('x_ids'))} of {ctx.get('x_name', 'X')} are all zero{after}: "
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
            return _neg_euclidean(X, A)
        p = 1 if similarity == "l1" else np.inf
        out = np.empty((X.shape[0], A.shape[0]), dtype=X.dtype)
        step = max(1, int(2**24 // max(1, A.shape[0] * X.shape[1])))
        for s in range(0, X.shape[0], step):
            diff = np.abs(X[s : s + step, None, :] - A[None, :, :])
            out[s : s + step] = -(diff.sum(-1) if p == 1 else diff.max(-1))
        return out


def asif(R: np.ndarray, *, topk, power) -> np.ndarray:
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
