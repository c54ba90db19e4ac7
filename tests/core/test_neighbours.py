import numpy as np
import pytest

from core.errors import InvalidInputError
from core.neighbours import nearest_neighbours, neighbour_overlap


def test_nearest_by_cosine_excluding_self():
    X = np.array([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 1.0]])
    pos, sims = nearest_neighbours(X, 0, k=3)
    assert pos.tolist() == [1, 4, 2]
    assert sims[0] == pytest.approx(10 / np.sqrt(101)) and np.all(np.diff(sims) <= 0)
    pos, _ = nearest_neighbours(X, 0, k=1, exclude_self=False)
    assert pos.tolist() == [0]


def test_matches_brute_force_on_random_data():
    X = np.random.default_rng(0).normal(size=(300, 8))
    pos, _ = nearest_neighbours(X, 17, k=10)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    s = Xn @ Xn[17]
    s[17] = -np.inf
    assert pos.tolist() == np.argsort(-s)[:10].tolist()


def test_overlap_and_errors():
    assert neighbour_overlap([1, 2, 3, 4], [4, 3, 9, 8]) == 0.5
    assert neighbour_overlap([], []) == 0.0
    with pytest.raises(InvalidInputError, match="same length"):
        neighbour_overlap([1], [1, 2])
    with pytest.raises(InvalidInputError, match=r"k=5 must be in \[1, 3\]"):
        nearest_neighbours(np.ones((4, 2)), 0, k=5)
    with pytest.raises(InvalidInputError, match="query=9"):
        nearest_neighbours(np.ones((4, 2)), 9, k=1)
