import numpy as np
import pytest

from core import select_anchors, stitching_matrix
from core.methods.pair_stitching import stitch_pair


@pytest.fixture(scope="module")
def result(train_spaces, test_spaces):
    anchors = select_anchors(next(iter(train_spaces.values())), 100, random_state=0)
    return stitching_matrix(train_spaces, test_spaces, anchors)


@pytest.mark.parametrize("mode", ["relative", "absolute", "translated"])
def test_stitch_pair_agrees_with_the_matrix(result, train_spaces, test_spaces, mode):
    full = result if mode != "translated" else stitching_matrix(
        train_spaces, test_spaces, result.anchor_ids, modes=("translated",)
    )
    i, j = result.encoders.index("mlp-s0"), result.encoders.index("mlp-s1")
    p = stitch_pair(train_spaces, test_spaces, result.anchor_ids, head_encoder="mlp-s0", space_encoder="mlp-s1", mode=mode)
    assert p.accuracy == pytest.approx(full.scores[mode][i, j])
    assert p.confusion().sum() == len(p.ids) and np.trace(p.confusion()) == p.correct.sum()


def test_worst_stitched_are_wrong_and_most_confident_first(train_spaces, test_spaces, result):
    p = stitch_pair(train_spaces, test_spaces, result.anchor_ids, head_encoder="mlp-s0", space_encoder="cnn-s0",
                    mode="absolute")  # absolute stitching: mostly wrong
    worst = p.worst(10)
    assert len(worst) == 10 and not p.correct[worst].any()
    col = {c: k for k, c in enumerate(p.classes.tolist())}
    margin = [p.scores[r, col[p.y_pred[r]]] - p.scores[r, col[p.y_true[r]]] for r in worst]
    assert all(m > 0 for m in margin) and margin == sorted(margin, reverse=True)


def test_stitch_pair_errors(train_spaces, test_spaces):
    with pytest.raises(ValueError, match="equal latent dims"):
        stitch_pair(train_spaces, test_spaces, [], head_encoder="mlp-s0", space_encoder="mlp-wide-s0", mode="absolute")
    with pytest.raises(ValueError, match="not among the spaces"):
        stitch_pair(train_spaces, test_spaces, [1, 2], head_encoder="mlp-s0", space_encoder="nope")
