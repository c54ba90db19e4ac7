import numpy as np
import pytest

from core import LatentSpace


def test_take_by_ids_in_given_order():
    s = LatentSpace(np.arange(12, dtype=float).reshape(4, 3), ids=np.array([7, 3, 9, 1]))
    np.testing.assert_array_equal(s.take([9, 7]), [[6, 7, 8], [0, 1, 2]])
    np.testing.assert_array_equal(s.positions([1, 3]), [3, 1])


def test_unknown_ids_are_named():
    s = LatentSpace(np.ones((3, 2)), ids=np.array([1, 2, 3]))
    with pytest.raises(KeyError, match=r"1 id\(s\) are not in space 'space': \[42\]"):
        s.take([1, 42])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(vectors=np.ones(3), ids=np.arange(3)), "must be 2-D"),
        (dict(vectors=np.ones((3, 2)), ids=np.arange(4)), r"ids of space 'space' must have shape \(3,\)"),
        (dict(vectors=np.ones((3, 2)), ids=np.array([1, 1, 2])), r"must be unique; duplicated: \[1\]"),
        (dict(vectors=np.ones((3, 2)), ids=np.arange(3), labels=np.arange(2)), "labels of space"),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LatentSpace(**kwargs)


def test_read_only_and_parallel():
    a = LatentSpace(np.ones((3, 2)), ids=np.array([1, 2, 3]))
    b = LatentSpace(np.zeros((3, 5)), ids=np.array([3, 1, 2]))
    c = LatentSpace(np.zeros((3, 5)), ids=np.array([3, 1, 4]))
    assert a.is_parallel(b) and not a.is_parallel(c)
    with pytest.raises(ValueError):
        a.vectors[0, 0] = 5


def test_zoo_space_built_by_running_an_encoder(zoo):
    s = zoo.space("cnn-s0", "test")
    assert s.vectors.shape == (360, 64) and s.vectors.dtype == np.float32
    assert s.labels is not None and len(np.unique(s.labels)) == 10
    assert s.meta["split"] == "test" and s.name == "cnn-s0"
