import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import relative_projection
from core.cli import main
from core.errors import AnchorError, InvalidInputError, LoadError, MismatchError, UnsafeFileError
from core.io.streaming import relative_projection_file
from core.io.vector_files import read_anchor_file


def _vectors(n=103, d=24, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(dtype)


def _read_parquet_vectors(path, column="relative"):
    t = pq.read_table(path)
    return t, np.stack(t.column(column).to_numpy(zero_copy_only=False))


@pytest.mark.parametrize("out_suffix", [".npy", ".parquet"])
@pytest.mark.parametrize("chunk_rows", [1, 10, 103, 1000])
def test_npy_stream_equals_in_memory(tmp_path, out_suffix, chunk_rows):
    X = _vectors()
    np.save(tmp_path / "X.npy", X)
    ids = [5, 0, 77, 101, 42]
    info = relative_projection_file(tmp_path / "X.npy", dst=tmp_path / f"R{out_suffix}", anchor_ids=ids, chunk_rows=chunk_rows)
    want = relative_projection(X, X[ids])
    if out_suffix == ".npy":
        got = np.load(tmp_path / "R.npy", allow_pickle=False)
    else:
        _, got = _read_parquet_vectors(tmp_path / "R.parquet")
    assert got.dtype == np.float32 and got.shape == (103, 5)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    assert info["rows"] == 103 and info["n_outputs"] == 5
    assert not (tmp_path / f"R{out_suffix}.partial").exists()


@pytest.mark.parametrize(
    "kw",
    [
        {"similarity": "cosine", "center": "anchors"},
        {"similarity": "cosine", "scale": True},
        {"similarity": "angular"},
        {"similarity": "euclidean"},
        {"similarity": "product"},
        {"similarity": "cosine", "topk": 3, "power": 2.0},
    ],
)
def test_options_match_relative_projection(tmp_path, kw):
    X = _vectors(n=57, d=300, seed=1)  # d=300: the wide cosine path
    np.save(tmp_path / "X.npy", X)
    A = _vectors(n=8, d=300, seed=2)
    relative_projection_file(tmp_path / "X.npy", dst=tmp_path / "R.npy", anchor_vectors=A, chunk_rows=16, **kw)
    got = np.load(tmp_path / "R.npy", allow_pickle=False)
    np.testing.assert_allclose(got, relative_projection(X, A, **kw), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("layout", ["list", "fixed", "wide"])
def test_parquet_stream_equals_in_memory_and_keeps_ids(tmp_path, layout):
    X = _vectors(n=95, d=12, seed=3)
    ids = [f"s{i:03d}" for i in range(95)]
    labels = np.arange(95) % 4
    if layout == "wide":
        cols = {"sample_id": ids, "label": labels, **{f"f{j}": X[:, j] for j in range(12)}}
        table = pa.table(cols)
    else:
        typ = pa.list_(pa.float32(), 12) if layout == "fixed" else pa.list_(pa.float32())
        table = pa.table({"sample_id": ids, "label": labels, "embedding": pa.array(list(X), type=typ)})
    pq.write_table(table, tmp_path / "X.parquet", row_group_size=20)
    anchors = ["s090", "s003", "s047"]
    (tmp_path / "a.json").write_text(json.dumps(anchors))
    kind, value = read_anchor_file(tmp_path / "a.json")
    assert kind == "ids" and value == anchors
    relative_projection_file(tmp_path / "X.parquet", dst=tmp_path / "R.parquet", anchor_ids=value, chunk_rows=7)
    want = relative_projection(X, X[[90, 3, 47]])
    t = pq.read_table(tmp_path / "R.parquet")
    assert t.column("sample_id").to_pylist() == ids and t.column("label").to_pylist() == labels.tolist()
    if layout == "wide":
        assert t.column_names[2:] == [f"rel_cosine_{j}" for j in range(3)]
        got = np.column_stack([t.column(c).to_numpy() for c in t.column_names[2:]])
    else:
        got = np.stack(t.column("relative").to_numpy(zero_copy_only=False))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    # and to .npy
    relative_projection_file(tmp_path / "X.parquet", dst=tmp_path / "R.npy", anchor_ids=value, chunk_rows=13)
    np.testing.assert_allclose(np.load(tmp_path / "R.npy"), want, rtol=0, atol=1e-6)


def test_cli_relative_with_json_ids_and_vector_anchors(tmp_path, capsys):
    X = _vectors(n=200, d=16, seed=4)
    np.save(tmp_path / "X.npy", X)
    (tmp_path / "a.json").write_text(json.dumps({"anchor_ids": [3, 150, 9]}))
    rc = main(["relative", "--anchors", str(tmp_path / "a.json"), "--chunk-rows", "33", "--format", "json",
               str(tmp_path / "X.npy"), str(tmp_path / "R.npy")])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 200 and summary["n_anchors"] == 3
    np.testing.assert_allclose(np.load(tmp_path / "R.npy"), relative_projection(X, X[[3, 150, 9]]), rtol=0, atol=1e-6)

    np.save(tmp_path / "A.npy", X[[3, 150, 9]].astype(np.float64))
    rc = main(["relative", "--anchors", str(tmp_path / "A.npy"), "--center", "anchors", "--quiet",
               str(tmp_path / "X.npy"), str(tmp_path / "R2.parquet")])
    assert rc == 0
    _, got = _read_parquet_vectors(tmp_path / "R2.parquet")
    assert got.dtype == np.float64  # float64 anchors -> float64 result, as relative_projection
    np.testing.assert_allclose(got, relative_projection(X, X[[3, 150, 9]].astype(np.float64), center="anchors"), rtol=0, atol=1e-6)


def test_cli_relative_help_says_what_anchors_are(capsys):
    with pytest.raises(SystemExit):
        main(["relative", "--help"])
    out = capsys.readouterr().out
    assert "ANCHORS is one of" in out and "ids.json" in out and "vectors.npy" in out


def test_progress_bar_goes_to_stderr(tmp_path, capsys):
    np.save(tmp_path / "X.npy", _vectors(n=50))
    relative_projection_file(tmp_path / "X.npy", dst=tmp_path / "R.npy", anchor_ids=[1, 2], chunk_rows=10, progress=True)
    cap = capsys.readouterr()
    assert "100%" in cap.err and "rows" in cap.err and cap.out == ""


def test_bad_rows_are_reported_with_file_row_numbers(tmp_path):
    X = _vectors(n=60)
    X[47, 2] = np.nan
    np.save(tmp_path / "X.npy", X)
    with pytest.raises(InvalidInputError, match=r"rows \[47\] contain NaN or Inf"):
        relative_projection_file(tmp_path / "X.npy", dst=tmp_path / "R.npy", anchor_ids=[0, 1], chunk_rows=20)
    assert not (tmp_path / "R.npy").exists() and not (tmp_path / "R.npy.partial").exists()
    X[47, 2] = 0.0
    X[33] = 0.0
    np.save(tmp_path / "X.npy", X)
    with pytest.raises(InvalidInputError, match=r"rows \[33\] are all zero"):
        relative_projection_file(tmp_path / "X.npy", dst=tmp_path / "R.npy", anchor_ids=[0, 1], chunk_rows=20)


def test_refusals_and_errors(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([[1, "a"]], dtype=object), allow_pickle=True)
    with pytest.raises(UnsafeFileError, match="never loads"):
        relative_projection_file(tmp_path / "obj.npy", dst=tmp_path / "R.npy", anchor_ids=[0])
    X = _vectors(n=20, d=4)
    np.save(tmp_path / "X.npy", X)
    with pytest.raises(AnchorError, match=r"outside \[0, 20\)"):
        relative_projection_file(tmp_path / "X.npy", dst=tmp_path / "R.npy", anchor_ids=[3, 20])
    with pytest.raises(AnchorError, match="duplicates"):
        relative_projection_file(tmp_path / "X.npy", dst=tmp_path / "R.npy", anchor_ids=[3, 3])
    with pytest.raises(AnchorError, match="row numbers"):
        relative_projection_file(tmp_path / "X.npy", dst=tmp_path / "R.npy", anchor_ids=["a"])
    with pytest.raises(MismatchError, match="n_dims=5 but"):
        relative_projection_file(tmp_path / "X.npy", dst=tmp_path / "R.npy", anchor_vectors=np.ones((2, 5)))
    with pytest.raises(InvalidInputError, match="exactly one of"):
        relative_projection_file(tmp_path / "X.npy", dst=tmp_path / "R.npy")
    with pytest.raises(InvalidInputError, match="use one of"):
        relative_projection_file(tmp_path / "X.npy", dst=tmp_path / "R.csv", anchor_ids=[0])
    with pytest.raises(InvalidInputError, match="is the input file"):
        relative_projection_file(tmp_path / "X.npy", dst=tmp_path / "X.npy", anchor_ids=[0])
    np.save(tmp_path / "F.npy", np.asfortranarray(_vectors(n=20, d=4)))
    with pytest.raises(LoadError, match="Fortran order"):
        relative_projection_file(tmp_path / "F.npy", dst=tmp_path / "R.npy", anchor_ids=[0])
    pq.write_table(pa.table({"id": [10, 11], "v": pa.array([[1.0, 2.0], [3.0, 4.0]])}), tmp_path / "P.parquet")
    with pytest.raises(AnchorError, match=r"not in id column 'id'.*\[12\]"):
        relative_projection_file(tmp_path / "P.parquet", dst=tmp_path / "R.npy", anchor_ids=[11, 12])
    (tmp_path / "bad.json").write_text("[1, 2.5]")
    with pytest.raises(LoadError, match="list of sample ids"):
        read_anchor_file(tmp_path / "bad.json")
    assert main(["relative", "--anchors", str(tmp_path / "bad.json"), str(tmp_path / "X.npy"), str(tmp_path / "R.npy")]) == 2


@pytest.mark.parametrize("layout", ["fixed", "wide"])
def test_parquet_output_compresses_only_sparse_vectors(tmp_path, write_parquet, layout):
    X = _vectors(n=40, d=6, seed=8)
    write_parquet(tmp_path / "X.parquet", X, layout=layout)
    for topk, codec in ((None, "UNCOMPRESSED"), (2, "SNAPPY")):  # top-k outputs are mostly zeros
        relative_projection_file(tmp_path / "X.parquet", dst=tmp_path / "R.parquet", anchor_ids=["s0001", "s0007", "s0030"],
                                 topk=topk)
        md = pq.ParquetFile(tmp_path / "R.parquet").metadata.row_group(0)
        codecs = {md.column(j).path_in_schema: md.column(j).compression for j in range(md.num_columns)}
        assert codecs.pop("id") == "SNAPPY"
        assert len(codecs) == (1 if layout == "fixed" else 3) and set(codecs.values()) == {codec}
