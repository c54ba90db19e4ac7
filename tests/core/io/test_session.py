"""core.io.session: sessions round-trip through JSON; tampering is refused, every problem listed."""

import json

import numpy as np
import pytest

from core.errors import FileTooLargeError, InvalidInputError, InvalidTypeError, LoadError, StitchboardError
from core.io.session import (
    FIELDS,
    from_json,
    to_json,
    validate_session,
)
from core.io.session_query import QUERY_FIELDS, from_query, to_query
from core.limits import MAX_SESSION_BYTES
from tests.core.io.conftest import context, good


def check(data, coll, **kw):
    return validate_session(data, **context(coll, **kw))


def test_every_field_is_in_the_example(coll):
    assert set(good(coll)) == set(FIELDS) and set(QUERY_FIELDS) <= set(FIELDS)


def test_a_good_session_passes_unchanged(coll):
    data = good(coll)
    out = check(data, coll, color_choices=lambda c: ["label", "split"])
    assert out == {**data, "perplexity": 30.0}
    assert type(out["perplexity"]) is float


def test_json_round_trip_keeps_every_value(coll):
    data = check(good(coll), coll)
    text = to_json(data, **context(coll))
    assert from_json(text, **context(coll)) == data
    assert from_json(text.encode("utf-8"), **context(coll)) == data
    assert json.loads(to_json(data, indent=2)) == data


@pytest.mark.parametrize("change, message", [
    ({"colour": "red"}, "unknown keys ['colour']"),
    ({"seed": "3"}, "'seed' must be an int; got str '3'"),
    ({"n_anchors": True}, "'n_anchors' must be an int; got bool"),
    ({"anchors": "1,2"}, "'anchors' must be a list of sample ids; got str"),
    ({"anchors": [1, 1]}, "'anchors' repeats ids [1]"),
    ({"anchors": [99999]}, "'anchors' has 1 id(s) that are not train samples of 'digits': [99999]"),
    ({"anchors": ["a"]}, "'anchors' must hold int ids (the ids of this dataset are ints)"),
    ({"anchors": [1, "a"]}, "'anchors' mixes int and str ids"),
    ({"anchors": [2**70]}, "out of the int64 range"),
    ({"highlight": [99999]}, "'highlight' has 1 id(s) that are not samples of 'digits': [99999]"),
    ({"enc_a": "resnet"}, "enc_a='resnet' is not an encoder of 'digits'"),
    ({"enc_a": "x" * 1001}, "'enc_a' is 1,001 characters long; at most 1,000"),
    ({"method": "isomap"}, "method='isomap' must be one of ['umap', 'pca', 'tsne']"),
    ({"n_anchors": 5000}, "n_anchors=5000 must be in [1, 1437] (the train samples)"),
    ({"min_dist": 2.0}, "min_dist=2.0 must be in [0.0, 0.99]"),
    ({"min_dist": float("nan")}, "min_dist=nan must be in"),
    ({"n_neighbors": 1}, "n_neighbors=1 must be in [2, 200]"),
    ({"version": 2}, "version=2 is not supported"),
    ({"dataset": "imagenet"}, "dataset='imagenet' is not available"),
    ({"dataset": "upload:abc"}, "an upload: load its files again"),
    ({"color_by": "mood"}, "color_by='mood' must be one of ['label', 'split']"),
])
def test_every_bad_field_is_refused_with_its_reason(coll, change, message):
    with pytest.raises(StitchboardError) as err:
        check({**good(coll), **change}, coll, color_choices=lambda c: ["label", "split"])
    assert message in str(err.value)
    type_problem = "must be an int" in message or "must be a list" in message or "must hold" in message or "mixes" in message
    assert type(err.value) is (InvalidTypeError if type_problem else InvalidInputError)


def test_all_problems_are_reported_at_once(coll):
    test_id = int(coll.ids[coll.split == "test"][0])
    with pytest.raises(InvalidInputError) as err:
        check({**good(coll), "anchors": [test_id, test_id], "seed": -1, "pick_mode": "draw", "evil": 1, "enc_b": 3}, coll)
    msg = str(err.value)
    for part in (f"[{test_id}]", "repeats ids", "seed=-1", "pick_mode='draw'", "unknown keys ['evil']",
                 "'enc_b' must be a str"):
        assert part in msg, part


def test_only_type_problems_give_a_type_error():
    with pytest.raises(InvalidTypeError):
        validate_session({"seed": "3", "min_dist": "far"})
    with pytest.raises(InvalidTypeError, match="must be a JSON object"):
        validate_session([1, 2])
    with pytest.raises(InvalidInputError) as exc:
        validate_session({"seed": -1})
    assert not isinstance(exc.value, InvalidTypeError)


def test_a_saved_file_needs_version_and_dataset(coll):
    with pytest.raises(InvalidInputError, match="missing 'version' .*missing 'dataset'"):
        from_json("{}")
    assert from_json('{"seed": 1}', required=()) == {"seed": 1}
    assert check({"dataset": "digits"}, coll) == {"dataset": "digits"}


def test_without_a_collection_ids_and_encoders_are_checked_against_the_given_ones():
    ctx = dict(datasets=["digits"], encoders=["mlp-s0", "cnn-s0"], ids=np.arange(1000, dtype=np.int64))
    s = {"dataset": "digits", "enc_a": "mlp-s0", "anchors": [5, 3, 200], "n_anchors": 3}
    assert validate_session(s, **ctx) == s
    with pytest.raises(InvalidInputError, match=r"'anchors' has 1 id\(s\) that are not among the 1,000 candidate ids: \[5000\]"):
        validate_session({**s, "anchors": [5000]}, **ctx)
    with pytest.raises(InvalidInputError, match=r"enc_b='x' is not an encoder; choose from"):
        validate_session({**s, "enc_b": "x"}, **ctx)


def test_numpy_values_become_plain_python():
    s = validate_session({"seed": np.int64(3), "anchors": list(np.array([1, 2])), "min_dist": np.float32(0.5)})
    assert s == {"seed": 3, "anchors": [1, 2], "min_dist": 0.5}
    assert type(s["seed"]) is int and all(type(a) is int for a in s["anchors"])
    json.dumps(s)


def test_unicode_and_string_ids_round_trip():
    s = {"version": 1, "dataset": "données-日本", "anchors": ["é1", "ü2", "a,b", "12"]}
    ids = ["é1", "ü2", "a,b", "12", "x"]
    assert from_json(to_json(s, ids=ids), ids=ids) == s
    assert from_query(to_query(s, ids=ids), ids=ids) == {k: v for k, v in s.items() if k != "version"}


def test_oversized_and_malformed_json():
    with pytest.raises(FileTooLargeError):
        from_json(b"{" + b" " * MAX_SESSION_BYTES.value + b"}")
    for text in ('{"seed": NaN}', '{"seed": 1, "seed": 2}', "not json", "[" * 100_000, b"\xff\xfe"):
        with pytest.raises(LoadError):
            from_json(text)


@pytest.mark.parametrize("mode", ["inspect", "anchors", "highlight"])
def test_every_click_mode_of_the_maps_is_a_valid_pick_mode(coll, mode):
    assert check({**good(coll), "pick_mode": mode}, coll)["pick_mode"] == mode
