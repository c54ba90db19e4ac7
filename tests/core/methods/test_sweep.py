import numpy as np
import pytest

from core.methods.sweep import anchor_sweep


def test_sweep_is_tidy_and_grows_with_anchors(train_spaces, test_spaces):
    df = anchor_sweep(train_spaces, test_spaces, [3, 50], pairs=[("mlp-s0", "cnn-s0")], seeds=(0, 1))
    assert list(df.columns) == ["strategy", "seed", "n_anchors", "mode", "head_encoder", "space_encoder", "stitched", "accuracy"]
    assert len(df) == 4 and set(df.n_anchors) == {3, 50} and df.stitched.all()
    mean = df.groupby("n_anchors").accuracy.mean()
    assert mean[50] > mean[3] and mean[50] > 0.9


def test_sweep_all_pairs(train_spaces, test_spaces):
    names = ["mlp-s0", "mlp-s1", "cnn-s0"]
    tr = {n: train_spaces[n] for n in names}
    te = {n: test_spaces[n] for n in names}
    df = anchor_sweep(tr, te, [20], modes=("relative", "translated"), strategies=("random", "fps"))
    assert len(df) == 2 * 2 * 9
    assert (~df.stitched).sum() == 2 * 2 * 3
    assert np.all((df.accuracy >= 0) & (df.accuracy <= 1))


def test_sweep_errors(train_spaces, test_spaces):
    with pytest.raises(ValueError, match="unknown encoders"):
        anchor_sweep(train_spaces, test_spaces, [10], pairs=[("mlp-s0", "nope")])
    with pytest.raises(ValueError, match="n_anchors is empty"):
        anchor_sweep(train_spaces, test_spaces, [])


def test_sweep_stops_between_anchor_sets(train_spaces, test_spaces):
    from core.errors import CancelledError

    seen = []
    with pytest.raises(CancelledError, match="should_stop"):
        anchor_sweep(train_spaces, test_spaces, [3, 10, 20, 50], pairs=[("mlp-s0", "cnn-s0")],
                     progress=lambda d, t, w: seen.append(d), should_stop=lambda: len(seen) >= 2)
    assert seen == [0, 1]  # two anchor sets started, the third never did
