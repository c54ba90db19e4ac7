"""core.io.session_query: ids and key choices round-trip through a URL query; every problem is listed."""

import pytest

from core.errors import FileTooLargeError, InvalidInputError, InvalidTypeError
from core.limits import MAX_IDS, MAX_SESSION_BYTES
from core.io.session_query import QUERY_FIELDS, decode_ids, encode_ids, from_query, to_query
from tests.core.io.conftest import context, good


def test_ids_and_query_round_trip(coll):
    ids = [5, 6, 7, 1, 9, 10, 200]
    assert encode_ids(ids) == "5-7,1,9-10,200"
    assert decode_ids(encode_ids(ids)) == ids
    assert decode_ids(encode_ids(["a,b", "c"])) == ["a,b", "c"]
    assert decode_ids("") == [] and decode_ids("3,3") == [3, 3]
    for bad in ("7-5", "1-x", "[1, 2]", "[", f"0-{MAX_IDS.value}"):
        with pytest.raises(InvalidInputError):
            decode_ids(bad)
    q = to_query(good(coll), **context(coll))
    assert list(q) == list(QUERY_FIELDS) and all(isinstance(v, str) for v in q.values())
    back = from_query(q, **context(coll))
    assert back["anchors"] == good(coll)["anchors"] and back["seed"] == 3 and back["n_anchors"] == 50


def test_query_problems_are_listed_with_the_others(coll):
    with pytest.raises(InvalidInputError) as err:
        from_query({"seed": ["1", "2"], "anchors": "1-x", "n_anchors": "lots", "method": "mds", "dataset": "digits"},
                   **context(coll))
    msg = str(err.value)
    for part in ("'seed' is given 2 times", "'anchors': '1-x' is not an int id", "'n_anchors' must be an int; got str 'lots'",
                 "method='mds' must be one of"):
        assert part in msg, part
    with pytest.raises(InvalidTypeError, match="'seed' must be an int; got str 'abc'"):
        from_query({"seed": "abc"})
    with pytest.raises(FileTooLargeError):
        from_query({"dataset": "x" * (MAX_SESSION_BYTES.value + 1)})
