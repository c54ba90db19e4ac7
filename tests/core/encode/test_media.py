"""Texts the user brings (core.encode.media): tables of texts, the bundled sentences."""

import io

import pandas as pd
import pytest

from core.encode.media import bundled_texts, read_texts
from core.errors import InvalidInputError, LoadError
from tests.core.encode.encodehelp import csv_bytes


def test_texts_from_csv_and_parquet_with_detected_and_given_columns():
    df = pd.DataFrame({"id": ["a", "b", "c"], "sentence": ["x y", "z", "w v u"], "topic": ["p", "q", "p"],
                       "other": [1, 2, 3]})
    m = read_texts(("t.csv", csv_bytes(df)))
    assert m.modality == "text" and m.items == ("x y", "z", "w v u")
    assert list(m.ids) == ["a", "b", "c"] and list(m.labels) == ["p", "q", "p"]
    assert list(m.columns.columns) == ["text", "other"]
    b = io.BytesIO()
    df.to_parquet(b)
    m = read_texts(("t.parquet", b.getvalue()), text_column="topic", label_column="sentence", id_column="other")
    assert m.items == ("p", "q", "p") and list(m.ids) == [1, 2, 3]


def test_text_table_errors_name_the_column_and_rows():
    with pytest.raises(InvalidInputError, match="no text column 'body'"):
        read_texts(("t.csv", b"id,text\n1,a\n"), text_column="body")
    with pytest.raises(InvalidInputError, match=r"non-text cells \(rows \[1\]\)"):
        read_texts(("t.csv", b"id,text\n1,a\n2,\n"))
    with pytest.raises(LoadError, match=r"\.csv or \.parquet"):
        read_texts(("t.json", b"{}"))


def test_bundled_texts_keep_their_split():
    m = bundled_texts()
    assert m.modality == "text" and len(m) == len(m.meta["split"]) and set(m.meta["split"]) == {"train", "test"}
