"""Dask: the same relative projection on a LocalCluster with 2 worker processes."""

import logging

import numpy as np
import pytest

pytest.importorskip("dask.array", reason="dask is not installed: pip install 'stitchboard[dask]' (or '.[dev]')")
pytest.importorskip("distributed", reason="distributed is not installed: pip install 'stitchboard[dask]' (or '.[dev]')")

import dask.array as da  # noqa: E402
from distributed import Client, LocalCluster, get_task_stream  # noqa: E402

from core import relative_projection  # noqa: E402
from core.io.distributed import relative_projection_dask  # noqa: E402
from core.errors import InvalidInputError, MismatchError  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.mark.parametrize(
    "kw", [{}, {"center": "anchors"}, {"similarity": "angular"}, {"similarity": "product"}, {"topk": 4, "power": 2.0}]
)
def test_dask_equals_local_on_two_workers(client, kw):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1003, 40)).astype(np.float32)  # 11 row blocks, the last one short
    A = rng.normal(size=(17, 40)).astype(np.float32)
    Xd = da.from_array(X, chunks=(100, 20))  # column chunks are merged by the function
    with get_task_stream(client) as ts:
        R = relative_projection_dask(Xd, A, **kw)
        got = R.compute()
    want = relative_projection(X, A, **kw)
    assert isinstance(R, da.Array) and R.chunks[0] == Xd.chunks[0]
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    workers = {t["worker"] for t in ts.data if "project_block" in str(t["key"])}
    assert len(workers) == 2, f"blocks ran on {workers}"


def test_dask_wraps_numpy_and_dask_anchors(client):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 8))
    A = da.from_array(rng.normal(size=(5, 8)), chunks=2)
    got = relative_projection_dask(X, A).compute()
    np.testing.assert_allclose(got, relative_projection(X, A.compute()), rtol=1e-12, atol=1e-12)
    assert got.dtype == np.float64


def test_dask_errors_name_the_problem(client):
    X = np.ones((250, 3), dtype=np.float32)
    X[201, 1] = np.nan
    Xd = da.from_array(X, chunks=(100, 3))
    with pytest.raises(ValueError, match=r"NaN or Inf in rows \[1\].*counted from row 200"):
        relative_projection_dask(Xd, np.ones((2, 3))).compute()
    with pytest.raises(MismatchError, match="n_dims=3 but A has n_dims=4"):
        relative_projection_dask(Xd, np.ones((2, 4)))
    with pytest.raises(InvalidInputError, match="A is empty"):
        relative_projection_dask(Xd, np.ones((0, 3)))
