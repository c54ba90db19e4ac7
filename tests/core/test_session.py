import pytest

from core.errors import InvalidInputError
from core.session import decode_ids, encode_ids, session_from_query, session_to_query, validate_session


@pytest.fixture(scope="module")
def coll(zoo):
    return zoo.collection()


def check(data, coll, **kw):
    return validate_session(data, sources=("digits", "wine"), collection_of=lambda s: coll, **kw)


def good(coll):
    train = [int(i) for i in coll.ids[coll.split == "train"][:5]]
    return {"version": 1, "dataset": "digits", "enc_a": "mlp-s0", "enc_b": "cnn-s1", "anchors": train,
            "highlight": [int(coll.ids[coll.split == "test"][0])], "strategy": "fps", "n_anchors": 50, "seed": 3,
            "method": "tsne", "frame": "own", "n_neighbors": 15, "min_dist": 0.1, "perplexity": 30, "color_by": "label",
            "pick_mode": "highlight"}


def test_a_good_session_passes_unchanged(coll):
    data = good(coll)
    out = check(data, coll)
    assert out == {**data, "perplexity": 30.0}


@pytest.mark.parametrize("change, message", [
    ({"colour": "red"}, "unknown keys ['colour']"),
    ({"seed": "3"}, "seed: must be int"),
    ({"n_anchors": True}, "n_anchors: must be int"),
    ({"anchors": "1,2"}, "anchors: must be list"),
    ({"anchors": [1, 1]}, "duplicated ids [1]"),
    ({"anchors": [99999]}, "not train samples of this dataset: [99999]"),
    ({"anchors": ["a"]}, "ids must be integers"),
    ({"enc_a": "resnet"}, "encoder 'resnet' is not in 'digits'"),
    ({"method": "isomap"}, "method='isomap' must be one of"),
    ({"n_anchors": 5000}, "n_anchors=5000 must be in [1, 1437]"),
    ({"min_dist": 2.0}, "min_dist=2.0 must be in [0.0, 0.99]"),
    ({"version": 2}, "version 2 is not supported"),
    ({"dataset": "imagenet"}, "dataset 'imagenet' is not available"),
])
def test_every_bad_field_is_refused_with_its_reason(coll, change, message):
    with pytest.raises(InvalidInputError) as err:
        check({**good(coll), **change}, coll)
    assert message in str(err.value)


def test_a_test_sample_is_no_anchor_and_all_problems_are_listed(coll):
    test_id = int(coll.ids[coll.split == "test"][0])
    with pytest.raises(InvalidInputError) as err:
        check({**good(coll), "anchors": [test_id], "seed": -1, "pick_mode": "draw"}, coll)
    msg = str(err.value)
    assert f"[{test_id}]" in msg and "seed=-1" in msg and "pick_mode='draw'" in msg
    with pytest.raises(InvalidInputError, match="must be a JSON object"):
        check([1, 2], coll)
    with pytest.raises(InvalidInputError, match='missing "version"'):
        check({"dataset": "digits"}, coll)
    assert check({"dataset": "digits"}, coll, require_version=False) == {"dataset": "digits"}


def test_ids_and_query_round_trip(coll):
    ids = [5, 6, 7, 1, 9, 10, 200]
    assert encode_ids(ids) == "5-7,1,9-10,200"
    assert decode_ids(encode_ids(ids)) == ids
    assert decode_ids(encode_ids(["a,b", "c"]), str) == ["a,b", "c"]
    q = session_to_query(good(coll))
    assert set(q) == {"dataset", "enc_a", "enc_b", "anchors", "strategy", "n_anchors", "seed", "method"}
    back = check(session_from_query(q), coll, require_version=False)
    assert back["anchors"] == good(coll)["anchors"] and back["seed"] == 3 and back["n_anchors"] == 50
    with pytest.raises(InvalidInputError, match="seed='x'"):
        session_from_query({"seed": "x"})
