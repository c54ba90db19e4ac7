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
