import numpy as np
import pytest

from core import LatentSpace, select_anchors, stitching_matrix


@pytest.fixture(scope="module")
def result(train_spaces, test_spaces):
    anchors = select_anchors(next(iter(train_spaces.values())), 100, random_state=0)
    return stitching_matrix(train_spaces, test_spaces, anchors)


def test_the_stitching_effect_on_the_bundled_zoo(result):
    non_stitched = result.non_stitched_mean("relative")
    abs_stitched = result.stitched_mean("absolute")
    rel_stitched = result.stitched_mean("relative")
    print(f"non-stitched {non_stitched:.3f} (abs {result.non_stitched_mean('absolute'):.3f}), "
          f"absolute stitched {abs_stitched:.3f}, relative stitched {rel_stitched:.3f}")
    assert non_stitched >= 0.9
    assert result.non_stitched_mean("absolute") >= 0.9
    assert abs_stitched <= 0.35
    assert rel_stitched >= 0.85


def test_absolute_is_nan_where_dims_differ(result, train_spaces):
    names = result.encoders
    dims = [train_spaces[n].n_dims for n in names]
    A = result.scores["absolute"]
    for i in range(len(names)):
        for j in range(len(names)):
            assert np.isnan(A[i, j]) == (dims[i] != dims[j])
    assert not np.isnan(result.scores["relative"]).any()
    d = result.to_dict()
    wide = names.index("mlp-wide-s0")
    assert d["absolute"][0][wide] is None and d["relative"][0][wide] is not None


def test_anchor_ids_are_validated(train_spaces, test_spaces):
    with pytest.raises(KeyError, match="not in space"):
        stitching_matrix(train_spaces, test_spaces, [0, 10**9])
    with pytest.raises(ValueError, match="duplicates"):
        stitching_matrix(train_spaces, test_spaces, [1, 1, 2])


def test_head_is_trained_on_i_and_evaluated_on_j():
    """A toy where encoder 'flip' negates coordinates: absolute stitching fails, relative works."""
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 8)) * 4
    y = rng.integers(0, 3, 300)
    X = centers[y] + rng.normal(size=(300, 8))
    ids = np.arange(300)
    tr, te = ids < 200, ids >= 200
    Q = np.linalg.qr(rng.normal(size=(8, 8)))[0]
    mk = lambda M, m, n: LatentSpace(M[m], ids[m], labels=y[m], name=n)  # noqa: E731
    train = {"a": mk(X, tr, "a"), "rot": mk(X @ Q, tr, "rot")}
    test = {"a": mk(X, te, "a"), "rot": mk(X @ Q, te, "rot")}
    res = stitching_matrix(train, test, ids[:30])
    assert res.scores["relative"].min() > 0.95
    assert res.scores["absolute"][0, 0] > 0.95 and res.scores["absolute"][0, 1] < 0.8


def test_prefitted_absolute_heads_give_the_same_scores(train_spaces, test_spaces, result):
    from core.methods.stitching import fit_absolute_heads

    heads = fit_absolute_heads(train_spaces)
    again = stitching_matrix(train_spaces, test_spaces, result.anchor_ids, modes=("absolute", "translated"), absolute_heads=heads)
    np.testing.assert_array_equal(again.scores["absolute"], result.scores["absolute"])
    with pytest.raises(ValueError, match="absolute_heads lacks encoders"):
        stitching_matrix(train_spaces, test_spaces, result.anchor_ids, modes=("absolute",), absolute_heads={})


def test_logreg_head_also_stitches(train_spaces, test_spaces, result):
    res = stitching_matrix(train_spaces, test_spaces, result.anchor_ids, modes=("relative",), head="logreg")
    assert res.stitched_mean("relative") >= 0.85 and res.non_stitched_mean("relative") >= 0.9
    with pytest.raises(ValueError, match="head='svm' is not supported"):
        stitching_matrix(train_spaces, test_spaces, result.anchor_ids, modes=("relative",), head="svm")


def test_given_relative_vectors_give_the_same_scores(zoo, train_spaces, test_spaces):
    """Relative vectors of every sample (as a map was laid out from) are looked up, not projected again."""
    from core import relative_projection
    from core.errors import MismatchError

    names = ["mlp-s0", "mlp-s1"]
    train, test = {n: train_spaces[n] for n in names}, {n: test_spaces[n] for n in names}
    every = zoo.spaces("all")
    anchors = select_anchors(train["mlp-s0"], 50, random_state=1)
    rel = {n: LatentSpace(relative_projection(every[n].vectors, every[n].take(anchors)), every[n].ids, name=n)
           for n in names}
    want = stitching_matrix(train, test, anchors, modes=("relative",)).scores["relative"]
    got = stitching_matrix(train, test, anchors, modes=("relative",), relative_spaces=rel).scores["relative"]
    np.testing.assert_allclose(got, want, atol=1e-3)  # the same vectors, up to the GEMM's float rounding
    both = stitching_matrix(train, test, anchors, modes=("absolute", "relative"), relative_spaces=rel).scores
    np.testing.assert_allclose(both["relative"], got)
    np.testing.assert_allclose(both["absolute"], stitching_matrix(train, test, anchors, modes=("absolute",))
                               .scores["absolute"])
    # they are used: another anchor set's vectors give other scores
    other = select_anchors(train["mlp-s0"], 50, random_state=2)
    rel2 = {n: LatentSpace(relative_projection(every[n].vectors, every[n].take(other)), every[n].ids, name=n)
            for n in names}
    assert not np.allclose(stitching_matrix(train, test, anchors, modes=("relative",), relative_spaces=rel2)
                           .scores["relative"], want)
    with pytest.raises(MismatchError, match="columns"):
        stitching_matrix(train, test, anchors[:10], modes=("relative",), relative_spaces=rel)
    with pytest.raises(ValueError, match="lacks encoders"):
        stitching_matrix(train, test, anchors, modes=("relative",), relative_spaces={"mlp-s0": rel["mlp-s0"]})
    few = {n: LatentSpace(r.vectors[:100], r.ids[:100], name=n) for n, r in rel.items()}
    with pytest.raises(KeyError, match="not in space"):
        stitching_matrix(train, test, anchors, modes=("relative",), relative_spaces=few)
