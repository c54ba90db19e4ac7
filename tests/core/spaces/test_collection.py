import numpy as np
import pytest

from core.spaces.collection import Collection, default_split
from core.errors import InvalidInputError, MismatchError
from core.spaces.latent_space import LatentSpace


def _spaces(n=20):
    rng = np.random.default_rng(0)
    ids = np.arange(n) * 3
    y = np.arange(n) % 2
    return {"a": LatentSpace(rng.normal(size=(n, 4)), ids, labels=y, name="a"),
            "b": LatentSpace(rng.normal(size=(n, 6)), ids, labels=y, name="b")}


def test_part_and_summary():
    sp = _spaces()
    split = default_split(sp["a"].ids, sp["a"].labels, test_size=0.25, random_state=0)
    coll = Collection("toy", sp, split, target_names=("even", "odd"))
    tr, te = coll.part("train"), coll.part("test")
    assert len(tr["a"]) == 15 and len(te["b"]) == 5
    assert np.array_equal(tr["a"].ids, tr["b"].ids)
    s = coll.summary()
    assert s["spaces"] == {"a": 4, "b": 6} and s["labels"]["n_classes"] == 2
    assert list(coll.samples["label"][:2]) == ["even", "odd"]
    # stratified: both classes in the test part
    assert set(te["a"].labels) == {0, 1}


def test_spaces_in_different_id_order_are_refused():
    sp = _spaces()
    b = sp["b"]
    sp["b"] = LatentSpace(b.vectors[::-1], b.ids[::-1], name="b")
    with pytest.raises(MismatchError, match="same id order"):
        Collection("toy", sp, default_split(sp["a"].ids))


def test_default_split_falls_back_when_classes_are_tiny():
    split = default_split(np.arange(10), np.array([0] * 9 + [1]))
    assert (split == "test").sum() == 2
    with pytest.raises(InvalidInputError):
        default_split(np.arange(1))
