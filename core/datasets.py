"""Bundled datasets with a fixed, seeded, stratified train/test split.

Every sample carries a stable integer id (its row in the source dataset), so anchors
and selections can be named by id in every space built from the same dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .validation import check_choice, check_int, check_number

__all__ = ["Dataset", "load_dataset", "DATASETS"]

#: Names accepted by :func:`load_dataset`.
DATASETS = ("digits",)


@dataclass(frozen=True)
class Dataset:
    """A labelled dataset split into train and test parts.

    Attributes
    ----------
    name : str
        Dataset name, e.g. ``"digits"``.
    X : ndarray of shape (n_samples, n_features), float32
        Inputs, scaled to [0, 1] for digits.
    y : ndarray of shape (n_samples,), int64
        Class labels.
    ids : ndarray of shape (n_samples,), int64
        Stable sample ids (row index in the source dataset).
    split : ndarray of shape (n_samples,), str
        ``"train"`` or ``"test"`` for each sample.
    target_names : tuple of str
        Human-readable class names, indexed by label.
    image_shape : tuple of int or None
        Shape of one sample as an image (``(8, 8)`` for digits), else None.
    params : dict
        The parameters that made the split (``test_size``, ``random_state``).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    ids: np.ndarray
    split: np.ndarray
    target_names: tuple
    image_shape: tuple | None = None
    params: dict = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len(self.target_names)

    def part(self, which: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(X, y, ids)`` of one split.

        Parameters
        ----------
        which : {"train", "test", "all"}

        Returns
        -------
        X : ndarray of shape (n_part, n_features)
        y : ndarray of shape (n_part,)
        ids : ndarray of shape (n_part,)
        """
        check_choice("split", which, ("train", "test", "all"))
        if which == "all":
            return self.X, self.y, self.ids
        mask = self.split == which
        return self.X[mask], self.y[mask], self.ids[mask]


def load_dataset(name: str = "digits", *, test_size: float = 0.2, random_state: int = 0) -> Dataset:
    """Load a bundled dataset with a stratified, seeded train/test split.

    Parameters
    ----------
    name : {"digits"}
        Which dataset. ``digits`` is scikit-learn's ``load_digits`` (1797 8x8 images,
        shipped inside scikit-learn, so it works offline), pixel values divided by 16.
    test_size : float, default=0.2
        Fraction of samples in the test split, in (0, 1).
    random_state : int, default=0
        Seed of the stratified split.

    Returns
    -------
    Dataset
    """
    check_choice("dataset", name, DATASETS)
    check_number("test_size", test_size, low=0.0, high=1.0, low_open=True, high_open=True)
    random_state = check_int("random_state", random_state, low=0, high=2**32 - 1)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    raw = load_digits()
    X = (raw.data / 16.0).astype(np.float32)
    y = raw.target.astype(np.int64)
    ids = np.arange(len(y), dtype=np.int64)
    train_ids, _ = train_test_split(ids, test_size=test_size, stratify=y, random_state=random_state)
    split = np.full(len(y), "test", dtype=object)
    split[np.sort(train_ids)] = "train"
    split = split.astype(str)
    return Dataset(
        name=name,
        X=X,
        y=y,
        ids=ids,
        split=split,
        target_names=tuple(str(t) for t in raw.target_names),
        image_shape=(8, 8),
        params={"test_size": test_size, "random_state": random_state},
    )
