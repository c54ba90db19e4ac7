"""Fuzzing the core entry points: random shapes, dtypes and values either work or raise ours.

Contract, for every example: the call returns a finite result of the right shape, or
raises a :class:`~core.errors.StitchboardError` subclass. Any other exception fails the
test (hypothesis then shrinks it to a minimal input). Numbers of examples and time per
target are printed at the end of the run (``fuzz:`` lines) and, with
``STITCHBOARD_FUZZ_REPORT=path.json``, written to a file.

Bounded for CI: ``STITCHBOARD_FUZZ_SCALE`` (default 1) multiplies the number of
examples; the whole suite takes well under a minute at scale 1. Under ``CI`` the
examples are derandomized (the same every run); locally each run explores new ones.
"""

from __future__ import annotations

import os
import time
import warnings
from datetime import timedelta

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import (
    LatentSpace,
    LatentTranslation,
    RelativeProjection,
    compare_spaces,
    relative_projection,
    select_anchors,
    stitching_matrix,
)
from core.methods.anchors import STRATEGIES, validate_anchor_ids
from core.errors import StitchboardError
from core.maps.layout import compute_layout, layout_pair
from core.methods.metrics import METRICS
from core.methods.similarities import SIMILARITIES
from core.io.session import FIELDS, from_json
from core.io.session_query import from_query
from core.methods.translation import TRANSLATIONS

SCALE = float(os.environ.get("STITCHBOARD_FUZZ_SCALE", "1"))


def fuzz_settings(examples: int, deadline_s: float = 20.0):
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=timedelta(seconds=deadline_s),
        derandomize=bool(os.environ.get("CI")),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


def run(stats, target: str, call, check):
    """One example: ``call()`` must return something ``check`` accepts, or raise ours."""
    s = stats.setdefault(target, {"examples": 0, "raised": 0, "other": 0, "seconds": 0.0})
    s["examples"] += 1
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numerical warnings are not failures; exceptions are
            out = call()
    except StitchboardError as exc:
        s["raised"] += 1
        if os.environ.get("STITCHBOARD_FUZZ_REASONS"):
            key = f"{type(exc).__name__}: {' '.join(str(exc).split()[:6])}"
            s.setdefault("reasons", {})[key] = s.setdefault("reasons", {}).get(key, 0) + 1
        return None
    except BaseException:
        s["other"] += 1
        raise
    finally:
        s["seconds"] += time.perf_counter() - t0
    check(out)
    return out


# ------------------------------------------------------------------ strategies

FLOAT_DTYPES = [np.float16, np.float32, np.float64]
ODD_DTYPES = [np.int8, np.int32, np.int64, np.uint8, np.bool_, np.complex128, "U3", object]
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, 1e300, -1e300, 1e-300, 5e-324, 3e38, 1e-40, 6e4]
SCALES = [1e-300, 1e-40, 1e-20, 1e20, 1e38, 1e300]


def _make(mode: str, shape, dtype, seed: int, rows_equal_to=None):
    """Build a test array with numpy (fast) from what hypothesis drew."""
    rng = np.random.default_rng(seed)
    if dtype == "U3":
        return rng.choice(np.array(["a", "1.5", ""]), size=shape)
    if dtype is object:
        pool = np.array([1.5, -2, None, "x", 3], dtype=object)
        out = np.empty(shape, dtype=object)
        out[...] = pool[rng.integers(0, len(pool), size=shape)]
        return out
    dt = np.dtype(dtype)
    if dt.kind in "iub":
        lo, hi = (0, 2) if dt.kind == "b" else (max(-3, np.iinfo(dt).min), 4)
        return rng.integers(lo, hi, size=shape).astype(dt)
    if dt.kind == "c":
        return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dt)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        M = rng.normal(size=shape)
        if mode == "scaled":
            M = M * SCALES[seed % len(SCALES)]
        elif mode == "special" and M.size:
            for _ in range(1 + seed % 3):
                idx = tuple(int(rng.integers(0, s)) for s in shape)
                M[idx] = SPECIAL[int(rng.integers(0, len(SPECIAL)))]
        elif mode == "zero-row" and M.ndim == 2 and M.shape[0]:
            M[int(rng.integers(0, M.shape[0]))] = 0.0
        elif mode == "constant" and M.ndim == 2 and M.shape[0]:
            M[:] = M[0]
        elif mode == "duplicates" and M.ndim == 2 and M.shape[0] > 1:
            M[1:] = M[rng.integers(0, M.shape[0], size=M.shape[0] - 1)]
        return M.astype(dt)


NASTY = ["scaled", "special", "special", "zero-row", "constant", "duplicates"]
MODES = ["clean"] * 5 + NASTY
MOSTLY_CLEAN = ["clean"] * 30 + NASTY


@st.composite
def matrices(draw, *, rows=(2, 8), cols=(1, 6), nasty=True, n_rows=None, n_cols=None, modes=MODES):
    """Mostly 2-D float arrays, often clean, sometimes huge, tiny, NaN/Inf, zero or odd.

    One draw in ten has an odd dtype, or an odd ndim, or 0/1 rows or 0 columns.
    """
    odd = nasty and draw(st.integers(0, 9)) == 0
    if odd and draw(st.booleans()):
        shape = draw(st.one_of(
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
            st.tuples(st.integers(0, 1), st.integers(0, 3)),
            st.tuples(st.integers(0, 4), st.just(0)),
        ))
        odd = draw(st.booleans())  # odd shape, and maybe an odd dtype too
    else:
        shape = (n_rows if n_rows is not None else draw(st.integers(*rows)),
                 n_cols if n_cols is not None else draw(st.integers(*cols)))
    if odd:
        dtype = draw(st.sampled_from(ODD_DTYPES))
    else:
        dtype = draw(st.sampled_from(FLOAT_DTYPES)) if nasty else np.float64
    mode = draw(st.sampled_from(modes)) if nasty else "clean"
    return _make(mode, shape, dtype, draw(st.integers(0, 2**16)))


def _dims(M):
    return (M.shape[0] if M.ndim >= 1 else 0), (M.shape[1] if M.ndim >= 2 else 0)


def _like(data, M, *, rows=None, cols=None, same_rows=False, same_cols=False, **kw):
    """Another matrix that usually (4 times in 5) shares M's rows and/or cols."""
    match = data.draw(st.integers(0, 4)) > 0
    n, d = _dims(M)
    return data.draw(matrices(
        n_rows=n if (same_rows and match) else None, n_cols=d if (same_cols and match and d) else None,
        rows=rows or (2, 8), cols=cols or (1, 6), **kw,
    ))


def _finite_2d(M, shape=None):
    assert isinstance(M, np.ndarray) and M.ndim == 2, type(M)
    assert M.dtype in (np.float32, np.float64), M.dtype
    assert np.isfinite(M).all(), "non-finite output"
    if shape is not None:
        assert M.shape == shape, (M.shape, shape)


@st.composite
def spaces(draw, *, name="enc", rows=(2, 10), cols=(1, 5), labels=True, ids=None):
    V = draw(matrices(rows=rows, cols=cols))
    n = V.shape[0] if V.ndim >= 1 else 0
    if ids is None:
        ids = draw(st.sampled_from(["range", "range", "range", "dup", "str", "float"]))
    id_arr = {
        "range": np.arange(n),
        "dup": np.array([i // 2 for i in range(n)]),
        "str": np.array([f"s{i}" for i in range(n)]),
        "float": np.arange(n) + 0.5,
    }[ids] if isinstance(ids, str) else ids
    lab = None
    if labels:
        lab = draw(st.sampled_from(["mod3", "mod3", "mod3", "mod3", "nan", "single"]))
        lab = {"mod3": np.arange(n) % 3, "single": np.zeros(n), "nan": np.where(np.arange(n) == 1, np.nan, 1.0)}[lab]
    return V, id_arr, lab


# ------------------------------------------------------------------ targets


@fuzz_settings(250)
@given(data=spaces())
def test_fuzz_latent_space(fuzz_stats, data):
    V, ids, labels = data

    def check(s):
        _finite_2d(s.vectors)
        assert s.ids.shape == (s.n_samples,) and len(np.unique(s.ids)) == s.n_samples

    run(fuzz_stats, "LatentSpace", lambda: LatentSpace(V, ids, labels=labels, name="é"), check)


@fuzz_settings(400)
@given(
    data=st.data(),
    X=matrices(),
    similarity=st.sampled_from(SIMILARITIES),
    center=st.sampled_from([None, "anchors"]),
    scale=st.booleans(),
    topk=st.sampled_from([None, 1, 2, 7]),
    power=st.sampled_from([1.0, 0.5, 3.0, 40.0]),
)
def test_fuzz_relative_projection(fuzz_stats, data, X, similarity, center, scale, topk, power):
    A = _like(data, X, rows=(1, 5), same_cols=True)
    def check(R):
        k = A.shape[0] * (4 if similarity == "product" else 1)
        _finite_2d(R, (X.shape[0], k))

    run(fuzz_stats, "relative_projection", lambda: relative_projection(
        X, A, similarity=similarity, center=center, scale=scale, topk=topk, power=power), check)


@fuzz_settings(150)
@given(
    data=st.data(),
    A=matrices(rows=(1, 5)),
    similarity=st.sampled_from(SIMILARITIES),
    center=st.sampled_from([None, "anchors"]),
)
def test_fuzz_relative_estimator(fuzz_stats, data, A, similarity, center):
    X = _like(data, A, same_cols=True)
    def call():
        return RelativeProjection(similarity, center=center).fit(A).transform(X)

    def check(R):
        _finite_2d(R, (X.shape[0], A.shape[0] * (4 if similarity == "product" else 1)))

    run(fuzz_stats, "RelativeProjection", call, check)


@fuzz_settings(150)
@given(
    data=spaces(ids="range", rows=(2, 12)),
    n_anchors=st.one_of(st.integers(1, 6), st.integers(1, 6), st.integers(-2, 14), st.sampled_from([2.5, None, True])),
    strategy=st.sampled_from(STRATEGIES + ("explicit",)),
    seed=st.integers(-1, 2**32),
    explicit=st.lists(st.one_of(st.integers(-1, 14), st.text(max_size=2)), max_size=5),
)
def test_fuzz_select_anchors(fuzz_stats, data, n_anchors, strategy, seed, explicit):
    V, ids, labels = data

    def call():
        space = LatentSpace(V, ids, labels=labels)
        out = select_anchors(space, n_anchors, strategy=strategy, random_state=seed,
                             ids=explicit if strategy == "explicit" else None)
        return space, out

    def check(res):
        space, out = res
        assert len(np.unique(out)) == len(out) and np.isin(out, space.ids).all()
        if strategy != "explicit":
            assert len(out) == n_anchors
        assert np.array_equal(validate_anchor_ids(space, out), out)

    run(fuzz_stats, "select_anchors", call, check)


@fuzz_settings(150, deadline_s=30)
@given(
    data=st.data(),
    n_train=st.integers(3, 8),
    n_test=st.integers(1, 4),
    dims=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    labels=st.sampled_from(["two", "two", "two", "one", "none"]),
    similarity=st.sampled_from(SIMILARITIES),
    translation=st.sampled_from(TRANSLATIONS),
)
def test_fuzz_stitching_matrix(fuzz_stats, data, n_train, n_test, dims, labels, similarity, translation):
    # several matrices per example: mostly clean ones, or nearly every example would stop at a NaN
    tr = [data.draw(matrices(n_rows=n_train, n_cols=d, modes=MOSTLY_CLEAN)) for d in dims]
    te = [data.draw(matrices(n_rows=n_test, n_cols=d, modes=MOSTLY_CLEAN)) for d in dims]
    anchors = data.draw(st.one_of(
        st.lists(st.integers(0, n_train - 1), min_size=2, max_size=n_train, unique=True),
        st.lists(st.integers(0, n_train - 1), min_size=2, max_size=n_train, unique=True),
        st.lists(st.integers(-1, 200), max_size=4),
    ))

    def space(V, offset, name):
        n = _dims(V)[0]
        y = {"two": np.arange(n) % 2, "one": np.zeros(n, int), "none": None}[labels]
        return LatentSpace(V, np.arange(offset, offset + n), labels=y, name=name)

    def call():
        train = {"a": space(tr[0], 0, "a"), "b": space(tr[1], 0, "b")}
        test = {"a": space(te[0], 100, "a"), "b": space(te[1], 100, "b")}
        res = stitching_matrix(train, test, anchors, modes=("absolute", "relative", "translated"),
                               similarity=similarity, translation=translation)
        return train, res

    def check(out):
        train, res = out
        for mode, M in res.scores.items():
            assert M.shape == (2, 2)
            ok = np.isfinite(M) & (M >= 0) & (M <= 1)
            if mode == "absolute":  # NaN exactly where the dims differ
                differ = np.array([[train[a].n_dims != train[b].n_dims for b in "ab"] for a in "ab"])
                assert np.array_equal(np.isnan(M), differ) and ok[~differ].all()
            else:
                assert ok.all(), (mode, M)

    run(fuzz_stats, "stitching_matrix", call, check)


@fuzz_settings(250)
@given(
    data=st.data(),
    S=matrices(rows=(2, 6)),
    method=st.sampled_from(TRANSLATIONS),
    scaling=st.sampled_from(["feature", "isotropic", None]),
    pad=st.booleans(),
)
def test_fuzz_latent_translation(fuzz_stats, data, S, method, scaling, pad):
    T = _like(data, S, rows=(2, 6), same_rows=True)
    X = _like(data, S, same_cols=True)
    def call():
        t = LatentTranslation(method, scaling=scaling, pad=pad).fit(S, T)
        return t, t.transform(X)

    def check(out):
        t, Y = out
        _finite_2d(Y, (X.shape[0], t.n_features_out_))

    run(fuzz_stats, "LatentTranslation", call, check)


@fuzz_settings(200)
@given(data=st.data(), X=matrices(rows=(2, 9)), k=st.one_of(st.integers(1, 3), st.integers(-1, 6), st.just(2.0)))
def test_fuzz_compare_spaces(fuzz_stats, data, X, k):
    Y = _like(data, X, rows=(2, 9), same_rows=True)
    def check(out):
        assert set(out) == set(METRICS)
        for name, v in out.items():
            if np.isnan(v):  # documented: coordinate metrics across dims; RSA with equal distances
                assert (METRICS[name][1] and X.shape[1] != Y.shape[1]) or name == "rsa", name
            else:
                assert np.isfinite(v), (name, v)

    run(fuzz_stats, "compare_spaces", lambda: compare_spaces(X, Y, k=k), check)


@fuzz_settings(200)
@given(data=st.data(), X=matrices(rows=(2, 9)), frame=st.sampled_from(["A", "own"]))
def test_fuzz_layout_pca(fuzz_stats, data, X, frame):
    Y = _like(data, X, rows=(2, 9), same_rows=True)
    def check(out):
        LA, LB = out
        assert LA.dtype == np.float32 and np.isfinite(LA).all() and LA.shape == (X.shape[0], 2)
        assert LB.dtype == np.float32 and np.isfinite(LB).all() and LB.shape == (Y.shape[0], 2)

    def call():
        LA = compute_layout(X, method="pca")
        _, LB, _ = layout_pair(X, Y, method="pca", frame=frame)
        return LA, LB

    run(fuzz_stats, "compute_layout(pca)", call, check)


KEYS = [*FIELDS, "evil", "", "__proto__"]
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=5), c, max_size=4)),
    max_leaves=12,
)
ID_TEXT = st.one_of(st.text(alphabet="0123456789,-[]\" xa", max_size=12), st.text(max_size=8))


@fuzz_settings(300)
@given(
    session=st.dictionaries(st.sampled_from(KEYS), JSONISH, max_size=6),
    raw=st.one_of(st.binary(max_size=64), st.text(max_size=64)),
    cut=st.integers(0, 200),
    ids_text=ID_TEXT,
)
def test_fuzz_session(fuzz_stats, session, raw, cut, ids_text):
    import json

    def check(out):
        assert isinstance(out, dict) and set(out) <= set(KEYS)
        json.dumps(out, allow_nan=False)

    text = json.dumps(session)
    ids = np.arange(20)
    for required in ((), ("version", "dataset")):
        run(fuzz_stats, "session.from_json", lambda: from_json(text, ids=ids, required=required), check)
    run(fuzz_stats, "session.from_json", lambda: from_json(text[:cut] + text[cut + 1:], ids=ids, required=()), check)
    run(fuzz_stats, "session.from_json", lambda: from_json(raw, ids=ids), check)
    query = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in session.items()}
    run(fuzz_stats, "session.from_query", lambda: from_query(query, ids=ids), check)
    run(fuzz_stats, "session.from_query", lambda: from_query({"anchors": ids_text, "highlight": [ids_text]}, ids=ids), check)


def test_fuzz_contract_can_fail(fuzz_stats):
    """The harness itself: a crash that is not ours fails, a wrong result fails."""
    with pytest.raises(ZeroDivisionError):
        run({}, "self-test", lambda: 1 / 0, lambda out: None)
    with pytest.raises(AssertionError):
        run({}, "self-test", lambda: np.array([[np.nan]]), _finite_2d)
    assert run({}, "self-test", lambda: np.ones((2, 2)), _finite_2d) is not None
