import numpy as np
import pytest

from core.methods.anchors import select_anchors
from core.methods.playground import transform_effect
from core.methods.transforms import transform_space


@pytest.fixture(scope="module")
def coll(zoo):
    return zoo.collection()


@pytest.fixture(scope="module")
def anchors(coll):
    return select_anchors(coll.part("train")["mlp-s0"], 80, random_state=0)


def effect(coll, anchors, kind, strength, **kw):
    moved = transform_space(coll.spaces["mlp-s1"].vectors, kind=kind, strength=strength, random_state=0)
    return transform_effect(coll, "mlp-s0", "mlp-s1", moved, anchors, **kw)


def test_rotation_breaks_the_absolute_head_but_not_the_relative_one(coll, anchors):
    res = effect(coll, anchors, "rotation", 90.0)
    s = res["scores"]
    own = s.iloc[0]
    assert own["absolute before"] > 0.9 and own["absolute after"] < 0.3
    assert own["relative after"] == own["relative before"] > 0.9
    assert s.iloc[1]["relative after"] == s.iloc[1]["relative before"]
    assert res["geometry"]["relative"] == pytest.approx(1.0, abs=1e-6) and abs(res["geometry"]["absolute"]) < 0.2
    np.testing.assert_allclose(res["maps"]["relative_before"], res["maps"]["relative_after"], atol=1e-3)
    assert not np.allclose(res["maps"]["absolute_before"], res["maps"]["absolute_after"], atol=1e-2)


def test_translation_moves_relative_vectors_unless_centred(coll, anchors):
    plain = effect(coll, anchors, "translation", 2.0)
    centred = effect(coll, anchors, "translation", 2.0, center="anchors")
    assert plain["geometry"]["relative"] < 0.9
    assert centred["geometry"]["relative"] == pytest.approx(1.0, abs=1e-6)


def test_without_labels_only_geometry_and_maps(coll, anchors):
    from core.spaces.collection import Collection
    from core.spaces.latent_space import LatentSpace

    bare = Collection("bare", {n: LatentSpace(coll.spaces[n].vectors, coll.ids, name=n) for n in ("mlp-s0", "mlp-s1")},
                      coll.split)
    res = transform_effect(bare, "mlp-s0", "mlp-s1", coll.spaces["mlp-s1"].vectors * 2.0, anchors)
    assert res["scores"] is None and res["geometry"]["relative"] == pytest.approx(1.0)
