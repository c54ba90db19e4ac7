"""Chunked readers of vector files: parquet batches, row groups and chunks of any sizes, bounded memory."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import relative_projection
from core.errors import AnchorError, InvalidInputError, LoadError
from core.io.streaming import relative_projection_file


def _vectors(n=103, d=24, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(dtype)


@pytest.mark.parametrize("layout", ["list", "fixed", "wide"])
@pytest.mark.parametrize("row_group_size", [None, 10])  # one row group holding every row, or groups of 10
@pytest.mark.parametrize(("batch_rows", "chunk_rows"), [(1, 7), (3, 64), (50, 7), (50, 1000), (1000, 1), (17, 17)])
def test_parquet_batches_and_chunks_in_any_sizes(tmp_path, write_parquet, monkeypatch, layout, row_group_size,
                                                batch_rows, chunk_rows):
    """Record batches smaller or larger than a chunk, row groups that do not line up with
    either, N = 103 a multiple of none: the chunks hold rows start..start+m in order."""
    import core.io.vector_files as vector_files

    X = _vectors(n=103, d=8, seed=4)
    ids = write_parquet(tmp_path / "X.parquet", X, layout=layout, row_group_size=row_group_size)
    monkeypatch.setattr(vector_files, "_READ_BATCH_BYTES", batch_rows * 8 * 4)
    src = vector_files._ParquetSource(tmp_path / "X.parquet")
    seen = [(start, X_.copy(), kept.column("id").to_pylist()) for start, X_, kept in src.chunks(chunk_rows)]
    assert [s for s, _, _ in seen] == list(range(0, 103, chunk_rows))
    assert [len(x) for _, x, _ in seen] == [min(chunk_rows, 103 - s) for s in range(0, 103, chunk_rows)]
    np.testing.assert_array_equal(np.concatenate([x for _, x, _ in seen]), X)
    assert sum((i for _, _, i in seen), []) == ids

    anchors = ["s0102", "s0000", "s0055"]
    relative_projection_file(tmp_path / "X.parquet", dst=tmp_path / "R.parquet", anchor_ids=anchors, chunk_rows=chunk_rows)
    t = pq.read_table(tmp_path / "R.parquet")
    got = (np.column_stack([t.column(c).to_numpy() for c in t.column_names[1:]]) if layout == "wide"
           else np.stack(t.column("relative").to_numpy(zero_copy_only=False)))
    np.testing.assert_allclose(got, relative_projection(X, X[[102, 0, 55]]), rtol=0, atol=1e-6)
    assert t.column("id").to_pylist() == ids


def test_parquet_reading_memory_does_not_grow_with_the_file(tmp_path, write_parquet):
    """Arrow memory while streaming stays near one read batch, not the file or a row group
    (pyarrow's default pre_buffer kept every row group read so far: it grew to the file)."""
    import core.io.vector_files as vector_files

    n, d = 200_000, 32  # 25.6 MB of vectors in 10 row groups of 2.6 MB
    X = _vectors(n=n, d=d, seed=5)
    write_parquet(tmp_path / "X.parquet", X, layout="fixed", row_group_size=20_000, ids=np.arange(n))
    src = vector_files._ParquetSource(tmp_path / "X.parquet")
    base = pa.total_allocated_bytes()
    held = []
    for _, chunk, _ in src.chunks(4096):
        held.append(pa.total_allocated_bytes() - base)
    assert len(held) == -(-n // 4096)
    early, peak = max(held[: len(held) // 5]), max(held)  # the first 2 row groups, all 10
    assert peak < X.nbytes / 3, f"arrow held {peak / 1e6:.1f} MB while streaming a {X.nbytes / 1e6:.1f} MB file"
    assert peak <= 1.25 * early + 2**20, f"arrow memory grew from {early / 1e6:.1f} MB to {peak / 1e6:.1f} MB"


def test_parquet_anchor_ids_are_found_across_id_batches(tmp_path, write_parquet, monkeypatch):
    import core.io.vector_files as vector_files

    monkeypatch.setattr(vector_files, "_ID_BATCH_ROWS", 4)
    X = _vectors(n=30, d=6, seed=6)
    ids = [100 + 3 * i for i in range(30)]
    write_parquet(tmp_path / "X.parquet", X, row_group_size=7, ids=ids)
    src = vector_files._ParquetSource(tmp_path / "X.parquet")
    np.testing.assert_array_equal(src.positions_of([187, 100, 112, 133]), [29, 0, 4, 11])
    np.testing.assert_array_equal(src.take(np.array([29, 0, 4, 11])), X[[29, 0, 4, 11]])
    with pytest.raises(AnchorError, match=r"not in id column 'id'.*\[101\]"):
        src.positions_of([100, 101])
    dup = ids[:20] + [112] + ids[21:]  # 112 at rows 4 and 20, in different id batches
    write_parquet(tmp_path / "D.parquet", X, row_group_size=7, ids=dup)
    with pytest.raises(LoadError, match=r"repeats anchor ids \[112\]"):
        vector_files._ParquetSource(tmp_path / "D.parquet").positions_of([112, 100])


def test_parquet_bad_rows_are_reported_with_file_row_numbers(tmp_path, monkeypatch):
    import core.io.vector_files as vector_files

    monkeypatch.setattr(vector_files, "_READ_BATCH_BYTES", 5 * 4 * 4)  # batches of 5 rows, chunks of 20
    X = _vectors(n=60, d=4, seed=7)
    rows = list(X)
    rows[47] = None
    pq.write_table(pa.table({"id": np.arange(60), "embedding": pa.array(rows, type=pa.list_(pa.float32()))}),
                   tmp_path / "X.parquet", row_group_size=13)
    with pytest.raises(InvalidInputError, match=r"rows \[47\] of column 'embedding' are missing"):
        relative_projection_file(tmp_path / "X.parquet", dst=tmp_path / "R.parquet", anchor_ids=[0, 1], chunk_rows=20)
    rows[47] = X[47]
    rows[33] = X[33][:3]
    pq.write_table(pa.table({"id": np.arange(60), "embedding": pa.array(rows, type=pa.list_(pa.float32()))}),
                   tmp_path / "X.parquet", row_group_size=13)
    with pytest.raises(InvalidInputError, match=r"rows \[33\] of column 'embedding' are missing or not of length 4"):
        relative_projection_file(tmp_path / "X.parquet", dst=tmp_path / "R.parquet", anchor_ids=[0, 1], chunk_rows=20)
    assert not (tmp_path / "R.parquet").exists() and not (tmp_path / "R.parquet.partial").exists()
