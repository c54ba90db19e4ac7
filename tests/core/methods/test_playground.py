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


def test_standardised_geometry_is_the_mean_row_correlation(coll, anchors):
    from core.methods.relative import relative_projection

    res = effect(coll, anchors, "translation", 1.0)
    B = coll.spaces["mlp-s1"].vectors
    moved = transform_space(B, kind="translation", strength=1.0, random_state=0)
    pos = coll.spaces["mlp-s1"].positions(anchors)
    r0, r1 = relative_projection(B, B[pos]), relative_projection(moved, moved[pos])
    want = np.mean([np.corrcoef(a, b)[0, 1] for a, b in zip(r0, r1)])
    assert res["geometry"]["relative_standardised"] == pytest.approx(want, abs=1e-5)
    # a translation changes the cosines a lot, and what the heads read (each row standardised) far less
    assert res["geometry"]["relative"] < 0.8 < res["geometry"]["relative_standardised"]


def test_effect_summary_reads_the_scores(coll, anchors):
    from core.methods.playground import MOVED_BY, effect_summary

    for kind, strength in (("rotation", 90.0), ("translation", 1.0), ("anisotropic_scale", 5.0)):
        res = effect(coll, anchors, kind, strength)
        summary = effect_summary(res)
        for mode in ("absolute", "relative"):
            part = summary[mode]
            assert part["cosine"] == res["geometry"][mode]
            assert part["unchanged"] == (res["geometry"][mode] >= 1 - 1e-4)
            rows = res["scores"]
            assert [r["readout"] for r in part["readouts"]] == list(rows.index)
            for r, (_, row) in zip(part["readouts"], rows.iterrows()):
                assert (r["before"], r["after"]) == (row[f"{mode} before"], row[f"{mode} after"])
                assert r["moved"] == (abs(row[f"{mode} after"] - row[f"{mode} before"]) > MOVED_BY)
            assert part["moved"] == any(r["moved"] for r in part["readouts"])
    rot = effect_summary(effect(coll, anchors, "rotation", 90.0))
    assert rot["relative"]["unchanged"] and not rot["relative"]["moved"] and rot["absolute"]["moved"]


def test_effect_summary_without_labels_or_equal_dims(coll, anchors):
    from core.methods.playground import effect_summary
    from core.spaces.collection import Collection
    from core.spaces.latent_space import LatentSpace

    bare = Collection("bare", {n: LatentSpace(coll.spaces[n].vectors, coll.ids, name=n) for n in ("mlp-s0", "mlp-s1")},
                      coll.split)
    s = effect_summary(transform_effect(bare, "mlp-s0", "mlp-s1", coll.spaces["mlp-s1"].vectors * 2.0, anchors))
    assert s["relative"]["readouts"] == [] and s["relative"]["moved"] is None and s["relative"]["unchanged"]
    # A (64 dims) and ae-s0 (32): A's absolute head cannot read B, so that readout is left out
    moved = transform_space(coll.spaces["ae-s0"].vectors, kind="rotation", strength=90.0, random_state=0)
    s = effect_summary(transform_effect(coll, "mlp-s0", "ae-s0", moved, anchors))
    assert [r["readout"] for r in s["absolute"]["readouts"]] == ["B's head (ae-s0) on B"]
    assert len(s["relative"]["readouts"]) == 2
