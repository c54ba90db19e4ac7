"""Relative projection on a Dask cluster, block by block, with the local code path.

Install the optional extra: ``pip install 'stitchboard[dask]'`` (``dask[array]`` and
``distributed``). :func:`relative_projection_dask` fits the anchor statistics once,
locally (anchors are small), ships them to the workers once, and projects every row
block of a ``dask.array`` with the same function as
:func:`~core.methods.relative.relative_projection`, so the result equals the local one.

Point it at a cluster by creating a client first; Dask then runs the graph there::

    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")   # or LocalCluster(), SLURMCluster()...
    X = dask.array.from_zarr("s3://bucket/embeddings.zarr")   # (n, d), row chunks
    R = relative_projection_dask(X, anchors)                  # lazy (n, k)
    R.to_zarr("s3://bucket/relative.zarr")                    # computed on the workers

Files must be readable by the workers (a shared or object store), not only by the
client. A dask DataFrame with one column per dimension becomes an array with
``ddf.to_dask_array(lengths=True)``.
"""

from __future__ import annotations

import numpy as np

from ..errors import AnchorError, InvalidInputError, InvalidTypeError, MismatchError
from ..methods.relative import check_params, fit_stats, project_rows, result_dtype
from ..methods.similarities import PRODUCT_BLOCKS
from ..validation import as_vectors

__all__ = ["relative_projection_dask"]

#: Rows per block when a NumPy array is wrapped (about 64 MiB of float32 at 384 dims).
_DEFAULT_BLOCK_ROWS = 43_690


def _import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "relative_projection_dask needs Dask: pip install 'stitchboard[dask]' (dask[array] and distributed)"
        ) from None
    return dask, da


def _project_block(Xb, stats, *, block_info=None, **kw):
    """One row block; errors name rows of the whole array, not of the block."""
    try:
        return project_rows(Xb, stats, **kw)
    except ValueError as exc:
        start = block_info[0]["array-location"][0][0] if block_info else 0
        if start == 0:
            raise
        raise InvalidInputError(f"{exc} (row numbers counted from row {start:,} of X, the start of this block)") from None


def relative_projection_dask(
    X,
    A,
    *,
    similarity: str = "cosine",
    center: str | None = None,
    scale: bool = False,
    topk: int | None = None,
    power: float = 1.0,
):
    """:func:`~core.methods.relative.relative_projection` over the row blocks of a Dask array.

    Parameters
    ----------
    X : dask.array.Array or array-like of shape (n_samples, n_dims)
        Chunked along rows (column chunks are merged first). A NumPy array is wrapped
        with row blocks of ~64 MiB.
    A : array-like of shape (n_anchors, n_dims)
        Anchor vectors (a small Dask array is computed first).
    similarity, center, scale, topk, power
        As in :func:`~core.methods.relative.relative_projection`.

    Returns
    -------
    R : dask.array.Array of shape (n_samples, n_outputs)
        Lazy; same row chunks as ``X``; ``.compute()``, ``.to_zarr()``, ``.store()``...
        run it on the current Dask scheduler (a ``distributed.Client`` if one exists).
        float32 when X and A are float32, else float64.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> X = da.from_array(np.eye(4), chunks=(2, 4))
    >>> relative_projection_dask(X, np.eye(4)[:2]).compute()
    array([[1., 0.],
           [0., 1.],
           [0., 0.],
           [0., 0.]])
    """
    dask, da = _import_dask()
    check_params(similarity, center, scale, topk, power)
    if isinstance(A, da.Array):
        A = A.compute()
    A = as_vectors(A, name="A", min_rows=0)
    if A.shape[0] == 0:
        raise AnchorError("A is empty: pass at least one anchor vector")
    if not isinstance(X, da.Array):
        if isinstance(X, (str, bytes)) or not hasattr(X, "__array__") and not isinstance(X, (list, tuple)):
            raise InvalidTypeError(f"X must be a dask array or array-like (n_samples, n_dims); got {type(X).__name__}")
        X = np.asarray(X)
        if X.ndim == 2:
            X = da.from_array(X, chunks=(_DEFAULT_BLOCK_ROWS, -1))
    if X.ndim != 2:
        raise InvalidInputError(f"X must be 2-D (n_samples, n_dims); got shape {X.shape}")
    if X.dtype.kind not in "iuf":
        raise InvalidInputError(f"X must hold numbers; got dtype {X.dtype}")
    if X.shape[1] != A.shape[1]:
        raise MismatchError(
            f"X has n_dims={X.shape[1]} but A has n_dims={A.shape[1]}; anchors must live in the same space as X"
        )
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    dtype = result_dtype(X.dtype, A.dtype)
    stats = fit_stats(A.astype(dtype, copy=False), similarity=similarity, center=center, scale=scale)
    k = A.shape[0] * (len(PRODUCT_BLOCKS) if similarity == "product" else 1)
    shared = dask.delayed(stats, pure=True)  # one key: the anchors travel to each worker once
    return X.map_blocks(
        _project_block, shared, similarity=similarity, center=center, scale=scale, topk=topk, power=power,
        dtype=dtype, chunks=(X.chunks[0], (k,)), meta=np.empty((0, 0), dtype=dtype),
    )
