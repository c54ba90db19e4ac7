"""core.validation: JSON from the user parsed with limits."""

import pytest


def test_parse_json_limits_depth_and_digits_but_not_brackets_in_strings():
    from core.errors import LoadError
    from core.limits import MAX_JSON_DEPTH
    from core.validation import parse_json

    depth = MAX_JSON_DEPTH.value

    assert parse_json('{"a": "[[[[" , "b": [1, 2.5, "\\\\\\"]]]"]}', what="x") == {"a": "[[[[", "b": [1, 2.5, '\\"]]]']}
    assert parse_json("[" * depth + "]" * depth, what="x") is not None
    with pytest.raises(LoadError, match="x: JSON nested over"):
        parse_json("[" * (depth + 1) + "]" * (depth + 1), what="x")
    with pytest.raises(LoadError, match="a number of 101 characters"):
        parse_json("1" * 101, what="x")
    with pytest.raises(LoadError, match="not valid JSON"):
        parse_json("{", what="x")
    with pytest.raises(LoadError, match="not UTF-8"):
        parse_json(b"\xff", what="x")


def test_check_finite_names_rows_across_blocks_without_a_full_size_mask(monkeypatch):
    import tracemalloc

    import numpy as np

    from core import validation
    from core.errors import InvalidInputError

    X = np.random.default_rng(0).normal(size=(200_000, 32)).astype(np.float32)
    tracemalloc.start()
    try:
        validation.check_finite(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.size / 8, peak  # a bool mask of X would be X.size bytes
    X[[3, 8191, 8192, 199_999], [0, 31, 5, 7]] = [np.nan, np.inf, -np.inf, np.nan]
    monkeypatch.setattr(validation, "_FINITE_BLOCK", 1000)
    with pytest.raises(InvalidInputError, match=r"rows \[3, 8191, 8192, 199999\]"):
        validation.check_finite(X)
    with pytest.raises(InvalidInputError, match=r"rows with ids \['r3', 'r8191', 'r8192', 'r199999'\]"):
        validation.check_finite(X, ids=np.array([f"r{i}" for i in range(len(X))]))
