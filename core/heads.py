"""Classifier heads trained on a space's vectors (absolute or relative)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array

__all__ = ["RowStandardizer", "SampleScaledRidge", "make_head", "HEADS"]

#: Head kinds accepted by :func:`make_head`; the first is the default.
HEADS = ("ridge", "logreg")


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


class SampleScaledRidge(ClassifierMixin, BaseEstimator):
    """Ridge classifier (closed form) whose penalty grows with the number of samples.

    ``alpha_ = alpha_per_sample * n_samples``, so the same setting regularises a 150-row
    and a 1,500-row training set alike.

    Parameters
    ----------
    alpha_per_sample : float, default=0.7

    Attributes
    ----------
    alpha_ : float
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (n_classes, n_features)
    """

    def __init__(self, alpha_per_sample: float = 0.7):
        self.alpha_per_sample = alpha_per_sample

    def fit(self, X, y):
        """X : (n_samples, n_features); y : (n_samples,)."""
        X = check_array(X, dtype=(np.float64, np.float32))
        if not self.alpha_per_sample > 0:
            raise ValueError(f"alpha_per_sample={self.alpha_per_sample!r} must be > 0")
        self.alpha_ = float(self.alpha_per_sample * X.shape[0])
        self._ridge = RidgeClassifier(alpha=self.alpha_).fit(X, y)
        self.classes_ = self._ridge.classes_
        self.coef_ = self._ridge.coef_
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        """X : (n_samples, n_features) -> labels (n_samples,)."""
        return self._ridge.predict(X)

    def decision_function(self, X):
        """X : (n_samples, n_features) -> scores (n_samples, n_classes)."""
        return self._ridge.decision_function(X)


def make_head(kind: str = "ridge", *, random_state: int = 0) -> Pipeline:
    """A fresh, unfitted classifier head.

    Both kinds start with :class:`RowStandardizer` (a LayerNorm without affine, as on
    the relative vector of the official relreps heads).

    Parameters
    ----------
    kind : {"ridge", "logreg"}, default="ridge"
        - ``ridge`` (default): closed-form ridge classifier, ``alpha = 0.7 * n_samples``.
          Digits zoo, 100 random anchors: relative stitched mean 0.970 against 0.974
          non-stitched; all 36 pairs in about 0.07 s.
        - ``logreg``: multinomial logistic regression (L2, C=1, lbfgs). Relative
          stitched 0.967 against 0.968 non-stitched, about 25x slower.
    random_state : int, default=0

    Returns
    -------
    sklearn.pipeline.Pipeline
        With ``fit(X, y)`` and ``predict(X)``; X of shape (n_samples, n_features).
    """
    if kind not in HEADS:
        raise ValueError(f"head={kind!r} is not supported; choose one of {list(HEADS)}")
    if kind == "ridge":
        return Pipeline([("standardize", RowStandardizer()), ("classifier", SampleScaledRidge())])
    return Pipeline(
        [
            ("standardize", RowStandardizer()),
            ("classifier", LogisticRegression(C=1.0, max_iter=1000, random_state=random_state)),
        ]
    )
