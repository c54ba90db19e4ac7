"""The :class:`LatentSpace`: vectors of one encoder, keyed by sample ids."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError, UnknownIdError
from ..validation import as_1d, as_vectors, check_finite, fmt_list

__all__ = ["LatentSpace"]


def _check_ids(ids, n: int, what: str) -> np.ndarray:
    """Sample ids as a 1-D int64 or str array of ``n`` unique values."""
    ids = as_1d(ids, n, name=f"ids of {what}", each="one id per row of vectors", error=InvalidInputError)
    kind = ids.dtype.kind
    if kind == "O":
        elems = ids.tolist()
        if all(isinstance(v, str) for v in elems):
            ids = np.asarray(elems, dtype=str)
        elif all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in elems):
            try:
                ids = np.asarray(elems, dtype=np.int64)
            except OverflowError:
                raise InvalidInputError(f"ids of {what} must fit in int64") from None
        else:
            types = sorted({type(v).__name__ for v in elems})
            raise InvalidTypeError(
                f"ids of {what} must be all ints or all strings; got a mix of {types}: convert them, e.g. ids.astype(str)"
            )
        kind = ids.dtype.kind
    if kind == "f":
        bad = ~np.isfinite(ids) | (ids != np.round(ids))
        if bad.any():
            raise InvalidInputError(
                f"ids of {what} must be ints or strings; got floats, e.g. {fmt_list(ids[bad], limit=3)} at rows "
                f"{fmt_list(np.nonzero(bad)[0])}: give every sample a whole-number or text id"
            )
        ids = ids.astype(np.int64)
        kind = "i"
    if kind == "S":
        ids = ids.astype(str)
        kind = "U"
    if kind not in "iuU":
        raise InvalidTypeError(f"ids of {what} must be ints or strings; got dtype {ids.dtype}")
    uniq, counts = np.unique(ids, return_counts=True)
    if len(uniq) != len(ids):
        dup = uniq[counts > 1]
        raise InvalidInputError(
            f"ids of {what} must be unique; duplicated: {fmt_list(dup)}: drop the repeated rows or renumber them"
        )
    return ids


def _check_labels(labels, ids: np.ndarray, what: str) -> np.ndarray:
    """Class labels, one per sample, none missing."""
    try:
        labels = np.asarray(labels)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"labels of {what} cannot be read as a 1-D array ({exc})") from None
    n = len(ids)
    if labels.shape != (n,):
        hint = " (one-hot? pass labels.argmax(1))" if labels.ndim == 2 and labels.shape[0] == n else ""
        raise InvalidInputError(f"labels of {what} must have shape ({n},), one per sample; got {labels.shape}{hint}")
    kind = labels.dtype.kind
    if kind == "f":
        missing = np.isnan(labels)
    elif kind == "O":
        missing = np.array([v is None or (isinstance(v, float) and v != v) for v in labels.tolist()], dtype=bool)
    elif kind in "iuUSb":
        missing = np.zeros(n, dtype=bool)
    else:
        raise InvalidTypeError(f"labels of {what} must be ints or strings; got dtype {labels.dtype}")
    if missing.any():
        raise InvalidInputError(
            f"labels of {what} are missing (NaN/None) for ids {fmt_list(ids[missing])}; fill them in, drop those "
            "samples, or pass labels=None (stitching then needs labels from elsewhere)"
        )
    if kind == "O":
        try:
            np.unique(labels)
        except TypeError:
            types = sorted({type(v).__name__ for v in labels.tolist()})
            raise InvalidTypeError(
                f"labels of {what} mix types {types}; make them all ints or all strings, e.g. labels.astype(str)"
            ) from None
    return labels


@dataclass(frozen=True, eq=False)
class LatentSpace:
    """Vectors of one encoder on a set of samples, keyed by sample ids.

    Two spaces are *parallel* when their ids are the same samples.

    Parameters
    ----------
    vectors : array-like of shape (n_samples, n_dims)
        The encodings. Stored as a read-only floating array.
    ids : array-like of shape (n_samples,)
        Unique sample ids.
    labels : array-like of shape (n_samples,), optional
        Class labels.
    name : str, default="space"
        Display name, e.g. the encoder's name.
    meta : dict, optional
        Free-form provenance (encoder, split, dataset...).
    """

    vectors: np.ndarray
    ids: np.ndarray
    labels: np.ndarray | None = None
    name: str = "space"
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        name = self.name
        if not isinstance(name, str):
            raise InvalidTypeError(f"name={name!r} must be a str (the display name of the space)")
        what = f"space {name!r}"
        vectors = as_vectors(self.vectors, name=f"vectors of {what}", finite=False, var="vectors")
        n = vectors.shape[0]
        ids = _check_ids(self.ids, n, what)
        check_finite(vectors, name=f"vectors of {what}", ids=ids)
        labels = None if self.labels is None else _check_labels(self.labels, ids, what)
        meta = self.meta
        if meta is None:
            meta = {}
        elif not isinstance(meta, Mapping):
            raise InvalidTypeError(f"meta of {what} must be a dict; got {type(meta).__name__}")
        if labels is not None:
            labels.setflags(write=False)
        vectors.setflags(write=False)
        ids.setflags(write=False)
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "meta", dict(meta))

    @property
    def n_samples(self) -> int:
        return self.vectors.shape[0]

    @property
    def n_dims(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        return f"LatentSpace(name={self.name!r}, n_samples={self.n_samples}, n_dims={self.n_dims})"

    def positions(self, ids) -> np.ndarray:
        """Row positions of the given sample ids.

        Parameters
        ----------
        ids : array-like of shape (k,)

        Returns
        -------
        ndarray of shape (k,), int64

        Raises
        ------
        UnknownIdError
            If some ids are not in this space; the message lists them. It is a
            ``KeyError`` as well as a ``ValueError``.
        """
        try:
            ids = np.asarray(ids)
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(f"ids cannot be read as a 1-D array ({exc})") from None
        if ids.ndim == 0:
            ids = ids.reshape(1)
        if ids.ndim != 1:
            raise InvalidInputError(f"ids must be 1-D (a list of sample ids); got shape {ids.shape}")
        if len(ids) == 0:
            return np.zeros(0, dtype=np.int64)
        mine = self.ids.dtype.kind
        comparable = (mine in "iu" and ids.dtype.kind in "iuf") or (mine == "U" and ids.dtype.kind in "US")
        if not comparable:
            found = np.zeros(len(ids), dtype=bool)
        else:
            order = np.argsort(self.ids, kind="stable")
            sorted_ids = self.ids[order]
            pos = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
            found = sorted_ids[pos] == ids
        if not np.all(found):
            missing = ids[~found]
            hint = ""
            if not comparable:
                hint = f" (the ids of this space are {'ints' if mine in 'iu' else 'strings'}; got dtype {ids.dtype})"
            raise UnknownIdError(
                f"{len(missing)} id(s) are not in space {self.name!r}: {fmt_list(missing)}{hint}"
            )
        return order[pos].astype(np.int64)

    def take(self, ids) -> np.ndarray:
        """Vectors of the given sample ids, in that order.

        Parameters
        ----------
        ids : array-like of shape (k,)

        Returns
        -------
        ndarray of shape (k, n_dims)
        """
        return self.vectors[self.positions(ids)]

    def subset(self, ids, *, name: str | None = None) -> LatentSpace:
        """A new space holding only the given ids, in that order (labels and meta kept).

        Use it to restrict two spaces to their common ids, e.g.
        ``ids = np.intersect1d(a.ids, b.ids); a.subset(ids), b.subset(ids)``.

        Parameters
        ----------
        ids : array-like of shape (k,)
        name : str, optional
            Defaults to this space's name.

        Returns
        -------
        LatentSpace
            vectors of shape (k, n_dims).
        """
        pos = self.positions(ids)
        return LatentSpace(
            self.vectors[pos],
            self.ids[pos],
            labels=None if self.labels is None else self.labels[pos],
            name=self.name if name is None else name,
            meta=dict(self.meta),
        )

    def is_parallel(self, other: LatentSpace) -> bool:
        """True when ``other`` holds the same sample ids (in any order)."""
        return len(self) == len(other) and np.array_equal(np.sort(self.ids), np.sort(other.ids))
