"""Classifier heads trained on a space's vectors (absolute or relative)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array

__all__ = ["RowStandardizer", "make_head", "HEADS"]

#: Head kinds accepted by :func:`make_head`.
HEADS = ("logreg",)


class RowStandardizer(TransformerMixin, BaseEstimator):
    """Standardise each row to zero mean and unit variance (a LayerNorm without affine).

    Stateless: ``fit`` only records ``n_features_in_``. The official relreps heads put
    a LayerNorm on the relative vector; with it a head trained on one encoder's
    relative space is robust to the overall similarity scale of another encoder.

    Parameters
    ----------
    eps : float, default=1e-6
        Added to the row standard deviation.
    """

    def __init__(self, eps: float = 1e-6):
        self.eps = eps

    def fit(self, X, y=None):
        """X : array-like of shape (n_samples, n_features)."""
        X = check_array(X, dtype=(np.float64, np.float32))
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """X : (n_samples, n_features) -> (n_samples, n_features), rows standardised."""
        X = check_array(X, dtype=(np.float64, np.float32))
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but RowStandardizer was fitted with {self.n_features_in_}")
        Xc = X - X.mean(axis=1, keepdims=True)
        return Xc / (Xc.std(axis=1, keepdims=True) + self.eps)


def make_head(kind: str = "logreg", *, random_state: int = 0) -> Pipeline:
    """A fresh, unfitted classifier head.

    Parameters
    ----------
    kind : {"logreg"}, default="logreg"
        ``logreg``: :class:`RowStandardizer` then multinomial logistic regression
        (L2, C=1). Measured on the digits zoo with 100 random anchors: relative
        stitched mean 0.967 against 0.968 non-stitched.
    random_state : int, default=0

    Returns
    -------
    sklearn.pipeline.Pipeline
        With ``fit(X, y)`` and ``predict(X)``; X of shape (n_samples, n_features).
    """
    if kind not in HEADS:
        raise ValueError(f"head={kind!r} is not supported; choose one of {list(HEADS)}")
    return Pipeline(
        [
            ("standardize", RowStandardizer()),
            ("classifier", LogisticRegression(C=1.0, max_iter=1000, random_state=random_state)),
        ]
    )
