"""Shared fixture of the core.maps tests: a pool of warm layout workers."""

import pytest

from core.maps.layout_jobs import warm_worker
from core.runtime.pool import WorkerPool


@pytest.fixture(scope="module")
def pool(request):
    """One warm layout worker, up to ``POOL_MAX_WORKERS`` (a module constant, default 1) when it is busy."""
    p = WorkerPool(1, getattr(request.module, "POOL_MAX_WORKERS", 1), warmers=(warm_worker,), spare=False)
    p.warm_up()
    yield p
    p.shutdown()
