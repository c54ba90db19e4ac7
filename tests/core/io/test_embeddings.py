"""Embeddings files: round trips for every format, refusals of pickles and of bad or corrupt files."""

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError, LoadError, UnsafeFileError
from core.io.collection_files import load_collection
from core.io.embeddings import read_embeddings


@pytest.mark.parametrize("fmt", ["npy", "npz", "csv", "parquet"])
def test_round_trip_every_format(tmp_path, vecs, write_vectors, fmt):
    X, ids, labels = vecs
    path = tmp_path / f"space.{fmt}"
    with_meta = fmt != "npy"
    write_vectors(fmt, path, X, ids if with_meta else None, labels if with_meta else None)
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


def test_pickled_npy_and_npz_are_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(UnsafeFileError, match="pickle"):
        read_embeddings(tmp_path / "obj.npy")
    np.savez(tmp_path / "obj.npz", vectors=np.array([[1.0]]), ids=np.array([object()], dtype=object))
    with pytest.raises(UnsafeFileError, match="pickle"):
        read_embeddings(tmp_path / "obj.npz")


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


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32"])
def test_vectors_become_float32_in_blocks_as_in_one_cast(tmp_path, dtype, monkeypatch):
    import core.io.embeddings as emb

    rng = np.random.default_rng(0)
    X = (rng.normal(size=(1000, 7)) * 100).astype(dtype)
    monkeypatch.setattr(emb._to_float32, "__defaults__", (64,))  # 1000 rows in 16 blocks on the two threads
    np.save(tmp_path / "x.npy", X)
    s = read_embeddings(tmp_path / "x.npy")
    assert s.vectors.dtype == np.float32
    np.testing.assert_array_equal(s.vectors, X.astype(np.float32))


def test_float64_beyond_float32_is_refused_in_any_block(tmp_path, monkeypatch):
    import core.io.embeddings as emb

    X = np.ones((1000, 3))
    X[777, 1] = 1e39  # finite in float64, inf in float32
    monkeypatch.setattr(emb._to_float32, "__defaults__", (64,))
    np.save(tmp_path / "big.npy", X)
    with pytest.raises(InvalidInputError, match=r"beyond the float32 range .*ids \[777\]"):
        read_embeddings(tmp_path / "big.npy")
    X[777, 1] = np.inf
    np.save(tmp_path / "inf.npy", X)
    with pytest.raises(InvalidInputError, match=r"NaN or Inf \(ids \[777\]\)"):
        read_embeddings(tmp_path / "inf.npy")
