"""Bring-your-own files: round trips for every format, id matching, refusals."""

import json
import os
import pickle

import numpy as np
import pandas as pd
import pytest

from core.errors import FileTooLargeError, InvalidInputError, LoadError, MismatchError, UnsafeFileError
from core.io.collection_files import encode_table, load_collection, load_model, read_embeddings


@pytest.fixture()
def vecs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8)).astype(np.float32)
    ids = np.arange(100, 160)
    labels = np.repeat(["cat", "dog", "eel"], 20)
    return X, ids, labels


def _write(fmt, path, X, ids=None, labels=None):
    if fmt == "npy":
        np.save(path, X)
    elif fmt == "npz":
        arrays = {"vectors": X}
        if ids is not None:
            arrays["ids"] = ids
        if labels is not None:
            arrays["labels"] = labels
        np.savez(path, **arrays)
    else:
        df = pd.DataFrame(X, columns=[f"d{i}" for i in range(X.shape[1])])
        if ids is not None:
            df.insert(0, "id", ids)
        if labels is not None:
            df["label"] = labels
        df.to_csv(path, index=False) if fmt == "csv" else df.to_parquet(path)


@pytest.mark.parametrize("fmt", ["npy", "npz", "csv", "parquet"])
def test_round_trip_every_format(tmp_path, vecs, fmt):
    X, ids, labels = vecs
    path = tmp_path / f"space.{fmt}"
    with_meta = fmt != "npy"
    _write(fmt, path, X, ids if with_meta else None, labels if with_meta else None)
    sp = read_embeddings(path)
    np.testing.assert_allclose(sp.vectors, X, rtol=0, atol=1e-6)
    assert sp.name == "space"
    if with_meta:
        assert sp.ids.tolist() == ids.tolist() and sp.meta["has_ids"]
        assert sp.labels.tolist() == labels.tolist()
    else:
        assert sp.ids.tolist() == list(range(60)) and not sp.meta["has_ids"]
    # the same bytes as an upload (name, bytes) give the same space
    up = read_embeddings((path.name, path.read_bytes()))
    np.testing.assert_array_equal(up.vectors, sp.vectors)


def test_parquet_list_column(tmp_path, vecs):
    X, ids, labels = vecs
    pd.DataFrame({"id": ids, "label": labels, "embedding": list(X)}).to_parquet(tmp_path / "e.parquet")
    sp = read_embeddings(tmp_path / "e.parquet")
    np.testing.assert_allclose(sp.vectors, X, atol=1e-6)


def test_parallel_files_matched_by_id_not_by_order(tmp_path, vecs):
    X, ids, labels = vecs
    perm = np.random.default_rng(1).permutation(len(ids))
    _write("parquet", tmp_path / "old.parquet", X, ids, labels)
    _write("csv", tmp_path / "new.csv", 2 * X[perm], ids[perm], None)
    coll = load_collection([tmp_path / "old.parquet", tmp_path / "new.csv"])
    assert coll.names == ["old", "new"] and coll.notes == ()
    np.testing.assert_allclose(coll.spaces["new"].vectors, 2 * coll.spaces["old"].vectors, atol=1e-5)
    assert coll.target_names == ("cat", "dog", "eel")
    assert set(coll.split) == {"train", "test"}


def test_partial_id_overlap_is_refused_with_counts_unless_intersect(tmp_path, vecs):
    X, ids, _ = vecs
    _write("npz", tmp_path / "a.npz", X, ids)
    _write("npz", tmp_path / "b.npz", X[:40], ids[20:60])
    with pytest.raises(MismatchError, match=r"only 40 ids are in every file"):
        load_collection([tmp_path / "a.npz", tmp_path / "b.npz"])
    coll = load_collection([tmp_path / "a.npz", tmp_path / "b.npz"], intersect=True)
    assert coll.n_samples == 40 and "kept the 40 ids" in coll.notes[0]
    np.testing.assert_allclose(coll.spaces["a"].vectors, X[20:60])


def test_disjoint_ids_are_refused(tmp_path, vecs):
    X, ids, _ = vecs
    _write("npz", tmp_path / "a.npz", X, ids)
    _write("npz", tmp_path / "b.npz", X, ids + 1000)
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


def test_labels_that_disagree_are_refused(tmp_path, vecs):
    X, ids, labels = vecs
    _write("npz", tmp_path / "a.npz", X, ids, labels)
    _write("npz", tmp_path / "b.npz", X, ids, labels[::-1])
    with pytest.raises(MismatchError, match="labels disagree"):
        load_collection([tmp_path / "a.npz", tmp_path / "b.npz"])


def test_pickled_npy_and_npz_are_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(UnsafeFileError, match="pickle"):
        read_embeddings(tmp_path / "obj.npy")
    np.savez(tmp_path / "obj.npz", vectors=np.array([[1.0]]), ids=np.array([object()], dtype=object))
    with pytest.raises(UnsafeFileError, match="pickle"):
        read_embeddings(tmp_path / "obj.npz")


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("suffix", [".pt", ".pkl", ".npy", ".npz", ".csv", ".parquet"])
def test_malicious_pickle_never_runs(tmp_path, suffix):
    marker = tmp_path / "PWNED"
    path = tmp_path / f"evil{suffix}"
    path.write_bytes(pickle.dumps(_Evil(marker)))
    with pytest.raises(LoadError) as info:  # UnsafeFileError subclasses LoadError
        load_collection([path])
    assert not marker.exists(), "the pickle's command ran"
    if suffix in (".pt", ".pkl"):
        assert info.type is UnsafeFileError and "pickle" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_upload_over_limit(vecs):
    X, _, _ = vecs
    import io

    buf = io.BytesIO()
    np.save(buf, X)
    with pytest.raises(FileTooLargeError, match="MB limit"):
        load_collection([("big.npy", buf.getvalue())], max_bytes=100)


def test_corrupt_and_bad_tables(tmp_path):
    (tmp_path / "head.csv").write_text("id,a,b\n")
    with pytest.raises(LoadError, match="no rows"):
        read_embeddings(tmp_path / "head.csv")
    (tmp_path / "ragged.csv").write_text("id,a,b\n1,2,3\n2,3,4,5\n")
    with pytest.raises(LoadError, match="different numbers of fields"):
        read_embeddings(tmp_path / "ragged.csv")
    (tmp_path / "text.csv").write_text("id,a,b\n1,x,3\n2,y,4\n")
    with pytest.raises(LoadError, match=r"non-numeric column\(s\) \['a'\]"):
        read_embeddings(tmp_path / "text.csv")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(LoadError, match="parquet"):
        read_embeddings(tmp_path / "bad.parquet")
    np.save(tmp_path / "ok.npy", np.ones((5, 3), np.float32))
    (tmp_path / "trunc.npy").write_bytes((tmp_path / "ok.npy").read_bytes()[:100])
    with pytest.raises(LoadError):
        read_embeddings(tmp_path / "trunc.npy")
    np.save(tmp_path / "one_d.npy", np.ones(5))
    with pytest.raises(LoadError, match="2-D"):
        read_embeddings(tmp_path / "one_d.npy")
    (tmp_path / "x.txt").write_text("1 2 3")
    with pytest.raises(LoadError, match="unsupported"):
        load_collection([tmp_path / "x.txt"])


def test_nan_rows_and_nan_labels_name_the_ids(tmp_path):
    df = pd.DataFrame({"id": [7, 8, 9], "a": [1.0, np.nan, 2.0], "b": [1.0, 2.0, 3.0]})
    df.to_csv(tmp_path / "nan.csv", index=False)
    with pytest.raises(InvalidInputError, match=r"NaN or Inf \(ids \[8\]\)"):
        read_embeddings(tmp_path / "nan.csv")
    df = pd.DataFrame({"id": [7, 8, 9], "a": [1.0, 0.5, 2.0], "label": ["x", None, "y"]})
    df.to_csv(tmp_path / "nanlab.csv", index=False)
    with pytest.raises(InvalidInputError, match=r"missing .* for ids \[8\]"):
        read_embeddings(tmp_path / "nanlab.csv")


def _onnx_of(model, path, in_dim):
    import torch

    class Enc(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m.encode(x)

    torch.onnx.export(Enc(model), torch.zeros(2, in_dim), str(path), input_names=["x"], output_names=["latent"],
                      dynamic_axes={"x": {0: "n"}}, dynamo=False)


def test_onnx_export_of_zoo_model_gives_same_vectors(tmp_path, zoo):
    _onnx_of(zoo.model("mlp-s0"), tmp_path / "mlp.onnx", 64)
    d = zoo.data
    table = pd.DataFrame({"id": d.ids, "label": d.y, **{f"px{i}": d.X[:, i] for i in range(64)}})
    table.to_csv(tmp_path / "digits.csv", index=False)
    sp = encode_table(tmp_path / "digits.csv", load_model(tmp_path / "mlp.onnx"))
    np.testing.assert_allclose(sp.vectors, zoo.vectors("mlp-s0"), rtol=0, atol=1e-5)
    # wrong input width: a clear message, not an onnxruntime traceback
    table.iloc[:, :30].to_csv(tmp_path / "narrow.csv", index=False)
    with pytest.raises(MismatchError, match="expects 64 input features, the table has 28"):
        encode_table(tmp_path / "narrow.csv", load_model(tmp_path / "mlp.onnx"))
    (tmp_path / "bad.onnx").write_bytes((tmp_path / "mlp.onnx").read_bytes()[:200])
    with pytest.raises(LoadError, match="not a valid ONNX"):
        load_model(tmp_path / "bad.onnx")


def test_safetensors_with_sidecar_and_shape_mismatch(tmp_path, zoo):
    import shutil

    d = zoo.data
    table = pd.DataFrame({"id": d.ids, **{f"px{i}": d.X[:, i] for i in range(64)}, "label": d.y})
    table.to_parquet(tmp_path / "digits.parquet")
    shutil.copy(zoo.root / "cnn-s0.safetensors", tmp_path / "cnn.safetensors")
    (tmp_path / "cnn.json").write_text(json.dumps({"arch": "cnn", "config": zoo.entries["cnn-s0"]["config"]}))
    coll = load_collection([tmp_path / "cnn.safetensors", tmp_path / "cnn.json"], table=tmp_path / "digits.parquet")
    np.testing.assert_allclose(coll.spaces["cnn"].vectors, zoo.vectors("cnn-s0"), atol=1e-6)
    assert "px0" in coll.samples.columns  # the table's rows travel with the samples (hover)
    (tmp_path / "cnn.json").write_text(json.dumps({"arch": "cnn", "config": {**zoo.entries["cnn-s0"]["config"], "channels": 8}}))
    with pytest.raises(LoadError, match="do not match arch='cnn'"):
        load_collection([tmp_path / "cnn.safetensors", tmp_path / "cnn.json"], table=tmp_path / "digits.parquet")
    with pytest.raises(InvalidInputError, match="also give the data table"):
        load_collection([tmp_path / "cnn.safetensors", tmp_path / "cnn.json"])


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
