"""A collection: several parallel spaces over the same samples, with a fixed split.

Everything the dashboard and the CLI show is a collection, whether it comes from the
bundled zoo (:meth:`core.spaces.zoo.Zoo.collection`) or from the user's files
(:func:`core.io.collection_files.load_collection`). All spaces share one id order, so anchors
(ids) pick the same samples in each, and one train/test split serves every pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InvalidInputError, MismatchError
from .latent_space import LatentSpace

__all__ = ["Collection", "default_split"]


def default_split(ids, labels=None, *, test_size: float = 0.2, random_state: int = 0) -> np.ndarray:
    """Seeded train/test split of samples, stratified by label when every class can be.

    Parameters
    ----------
    ids : array-like of shape (n_samples,)
    labels : array-like of shape (n_samples,), optional
    test_size : float, default=0.2
    random_state : int, default=0

    Returns
    -------
    split : ndarray of shape (n_samples,), str
        ``"train"`` or ``"test"``.
    """
    from sklearn.model_selection import train_test_split

    n = len(ids)
    if n < 2:
        raise InvalidInputError(f"a train/test split needs at least 2 samples; got {n}")
    if not 0.0 < test_size < 1.0:
        raise InvalidInputError(f"test_size={test_size!r} must be in (0, 1)")
    pos = np.arange(n)
    stratify = None
    if labels is not None:
        _, counts = np.unique(np.asarray(labels), return_counts=True)
        n_test = int(np.ceil(test_size * n))
        if counts.min() >= 2 and len(counts) <= min(n_test, n - n_test):
            stratify = labels
    train, _ = train_test_split(pos, test_size=test_size, stratify=stratify, random_state=random_state)
    split = np.full(n, "test", dtype="<U5")
    split[train] = "train"
    return split


@dataclass(frozen=True)
class Collection:
    """Parallel spaces of the same samples, plus what is known about the samples.

    Parameters
    ----------
    name : str
        ``"digits"``, ``"wine"``... for the bundled zoo, or the user's name for uploads.
    spaces : dict of str -> LatentSpace
        Every space holds all n samples, in the same id order.
    split : ndarray of shape (n_samples,), str
        ``"train"`` or ``"test"`` per sample, shared by all spaces.
    target_names : tuple of str, optional
        Class names indexed by label; empty when there are no labels.
    samples : pandas.DataFrame, optional
        One row per sample, in id order: at least ``id`` and ``split``, plus ``label``
        (class name) when labelled and any metadata (text, feature values...).
    images : ndarray of shape (n_samples, h, w), optional
        The samples as images (digits), for hover and galleries.
    encoders : pandas.DataFrame, optional
        One row per space: ``name``, ``dim`` and what made it (arch, file...).
    notes : tuple of str
        Facts the user must be told, e.g. "rows matched by order: no ids given".
    """

    name: str
    spaces: dict
    split: np.ndarray
    target_names: tuple = ()
    samples: pd.DataFrame | None = None
    images: np.ndarray | None = None
    encoders: pd.DataFrame | None = None
    notes: tuple = ()
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.spaces:
            raise InvalidInputError(f"collection {self.name!r} has no spaces; add at least one")
        first = next(iter(self.spaces.values()))
        for name, sp in self.spaces.items():
            if not isinstance(sp, LatentSpace):
                raise InvalidInputError(f"space {name!r} must be a LatentSpace; got {type(sp).__name__}")
            if not np.array_equal(sp.ids, first.ids):
                raise MismatchError(
                    f"space {name!r} is not in the same id order as {first.name!r}; align them with "
                    "LatentSpace.subset(ids) before building a collection"
                )
        split = np.asarray(self.split)
        if split.shape != first.ids.shape or not np.isin(split, ("train", "test")).all():
            raise InvalidInputError(f"split must be an array of 'train'/'test' of shape {first.ids.shape}")
        object.__setattr__(self, "split", split.astype(str))
        if self.samples is None:
            df = pd.DataFrame({"id": first.ids, "split": split})
            if first.labels is not None:
                df["label"] = self.label_names(first.labels)
            object.__setattr__(self, "samples", df)
        if self.encoders is None:
            object.__setattr__(
                self, "encoders", pd.DataFrame({"name": list(self.spaces), "dim": [s.n_dims for s in self.spaces.values()]})
            )

    # ------------------------------------------------------------------ views
    @property
    def names(self) -> list[str]:
        """Space names, in order."""
        return list(self.spaces)

    @property
    def ids(self) -> np.ndarray:
        """Sample ids, shape (n_samples,)."""
        return next(iter(self.spaces.values())).ids

    @property
    def labels(self) -> np.ndarray | None:
        """Integer labels, shape (n_samples,), or None when unlabelled."""
        return next(iter(self.spaces.values())).labels

    @property
    def n_samples(self) -> int:
        return len(self.ids)

    def dim(self, name: str) -> int:
        """Dimension of one space."""
        return self.spaces[name].n_dims

    def label_names(self, labels) -> np.ndarray:
        """Class names of integer labels (the labels themselves when no names are known)."""
        labels = np.asarray(labels)
        if self.target_names:
            return np.asarray(self.target_names, dtype=object)[labels.astype(np.int64)]
        return labels.astype(str)

    def part(self, split: str = "all") -> dict:
        """Spaces restricted to one split.

        Parameters
        ----------
        split : {"train", "test", "all"}

        Returns
        -------
        dict of str -> LatentSpace
        """
        if split == "all":
            return dict(self.spaces)
        if split not in ("train", "test"):
            raise InvalidInputError(f"split={split!r} is not one of 'train', 'test', 'all'")
        mask = self.split == split
        ids = self.ids[mask]
        return {n: sp.subset(ids) for n, sp in self.spaces.items()}

    def summary(self) -> dict:
        """What the user should see before using it: n, dims, labels, split, notes."""
        labels = self.labels
        return {
            "name": self.name,
            "n_samples": self.n_samples,
            "n_train": int((self.split == "train").sum()),
            "n_test": int((self.split == "test").sum()),
            "spaces": {n: sp.n_dims for n, sp in self.spaces.items()},
            "labels": None if labels is None else {
                "n_classes": int(len(np.unique(labels))),
                "classes": [str(c) for c in (self.target_names or np.unique(labels))][:20],
            },
            "notes": list(self.notes),
        }
