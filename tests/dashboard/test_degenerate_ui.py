"""Degenerate spaces through every page: all rows equal, one distinct row, all zero, d = 1.

An upload of two encoders, one well-behaved and one degenerate, is opened on each page
with the degenerate one as encoder A and as encoder B. Each page must show a result or a
clear ``st.error`` / ``st.warning`` naming the problem, never a traceback panel, and the
page must stay usable: switching encoder A back to the good one gives a page without
errors, except in the panels that cover every encoder of the upload, which keep naming
the zero one. (The layouts' own guards are tested in tests/core/maps.)
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from tests.dashboard.apphelp import on_upload, start

N = 120
PAGES = ["pages/explore.py", "pages/compare.py", "pages/stitching.py", "pages/playground.py", "pages/sweep.py",
         "pages/export.py"]


def _degenerate(kind: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    if kind == "equal":
        return np.tile(np.array([[0.3, -1.0, 2.0, 0.5]], np.float32), (N, 1))
    if kind == "one-distinct":
        X = np.tile(np.array([[0.3, -1.0, 2.0, 0.5]], np.float32), (N, 1))
        X[7] = [1.0, 1.0, -1.0, 0.0]
        return X
    if kind == "zero":
        return np.zeros((N, 4), np.float32)
    return rng.normal(size=(N, 1)).astype(np.float32)  # d = 1


@pytest.fixture(scope="module", params=["equal", "one-distinct", "zero", "d1"])
def degenerate_source(request):
    from core.io.collection_files import load_collection
    from dashboard import loaders

    rng = np.random.default_rng(1)
    labels = np.array(["a", "b", "c"])[np.arange(N) % 3]
    files = []
    for name, X in (("good", rng.normal(size=(N, 4)).astype(np.float32)), ("flat", _degenerate(request.param))):
        b = io.BytesIO()
        np.savez(b, vectors=X, ids=np.arange(N), labels=labels)
        files.append((f"{name}.npz", b.getvalue()))
    holder = {}
    coll = load_collection(files, name=f"degenerate {request.param}")
    yield request.param, loaders.register_collection(f"degenerate-{request.param}", coll, holder=holder)
    holder.clear()


def _no_traceback(at, where: str) -> list[str]:
    assert not at.exception, (where, [e.value for e in at.exception])
    messages = [e.value for e in at.error]
    for m in messages:  # a clear message: says what is wrong, not a bare exception repr
        assert len(m) > 20 and "Traceback" not in m, (where, m)
    return messages


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("side", ["enc_a", "enc_b"])
def test_a_degenerate_space_gets_a_result_or_a_clear_message_on_every_page(degenerate_source, page, side):
    kind, source = degenerate_source
    encoders = {"enc_a": "good", "enc_b": "good", side: "flat"}
    at = start(page, **on_upload(source), **encoders, method="pca")
    if page == "pages/sweep.py":  # it runs on demand, over every strategy (k-means and k-DPP on equal rows too)
        at.multiselect(key="sw_counts").set_value([5, 20])
        at.button(key="sw_run").click().run()
    errors = _no_traceback(at, f"{kind} on {page} as {side}")
    for err in errors:  # the message names the problem
        assert any(w in err for w in ("same vector", "constant", "all zero")), (kind, page, err)
    assert kind in ("equal", "zero") or not errors, (kind, page, errors)  # one distinct row or d = 1: results
    # still usable: both encoders good again, and the page has no error
    at.session_state["enc_a"] = "good"
    at.session_state["enc_b"] = "good"
    at.run()
    after = _no_traceback(at, f"{kind} on {page}, then good encoders")
    # panels over every encoder of the upload (the all-pairs matrix, the export tables) still meet the zero one
    assert all(e.startswith(("**All encoder pairs**", "**Tables**")) and "all zero" in e for e in after), after
