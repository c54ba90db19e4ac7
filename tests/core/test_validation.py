"""core.validation: JSON from the user parsed with limits."""

import pytest


def test_parse_json_limits_depth_and_digits_but_not_brackets_in_strings():
    from core.errors import LoadError
    from core.validation import MAX_JSON_DEPTH, parse_json

    assert parse_json('{"a": "[[[[" , "b": [1, 2.5, "\\\\\\"]]]"]}', what="x") == {"a": "[[[[", "b": [1, 2.5, '\\"]]]']}
    assert parse_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH, what="x") is not None
    with pytest.raises(LoadError, match="x: JSON nested over"):
        parse_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), what="x")
    with pytest.raises(LoadError, match="a number of 101 characters"):
        parse_json("1" * 101, what="x")
    with pytest.raises(LoadError, match="not valid JSON"):
        parse_json("{", what="x")
    with pytest.raises(LoadError, match="not UTF-8"):
        parse_json(b"\xff", what="x")
