"""dashboard.tables: human headers, formatted numbers, "—" for gaps, cells shown as typed."""

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard import tables
from dashboard.text import md, unmd


def test_readable_formats_headers_numbers_and_gaps():
    df = pd.DataFrame({
        "name": ["a", None], "dim": [64, 32], "test_accuracy": [0.96944, np.nan], "test_mse": [np.nan, 0.007652],
        "seed": [0.0, np.nan], "cached": [True, False], "my_column": ["x", "nan"],
    })
    out = tables.readable(df)
    assert list(out.columns) == ["Encoder", "Dims", "Test accuracy", "Test MSE (reconstruction)", "Seed", "Cached",
                                 "my_column"]  # a user's column keeps its name
    assert out.to_dict("list") == {
        "Encoder": ["a", "—"], "Dims": ["64", "32"], "Test accuracy": ["0.969", "—"],
        "Test MSE (reconstruction)": ["—", "0.00765"],  # 3 significant figures of a small value
        "Seed": ["0", "—"], "Cached": ["yes", "no"], "my_column": ["x", "—"],
    }
    assert out.attrs["numeric"] == ["Dims", "Test accuracy", "Test MSE (reconstruction)", "Seed"]
    pivot = pd.DataFrame({"random": [0.5, 0.75]}, index=pd.Index([5, 50], name="n_anchors"))
    assert tables.readable(pivot, index="Anchors").to_dict("list") == {"Anchors": ["5", "50"], "random": ["0.500", "0.750"]}


def _show(rows: int, label: str):
    def app(rows, label):
        import pandas as pd

        from dashboard import tables

        tables.show(pd.DataFrame({"id": range(rows), "label": [label] * rows, "score": [0.5] * rows}))

    at = AppTest.from_function(app, kwargs={"rows": rows, "label": label})
    at.run()
    assert not at.exception
    return at


def test_small_tables_are_drawn_whole_and_escaped_large_ones_scroll():
    label = "**bold** [a](javascript:alert(1)) $x$"
    at = _show(3, label)
    (t,) = at.table
    assert list(t.value.columns) == [md("Id"), md("Label"), md("score")]  # "score" is not ours: kept
    assert set(t.value[md("Label")]) == {md(label)}  # markdown in a cell reads as typed
    assert set(t.value[md("Label")].map(unmd)) == {label}
    at = _show(tables.WHOLE_UP_TO_ROWS + 1, label)
    assert not at.table and at.dataframe[0].value["Label"].iloc[0] == label  # a grid shows text as is
