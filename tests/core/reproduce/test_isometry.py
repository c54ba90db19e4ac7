import numpy as np

from core.methods.transforms import random_orthogonal
from core.reproduce.isometry import PUBLISHED_ABSOLUTE, isometry_section


def test_isometry_demo_against_numpy():
    """The relreps demo recomputed: relative spaces coincide (1.0), absolute ones do not."""
    s = isometry_section(n_draws=5)
    table = s.tables[0][1]
    ours_abs, ours_rel = table["ours (seed 0)"]
    # the same draw, written out: X ~ N(0, 1), Y = X Q, mean of the row cosines
    X = np.random.default_rng(0).standard_normal((1000, 128))
    Y = X @ random_orthogonal(128, random_state=1)
    expected = np.mean((X * Y).sum(1) / (np.linalg.norm(X, axis=1) * np.linalg.norm(Y, axis=1)))
    assert abs(ours_abs - expected) < 1e-12
    assert abs(ours_abs) < 0.05 and abs(ours_rel - 1.0) < 1e-9
    assert table["published (relreps demo)"].tolist() == [PUBLISHED_ABSOLUTE, 1.0]
    assert [h.published for h in s.headlines] == ["0.0180", "1.0"]
    assert len(s.figures) == 2 and all(len(f.data) >= 1 for _, f in s.figures)
