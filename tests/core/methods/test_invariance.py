"""The invariance table (in the spirit of latentis): similarity x options x transform -> invariant?"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.methods.relative import relative_projection


def _orthogonal(rng, d):
    Q, R = np.linalg.qr(rng.normal(size=(d, d)))
    return Q * np.sign(np.diag(R))


TRANSFORMS = {
    "orthogonal": lambda rng, d: (lambda X, Q=_orthogonal(rng, d): X @ Q),
    "isotropic_scale": lambda rng, d: (lambda X, s=rng.uniform(0.1, 10) * 3.7: X * s),
    "translation": lambda rng, d: (lambda X, t=rng.normal(size=d) * 5 + 3: X + t),
    "permutation": lambda rng, d: (lambda X, p=np.roll(np.arange(d), 1 + rng.integers(d - 1)): X[:, p]),
    "anisotropic_scale": lambda rng, d: (lambda X, D=rng.permutation(np.linspace(0.2, 5.0, d)): X * D),
}

# (similarity, options) -> set of transforms it is invariant to
INVARIANT = {
    ("cosine", "none"): {"orthogonal", "isotropic_scale", "permutation"},
    ("cosine", "center"): {"orthogonal", "isotropic_scale", "permutation", "translation"},
    ("cosine", "scale"): {"isotropic_scale", "permutation", "translation", "anisotropic_scale"},
    ("angular", "none"): {"orthogonal", "isotropic_scale", "permutation"},
    ("angular", "center"): {"orthogonal", "isotropic_scale", "permutation", "translation"},
    ("euclidean", "none"): {"orthogonal", "permutation", "translation"},
    ("euclidean", "center"): {"orthogonal", "permutation", "translation"},
    ("l1", "none"): {"permutation", "translation"},
    ("l1", "center"): {"permutation", "translation"},
    ("linf", "none"): {"permutation", "translation"},
    ("linf", "center"): {"permutation", "translation"},
    ("product", "none"): {"isotropic_scale", "permutation"},
    ("product", "center"): {"isotropic_scale", "permutation", "translation"},
}
OPTIONS = {"none": {}, "center": {"center": "anchors"}, "scale": {"scale": True}}

ROWS = [(sim, opt, t, t in inv) for (sim, opt), inv in INVARIANT.items() for t in TRANSFORMS]


@pytest.mark.parametrize("similarity, option, transform, expected", ROWS, ids=[f"{r[0]}-{r[1]}-{r[2]}-{r[3]}" for r in ROWS])
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(10, 60), d=st.integers(3, 24), k=st.integers(3, 12))
def test_invariance_table(similarity, option, transform, expected, seed, n, d, k):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + rng.normal(size=d)
    A = X[rng.choice(n, size=min(k, n), replace=False)]
    T = TRANSFORMS[transform](rng, d)
    kw = OPTIONS[option]
    before = relative_projection(X, A, similarity=similarity, **kw)
    after = relative_projection(T(X), T(A), similarity=similarity, **kw)
    same = np.allclose(before, after, rtol=1e-6, atol=1e-6)
    assert same == expected, f"{similarity}/{option} under {transform}: invariant={same}, expected {expected}"
