import numpy as np
import pytest

from core.methods.anchor_history import AnchorHistory, parse_ids
from core.errors import AnchorError


def test_toggle_single_and_group():
    h = AnchorHistory([1, 2])
    assert h.toggle([5]).ids == (1, 2, 5)
    assert h.toggle([2]).ids == (1,)
    assert h.toggle([2, 7]).ids == (1, 2, 7)  # a group with a newcomer adds the missing
    assert h.toggle([1, 2]).ids == ()  # all already anchors: removed


def test_undo_walks_back_and_edits_never_mutate():
    h0 = AnchorHistory([1, 2, 3])
    h1 = h0.toggle([4])
    h2 = h1.clear()
    assert h0.ids == (1, 2, 3) and h1.ids == (1, 2, 3, 4) and h2.ids == ()
    assert h2.undo().ids == (1, 2, 3, 4) and h2.undo().undo().ids == (1, 2, 3)
    assert not h0.can_undo and h0.undo() is h0
    assert h1.toggle([]) is h1  # a no-op is no undo step
    assert h1.add([4]).n_undo == h1.n_undo


def test_undo_depth_is_bounded():
    h = AnchorHistory([], max_undo=3)
    for i in range(10):
        h = h.toggle([i])
    assert h.n_undo == 3
    assert h.undo().undo().undo().ids == tuple(range(7))


def test_fill_and_replace_and_numpy_ids():
    h = AnchorHistory(np.array([3, 4], dtype=np.int64))
    assert all(type(i) is int for i in h.ids)
    assert h.fill([4, 5, 6, 7], n_anchors=4).ids == (3, 4, 5, 6)
    assert h.fill([9], n_anchors=1).ids == (3, 4)
    assert h.replace([8, 8, 9]).ids == (8, 9)


def test_parse_ids():
    assert parse_ids("3, 17;20 - 22  5") == [3, 17, 20, 21, 22, 5]
    assert parse_ids("  ") == []
    assert parse_ids("a b a", str) == ["a", "b"]
    with pytest.raises(AnchorError, match="'x' is not an integer id"):
        parse_ids("1, x")
    with pytest.raises(AnchorError, match="must go upwards"):
        parse_ids("9-3")
