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
