import numpy as np
import pytest

from core.spaces.describe import sample_descriptions
from core.io.export import layout_table, relative_table
from core.methods.relative import relative_projection


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
    from core.spaces.zoo import Zoo

    coll = Zoo("text").collection()
    text = sample_descriptions(coll)
    wine = sample_descriptions(Zoo("wine").collection())
    first = str(coll.samples["text"].iloc[0])
    assert text[0].startswith("id ") and "label <b>" in text[0] and first.split()[0] in text[0]
    assert "<br>".join(text[0].split("<br>")[1:]).replace("<br>", " ") == first[:159] + ("…" if len(first) > 160 else "")
    assert "alcohol=" in wine[0] and "(+7 more features)" in wine[0]


def test_csv_downloads_neutralise_formula_cells_and_keep_numbers():
    import csv
    import io

    import pandas as pd

    from core.io.export import csv_bytes

    evil = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "a=b"]
    df = pd.DataFrame({"id": evil, "label": pd.Categorical(["=1"] * 4 + ["ok"] * 4), "x": [-1.5] * 8,
                       "=bad header": range(8)}, index=[f"@{i}" for i in range(8)])
    rows = list(csv.reader(io.StringIO(csv_bytes(df).decode(), newline="")))
    assert rows[0] == ["id", "label", "x", "'=bad header"]
    assert [r[0] for r in rows[1:]] == ["'" + e for e in evil[:6]] + ["plain", "a=b"]
    assert {r[1] for r in rows[1:]} == {"'=1", "ok"}
    assert all(r[2] == "-1.5" for r in rows[1:])  # numbers stay numbers
    with_index = list(csv.reader(io.StringIO(csv_bytes(df, index=True).decode(), newline="")))
    assert with_index[1][0] == "'@0"
    assert df["id"].tolist() == evil  # the table itself is untouched
