import numpy as np
import pytest

from core.describe import sample_descriptions
from core.export import layout_table, relative_table
from core.relative import relative_projection


@pytest.fixture(scope="module")
def coll(zoo):
    return zoo.collection()


def test_relative_table_is_keyed_by_id_with_one_column_per_anchor(coll):
    anchors = [int(i) for i in coll.ids[coll.split == "train"][[3, 1, 7]]]
    df = relative_table(coll, "mlp-s1", anchors)
    assert list(df.columns) == ["id", "split", "label"] + [f"anchor_{a}" for a in anchors]
    assert len(df) == coll.n_samples and df["id"].tolist() == coll.ids.tolist()
    sp = coll.spaces["mlp-s1"]
    np.testing.assert_allclose(df[[f"anchor_{a}" for a in anchors]].to_numpy(),
                               relative_projection(sp.vectors, sp.take(anchors)), atol=1e-6)


def test_layout_table_and_shape_check(coll):
    L = np.arange(coll.n_samples * 2, dtype=float).reshape(-1, 2)
    df = layout_table(coll, {"absolute_A": L})
    assert df["absolute_A_x"].tolist() == L[:, 0].tolist() and df["absolute_A_y"].iloc[5] == L[5, 1]
    with pytest.raises(ValueError, match="must have shape"):
        layout_table(coll, {"bad": L[:10]})


def test_descriptions_show_text_or_features():
    from core.zoo import Zoo

    coll = Zoo("text").collection()
    text = sample_descriptions(coll)
    wine = sample_descriptions(Zoo("wine").collection())
    first = str(coll.samples["text"].iloc[0])
    assert text[0].startswith("id ") and "label <b>" in text[0] and first.split()[0] in text[0]
    assert "<br>".join(text[0].split("<br>")[1:]).replace("<br>", " ") == first[:159] + ("…" if len(first) > 160 else "")
    assert "alcohol=" in wine[0] and "(+7 more features)" in wine[0]
