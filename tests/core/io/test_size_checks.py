"""core.io.size_checks: what a file claims is checked against its real size and the limits before allocating.

The 2**40-row parquet footer is read in a fresh process whose peak memory is compared
with the same process reading a valid file of the same size.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import FileTooLargeError, LoadError, UnsafeFileError
from core.io.collection_files import load_collection
from core.io.embeddings import read_embeddings
from core.io.vector_files import open_source
from tests.parquet_footer import (
    CM_COMPRESSED,
    CM_DATA_OFFSET,
    CM_NUM_VALUES,
    FILE_NUM_ROWS,
    FILE_ROW_GROUPS,
    RG_NUM_ROWS,
    column_meta,
    read_footer,
    with_footer,
)

ROOT = Path(__file__).resolve().parents[3]
HUGE = 2**40


def parquet_bytes(n: int = 8, d: int = 3, *, list_column: bool = False) -> bytes:
    X = np.arange(n * d, dtype=np.float32).reshape(n, d)
    df = (pd.DataFrame({"id": np.arange(n), "vector": list(X)}) if list_column
          else pd.DataFrame(X, columns=[f"f{j}" for j in range(d)]))
    b = io.BytesIO()
    df.to_parquet(b)
    return b.getvalue()


def huge_footer(data: bytes, *, values: bool) -> bytes:
    """The file's footer, rewritten to claim 2**40 rows (and 2**40 values per column chunk if ``values``)."""
    body, meta = read_footer(data)
    meta.set_value(FILE_NUM_ROWS, HUGE)
    groups = meta.get_value(FILE_ROW_GROUPS)[1]
    for g, rg in enumerate(groups):
        rg.set_value(RG_NUM_ROWS, HUGE // len(groups))
        if values:
            for j in range(len(rg.get_value(1)[1])):
                column_meta(meta, g, j).set_value(CM_NUM_VALUES, HUGE)
    return with_footer(body, meta)


def test_the_footer_helper_round_trips_a_real_file():
    data = parquet_bytes(list_column=True)
    assert with_footer(*read_footer(data)) == data
    import pyarrow.parquet as pq

    md = pq.ParquetFile(io.BytesIO(huge_footer(data, values=True))).metadata
    assert md.num_rows == HUGE and md.row_group(0).num_rows == HUGE and md.row_group(0).column(0).num_values == HUGE


_PEAK = """
import json, resource, sys
from pathlib import Path
from core.io.embeddings import read_embeddings
from core.io.vector_files import open_source
from core.io.collection_files import load_collection
path, how = Path(sys.argv[1]), sys.argv[2]
try:
    if how == "embeddings":
        read_embeddings(path)
    elif how == "collection":
        load_collection([path])
    else:
        src = open_source(path)
        for _ in src.chunks(1024):
            pass
    outcome = "read"
except Exception as exc:
    outcome = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
print(json.dumps({"outcome": outcome, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _peak(path: Path, how: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PEAK, str(path), how], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("how", ["embeddings", "collection", "stream"])
@pytest.mark.parametrize("values", [False, True])
def test_a_footer_claiming_2_to_the_40_rows_is_refused_before_reading(tmp_path, how, values):
    good, bad = tmp_path / "good.parquet", tmp_path / "huge.parquet"
    good.write_bytes(parquet_bytes(list_column=how == "stream"))
    bad.write_bytes(huge_footer(good.read_bytes(), values=values))
    base, peak = _peak(good, how), _peak(bad, how)
    assert base["outcome"] == "read", base
    if values and how != "stream":  # a consistent footer: over MAX_VALUES
        assert peak["outcome"].startswith("core.errors.FileTooLargeError"), peak
        assert "is over the limit of 536,870,912 values (set the environment variable STITCHBOARD_MAX_VALUES" \
            in peak["outcome"]
    elif values:  # streamed: 2**40 rows are allowed, but the file holds 8 of them
        assert peak["outcome"].startswith("core.errors.LoadError") and "truncated" in peak["outcome"], peak
    else:  # the row groups' columns hold 8 values for 2**40 rows
        assert peak["outcome"].startswith("core.errors.LoadError"), peak
        assert "values for 1,099,511,627,776 rows" in peak["outcome"] and "the footer is corrupt" in peak["outcome"]
    print(f"{how} values={values}: peak {peak['peak_mb']:.0f} MB vs {base['peak_mb']:.0f} MB reading the 8-row file")
    # refused at the footer: about the memory of reading the 8-row file (the margin absorbs allocator and
    # thread-pool noise; reading 2**40 claimed rows would take gigabytes)
    assert peak["peak_mb"] < base["peak_mb"] + 200, (base, peak)


def test_a_file_row_count_that_disagrees_with_its_row_groups_is_refused():
    body, meta = read_footer(parquet_bytes())
    meta.set_value(FILE_NUM_ROWS, HUGE)
    with pytest.raises(LoadError, match=r"announces 1,099,511,627,776 rows but its row groups hold 8"):
        read_embeddings(("x.parquet", with_footer(body, meta)))


def test_column_chunks_outside_the_file_are_refused():
    body, meta = read_footer(parquet_bytes())
    column_meta(meta).set_value(CM_COMPRESSED, 10**9)
    with pytest.raises(LoadError, match=r"column 'f0' of row group 0 .* of a [\d,]+-byte file; the footer is corrupt"):
        read_embeddings(("x.parquet", with_footer(body, meta)))
    body, meta = read_footer(parquet_bytes())
    column_meta(meta).set_value(CM_DATA_OFFSET, -5)
    with pytest.raises(LoadError, match="the footer is corrupt"):
        read_embeddings(("x.parquet", with_footer(body, meta)))


def test_a_column_chunk_in_another_file_is_refused(tmp_path):
    body, meta = read_footer(parquet_bytes())
    meta.get_value(FILE_ROW_GROUPS)[1][0].get_value(1)[1][0].set_value(1, b"../secret.parquet", 8)  # file_path
    (tmp_path / "x.parquet").write_bytes(with_footer(body, meta))
    for call in (lambda: read_embeddings(tmp_path / "x.parquet"), lambda: open_source(tmp_path / "x.parquet")):
        with pytest.raises(UnsafeFileError, match=r"keeps its data in another file \('../secret.parquet'\)"):
            call()


def npy_bytes(X) -> bytes:
    b = io.BytesIO()
    np.save(b, X)
    return b.getvalue()


def lying_npy(shape, data: bytes = b"\x00" * 48) -> bytes:
    """An npy file whose header announces ``shape`` (float32) over ``data``."""
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(b, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return b.getvalue() + data


def test_an_npy_header_larger_than_the_file_is_refused_before_allocating():
    with pytest.raises(LoadError, match=r"x.npy: the header announces shape \(4000000, 300000\) of float32 "
                                        r"\(4,800,000,000,000 bytes\) but only 48 bytes follow it; the file is "
                                        r"truncated or its header corrupt"):
        read_embeddings(("x.npy", lying_npy((4_000_000, 300_000))))
    with pytest.raises(LoadError, match=r"announces shape \(3037000500, 3037000500, 3037000500\)"):  # no overflow
        read_embeddings(("x.npy", lying_npy((3037000500,) * 3)))


def test_npy_rows_and_dims_limits(monkeypatch, tmp_path):
    data = npy_bytes(np.ones((30, 4), np.float32))
    monkeypatch.setenv("STITCHBOARD_MAX_VALUES", "100")
    with pytest.raises(FileTooLargeError, match=r"x.npy: shape \(30, 4\): 120 values is over the limit of 100 values "
                                                r"\(set the environment variable STITCHBOARD_MAX_VALUES to raise it\)"):
        read_embeddings(("x.npy", data))
    monkeypatch.setenv("STITCHBOARD_MAX_VALUES", "1000")
    monkeypatch.setenv("STITCHBOARD_MAX_DIMS", "3")
    with pytest.raises(FileTooLargeError, match=r"4 values per row is over the limit of 3 values per row \(set the "
                                                r"environment variable STITCHBOARD_MAX_DIMS"):
        read_embeddings(("x.npy", data))
    (tmp_path / "x.npy").write_bytes(data)  # streamed: the dims limit holds, the values limit does not
    with pytest.raises(FileTooLargeError, match="STITCHBOARD_MAX_DIMS"):
        open_source(tmp_path / "x.npy")
    monkeypatch.setenv("STITCHBOARD_MAX_DIMS", "4")
    monkeypatch.setenv("STITCHBOARD_MAX_VALUES", "10")
    assert open_source(tmp_path / "x.npy").n == 30


def _zip(members: dict, *, compress=zipfile.ZIP_DEFLATED) -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", compress) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return b.getvalue()


def test_an_npz_member_is_checked_against_its_declared_size_and_the_limits(monkeypatch):
    X = np.zeros((2000, 500), np.float32)  # 4 MB of zeros: a few KB compressed
    b = io.BytesIO()
    np.savez_compressed(b, vectors=X, ids=np.arange(2000))
    data = b.getvalue()
    assert len(data) < 100_000
    assert read_embeddings(("x.npz", data)).vectors.shape == (2000, 500)
    monkeypatch.setenv("STITCHBOARD_MAX_VALUES", "999999")
    with pytest.raises(FileTooLargeError, match=r"x.npz\['vectors'\]: shape \(2000, 500\): 1,000,000 values is over"):
        read_embeddings(("x.npz", data))
    monkeypatch.delenv("STITCHBOARD_MAX_VALUES")
    # a header that claims more than the member holds
    small = lying_npy((4_000_000, 3))
    with pytest.raises(LoadError, match=r"x.npz\['vectors'\]: the header announces shape \(4000000, 3\)"):
        read_embeddings(("x.npz", _zip({"vectors.npy": small})))
    # a member that is not an array at all (numpy would read all its declared bytes)
    with pytest.raises(LoadError, match=r"x.npz\['vectors'\]: not a .npy array"):
        read_embeddings(("x.npz", _zip({"vectors.npy": b"\x00" * 5_000_000})))
    # object arrays in any member are refused before numpy reads them
    b = io.BytesIO()
    np.savez(b, vectors=np.ones((2, 2)), ids=np.array([{}, {}], dtype=object))
    with pytest.raises(UnsafeFileError, match=r"x.npz\['ids'\]: holds Python objects"):
        read_embeddings(("x.npz", b.getvalue()))


def test_csv_rows_times_columns_are_checked_before_parsing(monkeypatch):
    df = pd.DataFrame(np.ones((30, 4)), columns=list("abcd"))
    data = df.to_csv(index=False).encode()
    assert read_embeddings(("x.csv", data)).vectors.shape == (30, 4)
    monkeypatch.setenv("STITCHBOARD_MAX_VALUES", "100")
    with pytest.raises(FileTooLargeError, match=r"x.csv: 30 rows x 4 columns: 120 values is over the limit of 100"):
        read_embeddings(("x.csv", data))
    with pytest.raises(FileTooLargeError, match=r"x.csv: 30 rows x 4 columns"):  # a table for models too
        load_collection([("x.csv", data)])
    monkeypatch.delenv("STITCHBOARD_MAX_VALUES")
    wide = (",".join(f"c{j}" for j in range(70_000)) + "\n" + ",".join("1" * 70_000) + "\n").encode()
    with pytest.raises(FileTooLargeError, match=r"x.csv: a header of 70,000 columns: 70,000 values per row is over "
                                                r"the limit of 65,536 values per row"):
        read_embeddings(("x.csv", wide))


def test_streamed_parquet_vectors_longer_than_max_dims_are_refused(monkeypatch, tmp_path):
    (tmp_path / "x.parquet").write_bytes(parquet_bytes(d=5, list_column=True))
    assert open_source(tmp_path / "x.parquet").d == 5
    monkeypatch.setenv("STITCHBOARD_MAX_DIMS", "4")
    with pytest.raises(FileTooLargeError, match=r"the vectors of column 'vector': 5 values per row is over the limit"):
        open_source(tmp_path / "x.parquet")
