"""Several files -> one collection: rows matched by id (or by order, said), labels unified, refusals."""

import numpy as np
import pandas as pd
import pytest

from core.errors import MismatchError
from core.io.collection_files import load_collection


def test_parallel_files_matched_by_id_not_by_order(tmp_path, vecs, write_vectors):
    X, ids, labels = vecs
    perm = np.random.default_rng(1).permutation(len(ids))
    write_vectors("parquet", tmp_path / "old.parquet", X, ids, labels)
    write_vectors("csv", tmp_path / "new.csv", 2 * X[perm], ids[perm], None)
    coll = load_collection([tmp_path / "old.parquet", tmp_path / "new.csv"])
    assert coll.names == ["old", "new"] and coll.notes == ()
    np.testing.assert_allclose(coll.spaces["new"].vectors, 2 * coll.spaces["old"].vectors, atol=1e-5)
    assert coll.target_names == ("cat", "dog", "eel")
    assert set(coll.split) == {"train", "test"}


def test_partial_id_overlap_is_refused_with_counts_unless_intersect(tmp_path, vecs, write_vectors):
    X, ids, _ = vecs
    write_vectors("npz", tmp_path / "a.npz", X, ids)
    write_vectors("npz", tmp_path / "b.npz", X[:40], ids[20:60])
    with pytest.raises(MismatchError, match=r"only 40 ids are in every file"):
        load_collection([tmp_path / "a.npz", tmp_path / "b.npz"])
    coll = load_collection([tmp_path / "a.npz", tmp_path / "b.npz"], intersect=True)
    assert coll.n_samples == 40 and "kept the 40 ids" in coll.notes[0]
    np.testing.assert_allclose(coll.spaces["a"].vectors, X[20:60])


def test_disjoint_ids_are_refused(tmp_path, vecs, write_vectors):
    X, ids, _ = vecs
    write_vectors("npz", tmp_path / "a.npz", X, ids)
    write_vectors("npz", tmp_path / "b.npz", X, ids + 1000)
    with pytest.raises(MismatchError, match="share no ids"):
        load_collection([tmp_path / "a.npz", tmp_path / "b.npz"], intersect=True)


def test_no_ids_matched_by_order_only_when_counts_agree_and_said(tmp_path, vecs):
    X, _, _ = vecs
    np.save(tmp_path / "a.npy", X)
    np.save(tmp_path / "b.npy", X[:, ::-1])
    coll = load_collection([tmp_path / "a.npy", tmp_path / "b.npy"])
    assert any("BY ORDER" in n for n in coll.notes)
    assert any("no labels" in n for n in coll.notes) and coll.labels is None
    np.save(tmp_path / "c.npy", X[:10])
    with pytest.raises(MismatchError, match=r"60 rows, but c.npy \(10 rows\)"):
        load_collection([tmp_path / "a.npy", tmp_path / "c.npy"])


def test_labels_that_disagree_are_refused(tmp_path, vecs, write_vectors):
    X, ids, labels = vecs
    write_vectors("npz", tmp_path / "a.npz", X, ids, labels)
    write_vectors("npz", tmp_path / "b.npz", X, ids, labels[::-1])
    with pytest.raises(MismatchError, match="labels disagree"):
        load_collection([tmp_path / "a.npz", tmp_path / "b.npz"])


def test_old_new_pair_from_two_zoo_encoders_stitches(tmp_path, zoo):
    """The backfilling story: an old and a new embedding model, exported to parquet."""
    from core.methods.anchors import select_anchors
    from core.methods.stitching import stitching_matrix

    d = zoo.data
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(d.ids))
    pd.DataFrame({"id": d.ids, "label": d.y, "embedding": list(zoo.vectors("mlp-s0"))}).to_parquet(tmp_path / "old.parquet")
    pd.DataFrame({"id": d.ids[perm], "embedding": list(zoo.vectors("mlp-s1")[perm])}).to_parquet(tmp_path / "new.parquet")
    coll = load_collection([tmp_path / "old.parquet", tmp_path / "new.parquet"])
    train, test = coll.part("train"), coll.part("test")
    anchors = select_anchors(train["old"], 100, random_state=0)
    res = stitching_matrix(train, test, anchors, modes=("absolute", "relative"))
    assert res.stitched_mean("relative") > 0.85
    assert res.stitched_mean("absolute") < 0.4
