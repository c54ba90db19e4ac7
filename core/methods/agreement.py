"""Per-sample agreement of two parallel spaces: *where* encoders A and B disagree.

Row i of ``X`` (space A) and of ``Y`` (space B) is the same sample i. For relative spaces
``X = r_A``, ``Y = r_B`` are the cosines of each sample to the *same* anchor ids
(:func:`core.methods.relative.relative_projection`), so coordinate j means "anchor j" in
both and the two can be compared coordinate by coordinate.

- **Cosine agreement** (:func:`sample_cosine`), in [-1, 1], needs equal dims::

      c_i = cos(x_i, y_i) = <x_i, y_i> / (|x_i| |y_i|)

  High for relative vectors of encoders that learned the same geometry; near 0 for the
  absolute vectors of two independently trained encoders (seeds of one architecture
  included): their coordinates mean different things. All-zero rows give 0.
- **Neighbourhood overlap@k** (:func:`neighbourhood_overlap` of two
  :func:`neighbour_lists`), in [0, 1], any dims::

      o_i = |N_k^X(i) ∩ N_k^Y(i)| / k

  ``N_k^X(i)``: the k rows of X most cosine-similar to x_i, i itself excluded. Each space
  is only compared with itself, so this also works on absolute vectors of different
  dims. Its mean over i is the mutual kNN alignment (:func:`core.methods.metrics.mutual_knn`).
- **Cross-lookup Jaccard@k** (:func:`cross_jaccard` of :func:`cross_neighbour_lists`), in
  [0, 1], needs equal dims: x_i looked up among the rows of Y (Moschella et al.'s
  retrieval) against y_i's own neighbourhood, self included::

      j_i = |L_k(i) ∩ M_k(i)| / |L_k(i) ∪ M_k(i)|,  L_k(i) = top-k_j cos(x_i, y_j),
      M_k(i) = {i} ∪ N_{k-1}^Y(i)

  Its mean over i is :func:`core.methods.metrics.knn_jaccard`.

:func:`sample_agreement` computes the lot for two :class:`~core.spaces.latent_space.LatentSpace`.

Scale: cosines run in row blocks (memory O(block x dims)); neighbour lists come from
:class:`core.methods.neighbours.KnnIndex` (exact blocked search up to ~7k rows, then an
inverted-file index with about 5 % of the points compared per query), so 100k+ rows take
seconds, not the n^2 of a full similarity matrix. Lists up to some ``k_max`` give the
overlap at every ``k <= k_max`` by taking prefixes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InvalidInputError, MismatchError
from ..validation import as_vectors, check_int, unit_rows
from .metric_inputs import check_k
from .neighbours import KnnIndex
from .relative import relative_projection

__all__ = [
    "sample_cosine",
    "neighbour_lists",
    "cross_neighbour_lists",
    "neighbourhood_overlap",
    "cross_jaccard",
    "cross_lookup",
    "sample_agreement",
    "AGREEMENT_COLUMNS",
]

#: Rows per block of :func:`sample_cosine` (float64 temporaries of block x dims).
BLOCK_ROWS = 16384
#: Columns of :func:`sample_agreement`, in order.
AGREEMENT_COLUMNS = ("relative_cosine", "relative_overlap", "absolute_overlap", "absolute_cosine")


def _pair(X, Y, *, same_dims: bool, what: str) -> tuple[np.ndarray, np.ndarray]:
    X = as_vectors(X, name="X")
    Y = as_vectors(Y, name="Y")
    if X.shape[0] != Y.shape[0]:
        raise MismatchError(
            f"X has {X.shape[0]} rows but Y has {Y.shape[0]}; pass parallel spaces (same samples, same order)"
        )
    if same_dims and X.shape[1] != Y.shape[1]:
        raise MismatchError(
            f"dims differ ({X.shape[1]} vs {Y.shape[1]}): {what} compares coordinates directly; pass relative "
            "vectors on the same anchors, or use neighbourhood_overlap, which works for any dims"
        )
    return X, Y


def sample_cosine(X, Y) -> np.ndarray:
    """``cos(x_i, y_i)`` for every sample i: the agreement of its two vectors.

    Parameters
    ----------
    X, Y : array-like of shape (n_samples, n_dims)
        Parallel spaces (row i is the same sample), equal dims: relative vectors on the
        same anchors, or absolute vectors of encoders of the same width.

    Returns
    -------
    ndarray of shape (n_samples,), float64
        In [-1, 1]; 0 where a row is all zero.

    Raises
    ------
    MismatchError
        Different row counts or dims.
    InvalidInputError
        NaN or Inf.
    """
    X, Y = _pair(X, Y, same_dims=True, what="the cosine of x_i and y_i")
    out = np.empty(X.shape[0], dtype=np.float64)
    for s in range(0, X.shape[0], BLOCK_ROWS):
        ux, uy = unit_rows(X[s : s + BLOCK_ROWS])[0], unit_rows(Y[s : s + BLOCK_ROWS])[0]
        out[s : s + BLOCK_ROWS] = np.einsum("ij,ij->i", ux, uy)
    return np.clip(out, -1.0, 1.0, out=out)


def _nonzero_rows(M: np.ndarray, name: str) -> None:
    zero = np.flatnonzero(~np.any(M != 0, axis=1))
    if len(zero):
        raise InvalidInputError(
            f"rows {zero[:10].tolist()} of {name} are all zero: their cosine neighbours are undefined; drop those samples"
        )


def neighbour_lists(X, *, k: int, method: str = "auto", random_state: int = 0) -> np.ndarray:
    """The ``k`` rows most cosine-similar to each row of ``X``, itself excluded.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_dims)
    k : int
        ``1 <= k <= n_samples - 1``.
    method : {"auto", "exact", "ivf"}, default="auto"
        As :class:`core.methods.neighbours.KnnIndex`: exact up to ~7k rows, then an
        inverted-file index (approximate: most true neighbours, not all).
    random_state : int, default=0
        Seeds the inverted file's cells.

    Returns
    -------
    ndarray of shape (n_samples, k), int64
        Row positions, nearest first.
    """
    X = as_vectors(X, name="X", min_rows=2)
    check_k(k, X.shape[0], exclude_self=True)
    _nonzero_rows(X, "X")
    idx, _ = KnnIndex(X, metric="cosine", method=method, random_state=random_state).query(n_neighbors=int(k) + 1)
    return idx[:, 1:]


def cross_neighbour_lists(X, Y, *, k: int, method: str = "auto", random_state: int = 0) -> np.ndarray:
    """Each row of ``X`` looked up among the rows of ``Y``: the ``k`` most cosine-similar rows of Y.

    Parameters
    ----------
    X, Y : array-like of shape (n_samples, n_dims)
        Parallel spaces of equal dims.
    k : int
        ``1 <= k <= n_samples``.
    method : {"auto", "exact", "ivf"}, default="auto"
    random_state : int, default=0

    Returns
    -------
    ndarray of shape (n_samples, k), int64
        Row positions of Y, most similar first.
    """
    X, Y = _pair(X, Y, same_dims=True, what="looking x_i up among the rows of Y")
    check_k(k, Y.shape[0])
    _nonzero_rows(X, "X")
    _nonzero_rows(Y, "Y")
    idx, _ = KnnIndex(Y, metric="cosine", method=method, random_state=random_state).query(X, n_neighbors=int(k))
    return idx


def _common(L: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``|set(L[i]) ∩ set(M[i])|`` for every row i (duplicates within a row count once)."""
    n = L.shape[0]
    if n == 0 or L.shape[1] == 0 or M.shape[1] == 0:
        return np.zeros(n, dtype=np.int64)
    L, M = np.sort(L.astype(np.int64), axis=1), np.sort(M.astype(np.int64), axis=1)
    first = np.ones(L.shape, dtype=bool)
    first[:, 1:] = L[:, 1:] != L[:, :-1]
    base = max(int(L.max()), int(M.max())) + 1
    offset = (np.arange(n, dtype=np.int64) * base)[:, None]  # row i's ids go to [i * base, (i + 1) * base)
    rows = np.broadcast_to(np.arange(n)[:, None], L.shape)[first]
    found = np.isin((L + offset)[first], (M + offset).ravel())
    return np.bincount(rows[found], minlength=n)


def _lists(N, name: str) -> np.ndarray:
    N = np.asarray(N)
    if N.ndim != 2 or N.dtype.kind not in "iu":
        raise InvalidInputError(f"{name} must be a 2-D integer array of neighbour positions; got {N.dtype} {N.shape}")
    return N


def neighbourhood_overlap(NX, NY, *, k: int | None = None) -> np.ndarray:
    """``|N_k^X(i) ∩ N_k^Y(i)| / k`` for every sample i, from two sets of neighbour lists.

    Parameters
    ----------
    NX, NY : array-like of shape (n_samples, k_max), int
        :func:`neighbour_lists` of the two spaces (nearest first).
    k : int, optional
        Use the first ``k <= k_max`` neighbours of each list (all by default).

    Returns
    -------
    ndarray of shape (n_samples,), float64
        In [0, 1].

    Examples
    --------
    >>> neighbourhood_overlap([[1, 2, 3]], [[3, 1, 0]]).tolist()
    [0.6666666666666666]
    """
    NX, NY = _lists(NX, "NX"), _lists(NY, "NY")
    k = _prefix(NX, NY, k)
    return _common(NX[:, :k], NY[:, :k]) / k


def _prefix(NX: np.ndarray, NY: np.ndarray, k) -> int:
    if NX.shape[0] != NY.shape[0]:
        raise MismatchError(f"neighbour lists of {NX.shape[0]} and {NY.shape[0]} samples: pass lists of the same samples")
    k_max = min(NX.shape[1], NY.shape[1])
    if k is None:
        k = k_max
    check_int(k, name="k", low=1, high=max(k_max, 1))
    return int(k)


def cross_jaccard(LXY, NY, *, k: int | None = None) -> np.ndarray:
    """Per-sample Jaccard of x_i's lookup among Y with y_i's own neighbourhood (self included).

    Parameters
    ----------
    LXY : array-like of shape (n_samples, k_max), int
        :func:`cross_neighbour_lists` of X among Y.
    NY : array-like of shape (n_samples, k_max - 1 or more), int
        :func:`neighbour_lists` of Y (self excluded); row i itself is added as y_i's first neighbour.
    k : int, optional
        Neighbourhood size (``LXY``'s width by default); ``NY`` needs ``k - 1`` columns.

    Returns
    -------
    ndarray of shape (n_samples,), float64
        ``c / (2k - c)`` with ``c = |L_k(i) ∩ M_k(i)|``, in [0, 1].
    """
    LXY, NY = _lists(LXY, "LXY"), _lists(NY, "NY")
    if LXY.shape[0] != NY.shape[0]:
        raise MismatchError(f"neighbour lists of {LXY.shape[0]} and {NY.shape[0]} samples: pass lists of the same samples")
    k = LXY.shape[1] if k is None else k
    check_int(k, name="k", low=1, high=max(1, min(LXY.shape[1], NY.shape[1] + 1)))
    own = np.concatenate([np.arange(NY.shape[0])[:, None], NY[:, : k - 1]], axis=1)
    c = _common(LXY[:, :k], own)
    return c / (2 * k - c)


def cross_lookup(X, Y, query: int, *, k: int = 10) -> tuple[np.ndarray, np.ndarray, int]:
    """Row ``query`` of ``X`` looked up among the rows of ``Y`` by cosine.

    Moschella et al.'s retrieval for one sample: in relative coordinates y_query (the same
    sample in B) should come first; in absolute ones it is anywhere.

    Parameters
    ----------
    X, Y : array-like of shape (n_samples, n_dims)
        Parallel spaces of equal dims.
    query : int
        Row position of the sample.
    k : int, default=10
        Rows of Y returned, ``1 <= k <= n_samples``.

    Returns
    -------
    positions : ndarray of shape (k,), int
        Rows of Y, most similar first (ties by position).
    similarities : ndarray of shape (k,)
        ``cos(x_query, y_j)`` of each.
    rank : int
        Rank of row ``query`` of Y among all rows (1 = most similar; ties: a lower row first).
    """
    X, Y = _pair(X, Y, same_dims=True, what="looking x_i up among the rows of Y")
    n = Y.shape[0]
    check_int(query, name="query", low=0, high=n - 1)
    check_k(k, n)
    x = unit_rows(X[int(query)][None, :])[0][0]
    sims = np.empty(n, dtype=np.float64)
    for s in range(0, n, BLOCK_ROWS):
        sims[s : s + BLOCK_ROWS] = unit_rows(Y[s : s + BLOCK_ROWS])[0] @ x
    own = sims[int(query)]
    rank = 1 + int((sims > own).sum()) + int((sims[: int(query)] == own).sum())
    order = np.lexsort((np.arange(n), -sims))[: int(k)]
    return order, sims[order], rank


def sample_agreement(A, B, anchor_ids=None, *, k: int = 10, method: str = "auto") -> pd.DataFrame:
    """Every per-sample agreement of two parallel spaces, absolute and relative.

    Parameters
    ----------
    A, B : core.spaces.latent_space.LatentSpace
        Parallel spaces (the same ids, in any order); rows follow ``A``.
    anchor_ids : sequence of ids, optional
        Anchors of the relative vectors (at least 2); without them the relative columns are NaN.
    k : int, default=10
        Neighbourhood size of the overlaps.
    method : {"auto", "exact", "ivf"}, default="auto"
        kNN search of :func:`neighbour_lists`.

    Returns
    -------
    pandas.DataFrame
        Indexed by A's ids, columns :data:`AGREEMENT_COLUMNS`: ``relative_cosine``
        (``cos(r_A(i), r_B(i))``), ``relative_overlap`` and ``absolute_overlap``
        (neighbourhood overlap@k) and ``absolute_cosine`` (NaN when dims differ).

    Examples
    --------
    >>> import numpy as np
    >>> from core.spaces.latent_space import LatentSpace
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 8))
    >>> Q = np.linalg.qr(rng.normal(size=(8, 8)))[0]
    >>> A, B = LatentSpace(X, np.arange(50)), LatentSpace(X @ Q, np.arange(50))
    >>> df = sample_agreement(A, B, [0, 1, 2, 3, 4], k=5)
    >>> bool(np.allclose(df["relative_cosine"], 1.0)), float(df["relative_overlap"].min())
    (True, 1.0)
    """
    if not A.is_parallel(B):
        raise MismatchError(f"spaces {A.name!r} and {B.name!r} hold different samples: pass parallel spaces")
    XA, XB = A.vectors, B.vectors[B.positions(A.ids)]
    out = pd.DataFrame(index=pd.Index(A.ids, name="id"), columns=list(AGREEMENT_COLUMNS), dtype=np.float64)
    out["absolute_overlap"] = neighbourhood_overlap(neighbour_lists(XA, k=k, method=method),
                                                    neighbour_lists(XB, k=k, method=method))
    if XA.shape[1] == XB.shape[1]:
        out["absolute_cosine"] = sample_cosine(XA, XB)
    if anchor_ids is not None:
        anchor_ids = list(anchor_ids)
        if len(anchor_ids) < 2:
            raise InvalidInputError(f"anchor_ids has {len(anchor_ids)} id(s): relative agreement needs at least 2 anchors")
        RA = relative_projection(XA, A.take(anchor_ids))
        RB = relative_projection(XB, B.take(anchor_ids))
        out["relative_cosine"] = sample_cosine(RA, RB)
        out["relative_overlap"] = neighbourhood_overlap(neighbour_lists(RA, k=k, method=method),
                                                        neighbour_lists(RB, k=k, method=method))
    return out
