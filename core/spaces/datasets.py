"""Bundled datasets with a fixed, seeded, stratified train/test split.

Every sample carries a stable integer id (its row in the source dataset), so anchors
and selections can be named by id in every space built from the same dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..validation import check_choice, check_int, check_number

__all__ = ["Dataset", "load_dataset", "DATASETS", "DESCRIPTIONS", "text_path"]

#: Names accepted by :func:`load_dataset`.
DATASETS = ("digits", "wine", "breast_cancer", "text")

#: What each bundled dataset is, for captions and the README.
DESCRIPTIONS = {
    "digits": "scikit-learn load_digits: 1,797 8x8 handwritten digit images, 10 classes, pixels / 16",
    "wine": "scikit-learn load_wine: 178 wines x 13 chemical measurements, 3 cultivars, standardised",
    "breast_cancer": "scikit-learn load_breast_cancer: 569 tumours x 30 features, 2 classes, standardised",
    "text": "assets/text/sentences.csv: 1,500 short English sentences written for Stitchboard, 5 topics",
}


@dataclass(frozen=True)
class Dataset:
    """A labelled dataset split into train and test parts.

    Attributes
    ----------
    name : str
        Dataset name, e.g. ``"digits"``.
    X : ndarray of shape (n_samples, n_features), float32, or (n_samples,) str
        Inputs: pixels scaled to [0, 1] for digits, features standardised with the
        train split's mean and standard deviation for the tabular datasets, the
        sentences themselves for ``text``.
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
    feature_names : tuple of str or None
        Column names of ``X`` for tabular data, else None.
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
    feature_names: tuple | None = None
    params: dict = field(default_factory=dict)

    @property
    def modality(self) -> str:
        """``"image"``, ``"text"`` or ``"tabular"``."""
        if self.image_shape is not None:
            return "image"
        return "text" if self.X.ndim == 1 else "tabular"

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
        check_choice(which, name="split", choices=("train", "test", "all"))
        if which == "all":
            return self.X, self.y, self.ids
        mask = self.split == which
        return self.X[mask], self.y[mask], self.ids[mask]


def load_dataset(name: str = "digits", *, test_size: float = 0.2, random_state: int = 0) -> Dataset:
    """Load a bundled dataset with a stratified, seeded train/test split.

    Everything ships with the install: the three tabular/image sets inside
    scikit-learn, the sentences in ``assets/text/``. Nothing is downloaded.

    Parameters
    ----------
    name : {"digits", "wine", "breast_cancer", "text"}
        Which dataset; see :data:`DESCRIPTIONS`.
    test_size : float, default=0.2
        Fraction of samples in the test split, in (0, 1).
    random_state : int, default=0
        Seed of the stratified split.

    Returns
    -------
    Dataset
    """
    check_choice(name, name="dataset", choices=DATASETS)
    check_number(test_size, name="test_size", low=0.0, high=1.0, low_open=True, high_open=True)
    random_state = check_int(random_state, name="random_state", low=0, high=2**32 - 1)
    from sklearn.model_selection import train_test_split

    feature_names = None
    image_shape = None
    if name == "text":
        X, y, target_names = _load_text()
    else:
        from sklearn import datasets as skd

        raw = {"digits": skd.load_digits, "wine": skd.load_wine, "breast_cancer": skd.load_breast_cancer}[name]()
        X = np.asarray(raw.data, dtype=np.float64)
        y = raw.target.astype(np.int64)
        target_names = tuple(str(t) for t in raw.target_names)
        if name == "digits":
            image_shape = (8, 8)
        else:
            feature_names = tuple(str(f) for f in raw.feature_names)
    ids = np.arange(len(y), dtype=np.int64)
    train_ids, _ = train_test_split(ids, test_size=test_size, stratify=y, random_state=random_state)
    split = np.full(len(y), "test", dtype=object)
    split[np.sort(train_ids)] = "train"
    split = split.astype(str)
    if name == "digits":
        X = (X / 16.0).astype(np.float32)
    elif name != "text":
        train = X[split == "train"]
        X = ((X - train.mean(0)) / train.std(0)).astype(np.float32)
    return Dataset(
        name=name,
        X=X,
        y=y,
        ids=ids,
        split=split,
        target_names=target_names,
        image_shape=image_shape,
        feature_names=feature_names,
        params={"test_size": test_size, "random_state": random_state},
    )


def text_path():
    """Path of the bundled sentences (``assets/text/sentences.csv``)."""
    from .assets import assets_dir

    return assets_dir() / "text" / "sentences.csv"


def _load_text() -> tuple[np.ndarray, np.ndarray, tuple]:
    import pandas as pd

    df = pd.read_csv(text_path(), dtype={"id": np.int64, "topic": str, "text": str}, keep_default_na=False)
    if not np.array_equal(df["id"].to_numpy(), np.arange(len(df))):
        from ..errors import LoadError

        raise LoadError(f"{text_path()}: ids must be 0..n-1 in file order; restore the bundled file")
    topics = tuple(sorted(df["topic"].unique()))
    y = np.searchsorted(np.array(topics), df["topic"].to_numpy()).astype(np.int64)
    return df["text"].to_numpy().astype(str), y, topics
