"""Classifier heads trained on a space's vectors (absolute or relative)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array

from ..errors import InvalidInputError, MismatchError
from ..validation import NotFittedYetError, as_1d, as_vectors, check_choice, check_number

__all__ = ["RowStandardizer", "SampleScaledRidge", "make_head", "check_labels", "HEADS"]

#: Head kinds accepted by :func:`make_head`; the first is the default.
HEADS = ("ridge", "logreg")


def check_labels(y, *, n: int, what: str = "y") -> np.ndarray:
    """Training labels for a classifier: ``n`` of them, none missing, at least 2 classes.

    Parameters
    ----------
    y : array-like of shape (n,)
    n : int
        Number of training rows.
    what : str
        How messages call ``y`` (e.g. "labels of space 'mlp-s0'").

    Returns
    -------
    ndarray of shape (n,)

    Raises
    ------
    InvalidInputError
        No labels, wrong length, NaN/None labels or a single class.
    """
    if y is None:
        raise InvalidInputError(f"{what} is missing: a classifier head needs one label per training sample")
    y = as_1d(y, n, name=what, each="one label per training sample")
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise InvalidInputError(f"{what} contains NaN at rows {np.nonzero(np.isnan(y))[0][:10].tolist()}; drop those samples")
    if y.dtype.kind == "O" and any(v is None or (isinstance(v, float) and v != v) for v in y.tolist()):
        raise InvalidInputError(f"{what} contains missing labels (None/NaN); drop those samples")
    if y.dtype.kind not in "biuUSfO":
        raise InvalidInputError(f"{what} must be ints or strings; got dtype {y.dtype}")
    try:
        classes = np.unique(y)
    except TypeError:
        raise InvalidInputError(f"{what} mix types; make them all ints or all strings") from None
    if len(classes) < 2:
        raise InvalidInputError(
            f"a single class ({classes[0].item() if len(classes) else None!r}) in {what}: a classifier needs "
            "at least 2 classes; label more kinds of samples"
        )
    return y


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
        X = check_array(as_vectors(X), dtype=(np.float64, np.float32))
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """X : (n_samples, n_features) -> (n_samples, n_features), rows standardised."""
        if not hasattr(self, "n_features_in_"):
            raise NotFittedYetError("This RowStandardizer is not fitted yet: call fit(X) first")
        X = check_array(as_vectors(X), dtype=(np.float64, np.float32))
        if X.shape[1] != self.n_features_in_:
            raise MismatchError(
                f"X has {X.shape[1]} features, but RowStandardizer was fitted with {self.n_features_in_}"
            )
        Xc = X - X.mean(axis=1, keepdims=True)
        # the row std as sqrt(mean(Xc**2)) in one pass, then one in-place division: ``Xc.std`` makes four
        # more temporaries of X's size (seconds per edit at 1M rows)
        sd = np.sqrt(np.einsum("ij,ij->i", Xc, Xc) / Xc.shape[1])
        sd += self.eps
        Xc /= sd[:, None]
        return Xc


class SampleScaledRidge(ClassifierMixin, BaseEstimator):
    """Ridge classifier (closed form) whose penalty grows with the number of samples.

    ``alpha_ = alpha_per_sample * n_samples``, so the same setting regularises a 150-row
    and a 1,500-row training set alike. The fit is scikit-learn's ``RidgeClassifier``
    (targets +-1 per class, centred data, a Cholesky solve of ``Xc^T Xc + alpha I``) done
    in one pass over ``X``: that class also rescales ``X`` by unit sample weights and
    averages it with them, copies that cost seconds at 1M rows. Tests check both agree.

    Parameters
    ----------
    alpha_per_sample : float, default=0.7

    Attributes
    ----------
    alpha_ : float
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (n_classes, n_features), or (n_features,) for two classes
    intercept_ : ndarray of shape (n_classes,), or (1,) for two classes
    """

    def __init__(self, alpha_per_sample: float = 0.7):
        self.alpha_per_sample = alpha_per_sample

    def fit(self, X, y):
        """X : (n_samples, n_features); y : (n_samples,)."""
        from scipy import linalg

        X = check_array(as_vectors(X), dtype=(np.float64, np.float32))
        check_number(self.alpha_per_sample, name="alpha_per_sample", low=0, low_open=True)
        y = check_labels(y, n=X.shape[0])
        self.alpha_ = float(self.alpha_per_sample * X.shape[0])
        self.classes_, code = np.unique(y, return_inverse=True)
        Y = np.full((X.shape[0], len(self.classes_)), -1.0, dtype=X.dtype)
        Y[np.arange(X.shape[0]), code] = 1.0
        if len(self.classes_) == 2:  # one column, as scikit-learn's label binariser gives for two classes
            Y = Y[:, 1:]
        x_mean = X.mean(axis=0, dtype=np.float64).astype(X.dtype)
        y_mean = Y.mean(axis=0, dtype=np.float64).astype(X.dtype)
        Xc = X - x_mean
        Y -= y_mean
        try:
            if X.shape[1] > X.shape[0]:  # wide: the n x n kernel form, as scikit-learn solves it
                K = Xc @ Xc.T
                K.flat[:: X.shape[0] + 1] += self.alpha_
                W = Xc.T @ linalg.solve(K, Y, assume_a="pos", overwrite_a=True)
            else:
                A = Xc.T @ Xc
                A.flat[:: X.shape[1] + 1] += self.alpha_
                W = linalg.solve(A, Xc.T @ Y, assume_a="pos", overwrite_a=True)  # (n_features, n_targets)
        except linalg.LinAlgError:  # numerically singular: scikit-learn's own fallback (an SVD)
            from sklearn.linear_model import RidgeClassifier

            ridge = RidgeClassifier(alpha=self.alpha_).fit(X, y)
            self.coef_, self.intercept_, self.n_features_in_ = ridge.coef_, np.atleast_1d(ridge.intercept_), X.shape[1]
            return self
        self.coef_ = W[:, 0] if W.shape[1] == 1 else W.T  # the shapes scikit-learn gives
        self.intercept_ = y_mean - x_mean @ W
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X):
        """X : (n_samples, n_features) -> scores (n_samples, n_classes), or (n_samples,) for two classes."""
        return self._input(X) @ self.coef_.T + self.intercept_

    def predict(self, X):
        """X : (n_samples, n_features) -> labels (n_samples,)."""
        scores = self.decision_function(X)
        return self.classes_[(scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)]

    def _input(self, X):
        if not hasattr(self, "coef_"):
            raise NotFittedYetError("This SampleScaledRidge is not fitted yet: call fit(X, y) first")
        X = check_array(as_vectors(X), dtype=(np.float64, np.float32))
        if X.shape[1] != self.n_features_in_:
            raise MismatchError(f"X has {X.shape[1]} features, but the head was fitted with {self.n_features_in_}")
        return X


def make_head(kind: str = "ridge", *, random_state: int = 0) -> Pipeline:
    """A fresh, unfitted classifier head.

    Both kinds start with :class:`RowStandardizer` (a LayerNorm without affine, as on
    the relative vector of the official relreps heads).

    Parameters
    ----------
    kind : {"ridge", "logreg"}, default="ridge"
        - ``ridge`` (default): closed-form ridge classifier, ``alpha = 0.7 * n_samples``;
          the default because it stitches about as well as ``logreg`` at a fraction of
          the cost (``benchmarks/bench_stitching.py``).
        - ``logreg``: multinomial logistic regression (L2, C=1, lbfgs).
    random_state : int, default=0

    Returns
    -------
    sklearn.pipeline.Pipeline
        With ``fit(X, y)`` and ``predict(X)``; X of shape (n_samples, n_features).
    """
    check_choice(kind, name="head", choices=HEADS)
    if kind == "ridge":
        return Pipeline([("standardize", RowStandardizer()), ("classifier", SampleScaledRidge())])
    return Pipeline(
        [
            ("standardize", RowStandardizer()),
            ("classifier", LogisticRegression(C=1.0, max_iter=1000, random_state=random_state)),
        ]
    )
