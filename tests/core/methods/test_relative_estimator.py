"""RelativeProjection is a real scikit-learn estimator and matches the pure function."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from core.methods.relative import relative_projection
from core.methods.relative_estimator import RelativeProjection
from core.methods.similarities import SIMILARITIES

# check_estimators_dtypes feeds small random integers, which include all-zero rows:
# their cosine (and angle) to an anchor is undefined, so cosine/angular/product
# rightly raise a ValueError naming the rows instead of returning NaN.
_ZERO_ROW = {"check_estimators_dtypes": "all-zero integer rows: cosine is undefined, we raise"}


def _expected(est):
    return _ZERO_ROW if est.similarity in ("cosine", "angular", "product") and est.center is None else {}


@parametrize_with_checks(
    [
        RelativeProjection(),
        RelativeProjection("angular"),
        RelativeProjection("euclidean", scale=True),
        RelativeProjection("l1", topk=3, power=2.0),
        RelativeProjection("linf"),
        RelativeProjection("product", center="anchors"),
    ],
    expected_failed_checks=_expected,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("center", [None, "anchors"])
def test_estimator_equals_function(similarity, center):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    ids = np.arange(1000, 1060)
    anchor_ids = [1003, 1010, 1042, 1007]
    rp = RelativeProjection(similarity, center=center, anchor_ids=anchor_ids).fit(X, ids=ids)
    A = X[[3, 10, 42, 7]]
    np.testing.assert_allclose(rp.transform(X), relative_projection(X, A, similarity=similarity, center=center))
    np.testing.assert_array_equal(rp.anchors_, A)
    assert rp.n_anchors_ == 4 and rp.n_features_in_ == 5
    assert len(rp.get_feature_names_out()) == rp.transform(X).shape[1]


def test_params_clone_and_pipeline():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    rp = RelativeProjection(anchor_ids=list(range(20)))
    assert rp.get_params()["similarity"] == "cosine"
    rp.set_params(similarity="angular")
    c = clone(rp)
    assert c.get_params() == rp.get_params() and not hasattr(c, "anchors_")
    pipe = make_pipeline(RelativeProjection(anchor_ids=list(range(30))), LogisticRegression()).fit(X, y)
    assert pipe.score(X, y) > 0.8


def test_unknown_anchor_ids_are_named():
    with pytest.raises(ValueError, match=r"1 anchor id\(s\) are not among the fitted samples: \[99\]"):
        RelativeProjection(anchor_ids=[0, 99]).fit(np.ones((5, 2)) + np.eye(5, 2))


def test_fit_does_not_change_params():
    rp = RelativeProjection(topk=None, anchor_ids=None)
    rp.fit(np.random.default_rng(0).normal(size=(10, 3)))
    assert rp.topk is None and rp.anchor_ids is None and rp.similarity == "cosine"
