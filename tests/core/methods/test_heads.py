import numpy as np
import pytest

from core.methods.heads import SampleScaledRidge


def test_sample_scaled_ridge_alpha_follows_n():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 3, 200)
    m = SampleScaledRidge(alpha_per_sample=0.5).fit(X, y)
    assert m.alpha_ == 100.0 and m.alpha_per_sample == 0.5 and m.predict(X).shape == (200,)
    with pytest.raises(ValueError, match="alpha_per_sample=0 must be > 0"):
        SampleScaledRidge(alpha_per_sample=0).fit(X, y)


def test_row_standardizer_gives_each_row_zero_mean_and_unit_std():
    from core.methods.heads import RowStandardizer

    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        X = (rng.normal(size=(300, 20)) * rng.uniform(0.1, 5, size=(300, 1)) + 3).astype(dtype)
        X[0] = 2.0  # a constant row: eps keeps it finite (all zeros)
        Z = RowStandardizer().fit(X).transform(X)
        assert Z.dtype == dtype and Z.shape == X.shape
        Xc = X.astype(np.float64) - X.mean(axis=1, keepdims=True)
        np.testing.assert_allclose(Z, Xc / (Xc.std(axis=1, keepdims=True) + 1e-6), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(Z[1:].std(axis=1), 1.0, rtol=1e-4)
        assert np.all(Z[0] == 0)
        assert X[0, 0] == 2.0  # the input is not changed in place


@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [2000, 8])  # 8 rows of 12 features: the wide (kernel) form
def test_sample_scaled_ridge_is_scikit_learns_ridge_classifier(n_classes, dtype, n):
    """The one-pass fit gives scikit-learn's RidgeClassifier with alpha = alpha_per_sample * n."""
    from sklearn.linear_model import RidgeClassifier

    rng = np.random.default_rng(n_classes)
    names = np.array(["cat", "dog", "emu", "fox", "gnu", "hen", "ibis", "jay", "kite", "lynx"])[:n_classes]
    y = rng.choice(names, n)
    y[: min(n, n_classes)] = names[: min(n, n_classes)]  # each class present (as many as 8 rows hold)
    centres = {c: rng.normal(size=12) for c in np.unique(y)}
    X = (np.array([centres[c] for c in y]) + rng.normal(size=(n, 12)) * 1.5 + 4.0).astype(dtype)
    ours = SampleScaledRidge(alpha_per_sample=0.01).fit(X, y)
    ref = RidgeClassifier(alpha=0.01 * n).fit(X, y)
    assert ours.coef_.shape == ref.coef_.shape and ours.intercept_.shape == ref.intercept_.shape
    tol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=tol, atol=tol * np.abs(ref.coef_).max())
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=tol, atol=tol)
    yt = rng.choice(np.unique(y), 500)
    Xt = (np.array([centres[c] for c in yt]) + rng.normal(size=(500, 12)) * 1.5 + 4.0).astype(dtype)
    np.testing.assert_allclose(ours.decision_function(Xt), ref.decision_function(Xt), rtol=tol, atol=10 * tol)
    assert (ours.predict(Xt) == ref.predict(Xt)).all()
    assert list(ours.classes_) == list(ref.classes_)
    with pytest.raises(ValueError, match="features"):
        ours.predict(Xt[:, :5])
