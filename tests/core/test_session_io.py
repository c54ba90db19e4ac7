"""core.session: sessions round-trip through JSON and URL queries; tampering is refused."""

import json

import numpy as np
import pytest

from core.errors import FileTooLargeError, InvalidInputError, InvalidTypeError, LoadError
from core.session_io import MAX_SESSION_BYTES, SESSION_KEYS, from_json, from_query, to_json, to_query, validate_session

FULL = {
    "version": 1, "dataset": "digits", "enc_a": "mlp-s0", "enc_b": "cnn-s0", "anchors": [5, 3, 200],
    "strategy": "explicit", "seed": 7, "n_anchors": 3, "method": "pca", "frame": "own", "n_neighbors": 15,
    "min_dist": 0.25,
}
CONTEXT = dict(datasets=["digits"], encoders=["mlp-s0", "cnn-s0"], ids=np.arange(1000, dtype=np.int64))


def test_every_key_is_covered_by_the_example():
    assert set(FULL) == set(SESSION_KEYS)


def test_json_round_trip_keeps_every_value():
    text = to_json(FULL, **CONTEXT)
    assert from_json(text, **CONTEXT) == FULL
    assert from_json(text.encode("utf-8"), **CONTEXT) == FULL


def test_query_round_trip_keeps_every_value():
    q = to_query(FULL, **CONTEXT)
    assert all(isinstance(v, str) for v in q.values()) and q["anchors"] == "5,3,200"
    assert from_query(q, **CONTEXT) == FULL


def test_numpy_values_become_plain_python():
    s = validate_session({"seed": np.int64(3), "anchors": list(np.array([1, 2])), "min_dist": np.float32(0.5)})
    assert s == {"seed": 3, "anchors": [1, 2], "min_dist": 0.5}
    assert type(s["seed"]) is int and all(type(a) is int for a in s["anchors"])
    json.dumps(s)


def test_unicode_and_string_ids_round_trip():
    s = {"dataset": "données-日本", "anchors": ["é1", "ü2"]}
    assert from_json(to_json(s, ids=["é1", "ü2", "x"]), ids=["é1", "ü2", "x"]) == s


def test_all_problems_are_reported_at_once():
    with pytest.raises(InvalidInputError) as exc:
        validate_session({"evil": 1, "seed": "3", "anchors": [1, 1, 5000]}, ids=range(100))
    msg = str(exc.value)
    for part in ("unknown keys ['evil']", "'seed' must be an int", "repeats ids [1]", "out of range", "[5000]"):
        assert part in msg


def test_only_type_problems_give_a_type_error():
    with pytest.raises(InvalidTypeError):
        validate_session({"seed": "3", "min_dist": "far"})
    with pytest.raises(InvalidInputError) as exc:
        validate_session({"seed": -1})
    assert not isinstance(exc.value, InvalidTypeError)


def test_oversized_and_malformed_json():
    with pytest.raises(FileTooLargeError):
        from_json(b"{" + b" " * MAX_SESSION_BYTES + b"}")
    for text in ('{"seed": NaN}', '{"seed": 1, "seed": 2}', "not json", "[" * 100_000, b"\xff\xfe"):
        with pytest.raises(LoadError):
            from_json(text)
