import numpy as np

from core.reproduce.invariance import EXPECTED, invariance_section, invariance_table


def test_latentis_rows_of_the_expectations():
    assert EXPECTED[("cosine", None, "orthogonal")] is True
    assert EXPECTED[("cosine", None, "translation")] is False
    assert EXPECTED[("cosine", "anchors", "translation")] is True
    assert not any(EXPECTED[(s, None, "isotropic scale x3")] for s in ("euclidean", "l1", "linf"))


def test_every_measured_cell_agrees_with_the_formulas():
    X = np.random.default_rng(0).normal(size=(200, 12)) + 0.5
    df = invariance_table(X, np.arange(30))
    assert len(df) == 6 * 2 * 5 and df["agrees"].all()
    cos = df[(df["similarity"] == "cosine") & (df["center"] == "none")].set_index("transform")
    assert cos.loc["orthogonal", "change"] < 1e-12 and cos.loc["translation", "change"] > 0.01


def test_section(small_zoos):
    s = invariance_section(small_zoos["wine"].space("mlp-s0"), n_anchors=20)
    assert s.headlines[0].ours == "60 / 60"
    assert "unexpected" not in s.tables[0][1].to_string()
