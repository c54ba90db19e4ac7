"""core.spaces.search: samples found by id, label or text, checked against direct pandas/numpy computations."""

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError, InvalidTypeError
from core.spaces.search import search_samples


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    words = ["guitar", "solo", "rain", "storm", "bread", "oven", "orbit", "moon"]
    text = [" ".join(rng.choice(words, 4)) + (" Guitar" if k % 17 == 0 else "") for k in range(300)]
    labels = rng.choice(["music", "weather", "cooking", "space"], 300)
    return pd.DataFrame({"id": np.arange(1000, 1300), "split": np.where(np.arange(300) % 5 == 0, "test", "train"),
                         "label": labels, "text": text, "score": rng.normal(size=300)})


def test_text_words_in_any_order_case_insensitive(table):
    got = search_samples(table, "GUITAR rain")
    low = table["text"].str.lower()
    want = table.loc[low.str.contains("guitar") & low.str.contains("rain"), "id"]
    assert got.ids.tolist() == want.tolist() and len(want) > 5
    assert set(got.matched_by) == {"text"} and got.n_found == len(want) == got.counts["text"]


def test_labels_match_whole_and_any_case_and_plain_queries_search_every_field(table):
    got = search_samples(table, "label:Music")
    assert got.ids.tolist() == table.loc[table.label == "music", "id"].tolist()
    assert search_samples(table, "label:mus").n_found == 0  # a whole label, not a prefix
    plain = search_samples(table, "moon")  # no label is "moon": the text only
    assert plain.counts == {"id": 0, "label": 0, "text": int(table.text.str.contains("moon").sum())}
    both = search_samples(table, "space")
    in_label = (table.label == "space").to_numpy()
    in_text = table.text.str.contains("space").to_numpy()
    assert both.ids.tolist() == table.id[in_label | in_text].tolist()
    assert (both.matched_by == "label").sum() == in_label.sum()


def test_ids_ranges_and_a_limit(table):
    got = search_samples(table, "id: 1003, 1010-1012, 5")
    assert got.ids.tolist() == [1003, 1010, 1011, 1012] and got.counts["id"] == 4  # 5 is not an id here
    assert set(got.matched_by) == {"id"}
    assert search_samples(table, "1007").ids.tolist() == [1007]  # a plain query that reads as an id
    cut = search_samples(table, "label:weather", limit=3)
    all_ = table.loc[table.label == "weather", "id"].tolist()
    assert cut.ids.tolist() == all_[:3] and cut.n_found == len(all_)
    strs = table.assign(id=[f"s{i}" for i in range(300)])
    assert search_samples(strs, "id:s4, s7").ids.tolist() == ["s4", "s7"]


@pytest.mark.parametrize("query, limit, error, message", [
    ("   ", None, InvalidInputError, "the search is empty"),
    ("id:", None, InvalidInputError, "nothing to search after 'id:'"),
    ("id:three", None, InvalidInputError, "does not read as ids"),
    ("id:1-99999999", None, InvalidInputError, "does not read as ids"),
    ("x", 0, InvalidInputError, "limit=0 must be a positive int"),
    (3, None, InvalidTypeError, "query must be a str"),
])
def test_bad_queries_say_what_is_wrong(table, query, limit, error, message):
    with pytest.raises(error, match=message):
        search_samples(table, query, limit=limit)
    with pytest.raises(InvalidInputError, match="no labels"):
        search_samples(table.drop(columns="label"), "label:music")
    with pytest.raises(InvalidTypeError, match="'id' column"):
        search_samples(table.drop(columns="id"), "x")
