"""The :class:`LatentSpace`: vectors of one encoder, keyed by sample ids."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LatentSpace"]


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
        vectors = np.asarray(self.vectors)
        if vectors.ndim != 2:
            raise ValueError(
                f"vectors of space {self.name!r} must be 2-D (n_samples, n_dims); got shape {vectors.shape}"
            )
        if not np.issubdtype(vectors.dtype, np.floating):
            vectors = vectors.astype(np.float32)
        ids = np.asarray(self.ids)
        if ids.shape != (vectors.shape[0],):
            raise ValueError(
                f"ids of space {self.name!r} must have shape ({vectors.shape[0]},); got {ids.shape}"
            )
        uniq, counts = np.unique(ids, return_counts=True)
        if len(uniq) != len(ids):
            dup = uniq[counts > 1][:5].tolist()
            raise ValueError(f"ids of space {self.name!r} must be unique; duplicated: {dup}")
        labels = self.labels
        if labels is not None:
            labels = np.asarray(labels)
            if labels.shape != (vectors.shape[0],):
                raise ValueError(
                    f"labels of space {self.name!r} must have shape ({vectors.shape[0]},); got {labels.shape}"
                )
            labels.setflags(write=False)
        vectors.setflags(write=False)
        ids.setflags(write=False)
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "labels", labels)

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
        KeyError
            If some ids are not in this space; the message lists them.
        """
        ids = np.asarray(ids)
        order = np.argsort(self.ids, kind="stable")
        sorted_ids = self.ids[order]
        pos = np.searchsorted(sorted_ids, ids)
        pos = np.clip(pos, 0, len(sorted_ids) - 1)
        found = sorted_ids[pos] == ids if len(sorted_ids) else np.zeros(len(ids), bool)
        if not np.all(found):
            missing = ids[~found][:10].tolist()
            raise KeyError(
                f"{int((~found).sum())} id(s) are not in space {self.name!r}: {missing}"
                + (" ..." if (~found).sum() > 10 else "")
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

    def is_parallel(self, other: LatentSpace) -> bool:
        """True when ``other`` holds the same sample ids (in any order)."""
        return len(self) == len(other) and np.array_equal(np.sort(self.ids), np.sort(other.ids))

    def subset(self, ids) -> "LatentSpace":
        """A new space holding only the given sample ids, in that order.

        Parameters
        ----------
        ids : array-like of shape (k,)

        Returns
        -------
        LatentSpace
            vectors (k, n_dims), the ids and their labels; same name and meta.
        """
        pos = self.positions(ids)
        return LatentSpace(
            self.vectors[pos],
            self.ids[pos],
            labels=None if self.labels is None else self.labels[pos],
            name=self.name,
            meta=dict(self.meta),
        )
