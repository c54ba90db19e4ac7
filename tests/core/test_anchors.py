import numpy as np
import pytest

from core import LatentSpace, select_anchors


@pytest.mark.parametrize("strategy", ["random", "stratified"])
def test_deterministic_for_a_seed_and_seed_sensitive(train_spaces, strategy):
    space = train_spaces["mlp-s0"]
    a = select_anchors(space, 100, strategy=strategy, random_state=3)
    b = select_anchors(space, 100, strategy=strategy, random_state=3)
    c = select_anchors(space, 100, strategy=strategy, random_state=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert len(np.unique(a)) == 100
    assert np.isin(a, space.ids).all()


def test_anchors_are_ids_not_positions():
    space = LatentSpace(np.eye(4) + 1, ids=np.array([100, 200, 300, 400]), labels=np.array([0, 0, 1, 1]))
    ids = select_anchors(space, 4, random_state=0)
    assert sorted(ids.tolist()) == [100, 200, 300, 400]


def test_same_ids_in_every_encoder(train_spaces):
    picks = {n: tuple(select_anchors(s, 50, random_state=0)) for n, s in train_spaces.items()}
    assert len(set(picks.values())) == 1


@pytest.mark.parametrize("n", [10, 25, 100])
def test_stratified_covers_every_class_and_is_balanced(train_spaces, n):
    space = train_spaces["mlp-s0"]
    ids = select_anchors(space, n, strategy="stratified", random_state=0)
    labels = space.labels[space.positions(ids)]
    counts = np.bincount(labels, minlength=10)
    assert (counts > 0).all()
    assert counts.max() - counts.min() <= 1


def test_errors_name_the_bad_value(train_spaces):
    space = train_spaces["mlp-s0"]
    with pytest.raises(ValueError, match=r"^n_anchors=5000 must be <= n_samples=1437$"):
        select_anchors(space, 5000)
    with pytest.raises(ValueError, match=r"n_anchors=0 must be >= 1"):
        select_anchors(space, 0)
    with pytest.raises(ValueError, match=r"strategy='best' is not supported"):
        select_anchors(space, 5, strategy="best")
    with pytest.raises(TypeError, match=r"n_anchors=2.5 must be an int"):
        select_anchors(space, 2.5)


def test_stratified_needs_labels():
    space = LatentSpace(np.ones((4, 2)), ids=np.arange(4))
    with pytest.raises(ValueError, match="needs labels"):
        select_anchors(space, 2, strategy="stratified")
