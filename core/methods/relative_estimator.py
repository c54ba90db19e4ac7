"""Scikit-learn estimator for the relative projection.

``fit`` learns what :func:`~core.methods.relative.relative_projection` needs from the
anchors; ``transform`` applies it to new vectors. Both give identical results to the
pure function.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, validate_data

from ..errors import AnchorError, InvalidInputError, InvalidTypeError, MismatchError, UnknownIdError
from ..validation import NotFittedYetError, as_vectors, check_finite, fmt_list
from .relative import check_params, fit_stats, project_validated, row_ids
from .similarities import PRODUCT_BLOCKS

__all__ = ["RelativeProjection"]


class RelativeProjection(TransformerMixin, BaseEstimator):
    """Scikit-learn transformer: vectors -> similarities to fitted anchors.

    ``fit`` learns the anchors (and their centre, scale and block statistics);
    ``transform`` returns :func:`~core.methods.relative.relative_projection` of new
    vectors against them.

    Parameters
    ----------
    similarity : str, default="cosine"
        See :func:`~core.methods.relative.relative_projection`.
    center : {None, "anchors"}, default=None
    scale : bool, default=False
    topk : int, optional
    power : float, default=1.0
    anchor_ids : array-like of shape (n_anchors,), optional
        If None, every row passed to ``fit`` is an anchor. Otherwise the anchors are
        the rows of ``fit``'s ``X`` whose sample ids (``ids`` argument of ``fit``, or
        the row numbers 0..n-1 when ``ids`` is not given) are in ``anchor_ids``, taken
        in the order of ``anchor_ids``.

    Attributes
    ----------
    anchors_ : ndarray of shape (n_anchors, n_features_in_)
        The anchor vectors as given (before centring/scaling).
    center_ : ndarray of shape (n_features_in_,) or None
        Anchor mean subtracted when ``center="anchors"``.
    scale_ : ndarray of shape (n_features_in_,) or None
        Anchor standard deviation when ``scale=True``.
    n_features_in_ : int
    n_anchors_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(50, 8)); y = (X[:, 0] > 0).astype(int)
    >>> rp = RelativeProjection(anchor_ids=[0, 5, 9]).fit(X)
    >>> rp.transform(X).shape
    (50, 3)
    """

    def __init__(self, similarity="cosine", *, center=None, scale=False, topk=None, power=1.0, anchor_ids=None):
        self.similarity = similarity
        self.center = center
        self.scale = scale
        self.topk = topk
        self.power = power
        self.anchor_ids = anchor_ids

    def fit(self, X, y=None, ids=None):
        """Learn the anchors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Anchor vectors, or candidate vectors when ``anchor_ids`` is set.
        y : ignored
        ids : array-like of shape (n_samples,), optional
            Sample ids of the rows of ``X`` (used with ``anchor_ids``).

        Returns
        -------
        self
        """
        check_params(self.similarity, self.center, self.scale, self.topk, self.power)
        X = self._validate(X, reset=True)
        have = None if ids is None else row_ids("ids", ids, X.shape[0])
        check_finite(X, name="X", ids=have)
        a_ids = None
        if self.anchor_ids is None:
            A = X
            a_ids = have
        else:
            try:
                want = np.asarray(self.anchor_ids)
            except (ValueError, TypeError) as exc:
                raise AnchorError(f"anchor_ids cannot be read as a 1-D list of ids ({exc})") from None
            if want.ndim != 1 or len(want) == 0:
                raise AnchorError(f"anchor_ids must be a non-empty 1-D list of ids; got shape {want.shape}")
            wl = want.tolist()
            try:
                lookup = {v: i for i, v in enumerate((np.arange(X.shape[0]) if have is None else have).tolist())}
                dup = len(set(wl)) != len(wl)
            except TypeError as exc:  # unhashable ids
                raise InvalidTypeError(f"anchor_ids and ids must be ints or strings ({exc})") from None
            if dup:
                raise AnchorError("anchor_ids contain duplicates; each anchor id must appear once")
            missing = [a for a in wl if a not in lookup]
            if missing:
                raise UnknownIdError(
                    f"{len(missing)} anchor id(s) are not among the fitted samples: {fmt_list(missing)}"
                    + ("" if have is not None else " (without ids=..., the ids are the row numbers 0..n-1)")
                )
            A = X[[lookup[a] for a in wl]]
            a_ids = want
        self._stats = fit_stats(A, similarity=self.similarity, center=self.center, scale=self.scale, a_ids=a_ids)
        self.anchors_ = A
        self.center_ = self._stats["mean"]
        self.scale_ = self._stats["std"]
        self.n_anchors_ = A.shape[0]
        return self

    def transform(self, X):
        """Similarities to the fitted anchors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)

        Returns
        -------
        R : ndarray of shape (n_samples, n_anchors_) (``4 * n_anchors_`` for ``product``)
        """
        self._check_fitted()
        check_params(self.similarity, self.center, self.scale, self.topk, self.power)
        fused = self.similarity in ("cosine", "angular") and self.center is None and not self.scale
        X = self._validate(X, reset=False)
        if not fused:
            check_finite(X, name="X")
        stats = self._stats
        kw = dict(similarity=self.similarity, center=self.center, scale=self.scale, topk=self.topk, power=self.power)
        if stats["anchors"].dtype != X.dtype:
            with np.errstate(over="ignore"):
                A = stats["anchors"].astype(X.dtype)
            if not np.all(np.isfinite(A)):  # float64 anchors beyond float32: compute in float64
                R = project_validated(X.astype(stats["anchors"].dtype), stats, **kw)
                with np.errstate(over="ignore"):
                    out = R.astype(X.dtype)
                if not np.all(np.isfinite(out)):
                    raise InvalidInputError(
                        f"the relative vectors overflow {X.dtype}: the fitted anchors are beyond its range; "
                        "pass X as float64"
                    )
                return out
            stats = fit_stats(A, similarity=self.similarity, center=self.center, scale=self.scale, a_ids=stats.get("a_ids"))
        return project_validated(X, stats, **kw)

    def _check_fitted(self):
        try:
            check_is_fitted(self)
        except NotFittedError:
            raise NotFittedYetError(
                f"This {type(self).__name__} is not fitted yet: call fit(anchor_vectors) first"
            ) from None

    def _validate(self, X, *, reset: bool) -> np.ndarray:
        """Our checks (dtype, shape) with our messages, then scikit-learn's bookkeeping."""
        X = as_vectors(X, name="X", finite=False)
        try:
            return validate_data(self, X, dtype=(np.float64, np.float32), reset=reset, ensure_all_finite=False)
        except ValueError as exc:  # e.g. n_features differs from fit
            raise MismatchError(str(exc)) from None

    def get_feature_names_out(self, input_features=None):
        """Names ``rel_<similarity>_<j>`` of the output columns."""
        self._check_fitted()
        blocks = PRODUCT_BLOCKS if self.similarity == "product" else (self.similarity,)
        return np.asarray([f"rel_{b}_{j}" for b in blocks for j in range(self.n_anchors_)], dtype=object)
