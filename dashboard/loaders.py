"""Cached calls into ``core``: the only module of the dashboard with caching decorators.

Cache keys are the parameters that made each result (source, encoder names, anchor
ids, layout settings), so a figure is a deterministic function of its inputs.

A *source* is a string naming a :class:`core.spaces.collection.Collection`: a bundled dataset
name (``"digits"``, ``"wine"``, ``"breast_cancer"``, ``"text"``) or the key returned
by :func:`register_collection` for the user's uploads (``"upload:<content hash>"``).
Keys of uploads are content hashes, so two sessions only ever share a cache entry
when they uploaded the very same bytes with the same options.

Long computations (the UMAP / t-SNE maps, the anchor sweep) take ``progress`` and
``should_stop`` callbacks, which ``st.cache_data`` cannot hold (it replays the elements
drawn inside a cached function, and a progress bar lives outside it). They are kept in
a :class:`Results` store instead: a result is stored only when its computation returns,
so a cancelled or failed one leaves nothing behind and the next call starts afresh.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from typing import Callable, Hashable

import numpy as np
import pandas as pd
import streamlit as st

from core.methods.anchors import select_anchors
from core.spaces.collection import Collection
from core.spaces.datasets import DATASETS
from core.spaces.describe import sample_descriptions
from core.runtime.disk_cache import DiskCache, content_key, default_cache, package_versions
from core.errors import CancelledError
from core.io.export import csv_bytes, relative_table
from core.spaces.latent_space import LatentSpace
from core.maps.layout import layout_pair
from core.methods.metrics import compare_spaces
from core.maps.neighbours import nearest_neighbours
from core.methods.pair_stitching import PairStitching, stitch_pair
from core.methods.playground import transform_effect
from core.methods.reconstruction import reconstruction_stitching
from core.methods.relative import relative_projection
from core.methods.stitching import fit_absolute_heads, stitching_matrix
from core.methods.sweep import anchor_sweep
from core.methods.transforms import transform_space
from core.spaces.zoo import Zoo

import weakref


@st.cache_resource(show_spinner=False)
def disk_cache() -> DiskCache:
    """The layout and zoo-vector cache on disk, shared by server processes (see :mod:`core.runtime.disk_cache`)."""
    return default_cache()


@st.cache_resource(show_spinner=False)
def zoo(dataset: str) -> Zoo:
    return Zoo(dataset, cache=disk_cache())


@st.cache_resource(show_spinner=False)
def _layout_code_version() -> tuple:
    """What a cached layout also depends on: our layout code and the libraries it calls."""
    import core.maps.layout
    import core.maps.neighbours

    sources = tuple(content_key(open(m.__file__, "rb").read()) for m in (core.maps.layout, core.maps.neighbours))
    return sources + package_versions("umap-learn", "pynndescent", "numba", "scikit-learn", "numpy", "scipy")


@st.cache_resource(show_spinner=False)
def _uploads() -> weakref.WeakValueDictionary:
    """Uploaded collections by source key, held *weakly*: the sessions that uploaded them
    hold the strong references (in their session state), so an upload is released when the
    last session holding it ends."""
    return weakref.WeakValueDictionary()


def register_collection(key: str, coll: Collection, *, holder: dict) -> str:
    """Make an uploaded collection available under ``"upload:<key>"`` (key = content hash).

    Parameters
    ----------
    key : str
        A hash of the uploaded bytes and the load options.
    coll : Collection
    holder : dict
        Where the caller keeps the strong reference, e.g. a dict in the session state.

    Returns
    -------
    str
        The source key.
    """
    source = f"upload:{key}"
    coll = _uploads().setdefault(source, coll)
    holder[source] = coll
    return source


def is_available(source: str) -> bool:
    return source in DATASETS or source in _uploads()


def source_label(source: str) -> str:
    """Human name of a source for selectors."""
    if source in DATASETS:
        return {"breast_cancer": "breast cancer"}.get(source, source) + " (bundled)"
    coll = _uploads().get(source)
    if coll is None:
        return source
    return f"{coll.name} ({'encoded' if coll.meta.get('source') == 'pretrained' else 'uploaded'})"


@st.cache_resource(show_spinner=False)
def _bundled_collection(dataset: str) -> Collection:
    return zoo(dataset).collection()


def collection(source: str) -> Collection:
    """The collection behind a source key (bundled dataset name or upload key)."""
    if source in DATASETS:
        return _bundled_collection(source)
    try:
        return _uploads()[source]
    except KeyError:
        raise KeyError(f"source {source!r} is no longer loaded; upload the files again on the Data & encoders page") from None


@st.cache_resource(show_spinner=False, max_entries=64)
def spaces(source: str, split: str) -> dict:
    """Spaces of a source restricted to a split (read-only arrays, shared, never copied)."""
    return collection(source).part(split)


@st.cache_data(show_spinner=False, max_entries=64)
def anchors(source: str, n_anchors: int, strategy: str, seed: int, encoder: str | None = None) -> tuple:
    """Anchor ids picked by a strategy among the train samples of ``encoder`` (the first space by default)."""
    train = spaces(source, "train")
    space = train[encoder] if encoder is not None else next(iter(train.values()))
    return tuple(i.item() if hasattr(i, "item") else i
                 for i in select_anchors(space, n_anchors, strategy=strategy, random_state=seed))


@st.cache_data(show_spinner=False, max_entries=4)
def absolute_stitching(source: str):
    return stitching_matrix(
        spaces(source, "train"), spaces(source, "test"), [], modes=("absolute",), absolute_heads=absolute_heads(source)
    )


@st.cache_data(show_spinner=False, max_entries=32)
def relative_stitching(source: str, anchor_ids: tuple):
    return stitching_matrix(spaces(source, "train"), spaces(source, "test"), list(anchor_ids), modes=("relative",))


def map_vectors(source: str, encoder: str, anchor_ids: tuple | None) -> np.ndarray:
    """All samples of one encoder: absolute vectors, or relative to the anchors (read-only)."""
    if anchor_ids is None:
        return spaces(source, "all")[encoder].vectors
    return _relative_vectors(source, encoder, tuple(anchor_ids))


@st.cache_resource(show_spinner=False, max_entries=2)  # A and B of the anchors being drawn: 40 MB each at 100k x 100
def _relative_vectors(source: str, encoder: str, anchor_ids: tuple) -> np.ndarray:
    # An anchor edit needs them twice (the layout's disk-cache key, then the layout): at 100k rows that is
    # 0.1-0.7 s per projection, depending on what else the machine is doing. Shared, hence read-only.
    space = spaces(source, "all")[encoder]
    R = relative_projection(space.vectors, space.take(list(anchor_ids)))
    R.setflags(write=False)
    return R


class Results:
    """Finished results of long computations by key: at most ``max_entries``, least recently
    used dropped first.

    A result is stored only when its computation returns. One computation per key runs at
    a time: a second caller of the same key waits for the first (still stoppable through
    its own ``should_stop``) and then reuses its result, or computes it if the first one
    was cancelled.
    """

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict = {}

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

    def get(self, key: Hashable, compute: Callable[[], object], *, should_stop: Callable[[], bool] | None = None):
        """The result for ``key``, computing it with ``compute()`` if it is not stored."""
        found, value = self._lookup(key)
        if found:
            return value
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        while not key_lock.acquire(timeout=0.05):  # another session computes the same key
            if should_stop is not None and should_stop():
                raise CancelledError("stopped while waiting for the same computation in another session")
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
            key_lock.release()


@st.cache_resource(show_spinner=False)
def _layout_results() -> Results:
    return Results(max_entries=64)


def layout_key(source: str, enc_a: str, enc_b: str, anchor_ids, method: str, frame: str,
               n_neighbors: int = 15, min_dist: float = 0.1, perplexity: float = 30.0) -> tuple:
    """The parameters that make a pair of maps, normalised (unused ones set to their defaults)."""
    return (source, enc_a, enc_b, None if anchor_ids is None else tuple(anchor_ids), method, frame,
            int(n_neighbors) if method == "umap" else 15, float(min_dist) if method == "umap" else 0.1,
            float(perplexity) if method == "tsne" else 30.0)


def _layout_inputs(key: tuple, *, should_stop=None):
    """A's and B's vectors, the keyword arguments of ``layout_pair`` and the reference map of a :func:`layout_key`."""
    source, a, b, ids, m, f, nn, md, perp = key
    XA, XB = map_vectors(source, a, ids), map_vectors(source, b, ids)
    kw = dict(method=m, frame=f, n_neighbors=nn, min_dist=md, perplexity=perp)
    ref = None
    if ids is not None:
        ref = layouts(source, a, b, None, m, f, nn, md, perp, should_stop=should_stop)[0]
        kw.update(init=ref if m in ("umap", "tsne") else None, reference=ref)
    return XA, XB, kw, ref


@st.cache_resource(show_spinner=False, max_entries=256)
def _disk_key(key: tuple) -> str:
    """The disk-cache key of a :func:`layout_key`: the vectors' content and the settings (hashed once per process)."""
    XA, XB, kw, ref = _layout_inputs(key)
    settings = sorted((k, v) for k, v in kw.items() if k not in ("init", "reference"))
    return content_key("layout_pair", XA, XB, ref, settings, _layout_code_version())


def layouts(source: str, enc_a: str, enc_b: str, anchor_ids: tuple | None, method: str, frame: str,
            n_neighbors: int = 15, min_dist: float = 0.1, perplexity: float = 30.0, *, progress=None,
            should_stop=None):
    """Layouts of A and B (absolute when ``anchor_ids`` is None, else relative): ``(LA, LB, frame_used)``.

    The relative row starts from A's absolute map (UMAP / t-SNE warm start) and is
    oriented like it, so anchor edits move the relative maps only as much as the data do.
    ``progress`` and ``should_stop`` go to :func:`core.maps.layout.layout_pair`; a cancelled
    computation raises :class:`core.errors.CancelledError` and stores nothing.
    UMAP and t-SNE maps are also kept on disk (:mod:`core.runtime.disk_cache`), keyed by the
    vectors' content and the settings, so a new server process reads them back.
    """
    key = layout_key(source, enc_a, enc_b, anchor_ids, method, frame, n_neighbors, min_dist, perplexity)

    def compute():
        XA, XB, kw, _ = _layout_inputs(key, should_stop=should_stop)
        if method == "pca":  # milliseconds: not worth a disk round trip
            LA, LB, used = layout_pair(XA, XB, progress=progress, should_stop=should_stop, **kw)
        else:
            def run() -> dict:
                LA, LB, used = layout_pair(XA, XB, progress=progress, should_stop=should_stop, **kw)
                return {"LA": LA, "LB": LB, "used": np.array(used)}

            out = disk_cache().memoize("layout_pair", _disk_key(key), run)
            LA, LB, used = out["LA"], out["LB"], str(out["used"])
        for L in (LA, LB):
            L.setflags(write=False)  # shared by every session that asks for the same maps
        return LA, LB, used

    return _layout_results().get(key, compute, should_stop=should_stop)


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
    return disk_cache().contains("layout_pair", _disk_key(key))


@st.cache_resource(show_spinner=False)
def absolute_heads(source: str) -> dict:
    """Heads on each encoder's absolute space: independent of the anchors, trained once."""
    return fit_absolute_heads(spaces(source, "train"))


@st.cache_data(show_spinner=False, max_entries=32)
def translated_stitching(source: str, anchor_ids: tuple):
    return stitching_matrix(
        spaces(source, "train"), spaces(source, "test"), list(anchor_ids), modes=("translated",),
        absolute_heads=absolute_heads(source),
    )


# ---------------------------------------------------------------- explorer, drill-downs, pages


@st.cache_resource(show_spinner=False, max_entries=16)
def hover_text(source: str) -> np.ndarray:
    """One hover line per sample: id, split, label, then its text or first feature values."""
    # unicode, not object: plotly deep-copies object arrays string by string (seconds at 100k points)
    return np.asarray(sample_descriptions(collection(source))).astype(str)


@st.cache_data(show_spinner=False, max_entries=64)
def pair_stitching(source: str, head_encoder: str, space_encoder: str, anchor_ids: tuple, mode: str) -> PairStitching:
    """One head fed one space, with per-sample predictions (see :func:`core.methods.pair_stitching.stitch_pair`)."""
    return stitch_pair(
        spaces(source, "train"), spaces(source, "test"), list(anchor_ids), head_encoder=head_encoder,
        space_encoder=space_encoder, mode=mode,
        absolute_head=absolute_heads(source)[head_encoder] if mode != "relative" else None,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def pair_relative_stitching(source: str, enc_a: str, enc_b: str, anchor_ids: tuple):
    """Relative stitching of A and B only (2 heads): the live readout of an anchor edit."""
    names = list(dict.fromkeys([enc_a, enc_b]))
    train, test = spaces(source, "train"), spaces(source, "test")
    return stitching_matrix({n: train[n] for n in names}, {n: test[n] for n in names}, list(anchor_ids), modes=("relative",))


@st.cache_data(show_spinner=False, max_entries=16)
def relative_csv(source: str, encoder: str, anchor_ids: tuple) -> bytes:
    return csv_bytes(relative_table(collection(source), encoder, anchor_ids))


@st.cache_data(show_spinner=False, max_entries=16)
def relative_parquet(source: str, encoder: str, anchor_ids: tuple) -> bytes:
    buf = io.BytesIO()
    relative_table(collection(source), encoder, anchor_ids).to_parquet(buf, index=False)
    return buf.getvalue()


@st.cache_data(show_spinner=False, max_entries=32)
def space_metrics(source: str, enc_a: str, enc_b: str, anchor_ids: tuple, k: int) -> pd.DataFrame:
    """Every space metric of A vs B, absolute and relative (all samples)."""
    sp = spaces(source, "all")
    A, B = sp[enc_a], sp[enc_b]
    abs_m = compare_spaces(A.vectors, B.vectors, k=k)
    rel_m = compare_spaces(
        relative_projection(A.vectors, A.take(list(anchor_ids))), relative_projection(B.vectors, B.take(list(anchor_ids))), k=k
    )
    return pd.DataFrame({"absolute": abs_m, "relative": rel_m})


@st.cache_data(show_spinner=False, max_entries=64)
def neighbours(source: str, encoder: str, anchor_ids: tuple | None, query_id, k: int):
    """Ids and cosine similarities of the k nearest samples to ``query_id`` in one space."""
    coll = collection(source)
    X = map_vectors(source, encoder, anchor_ids)
    q = int(coll.spaces[encoder].positions([query_id])[0])
    pos, sims = nearest_neighbours(X, q, k=k)
    return coll.ids[pos], sims


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
        return anchor_sweep(spaces(source, "train"), spaces(source, "test"), list(counts), pairs=pairs,
                            strategies=strategies, seeds=seeds, modes=("relative", "translated"), progress=progress,
                            should_stop=should_stop)

    return _sweep_results().get(key, compute, should_stop=should_stop).copy()


@st.cache_data(show_spinner=False, max_entries=8)
def reconstruction(source: str, decoder: str, anchor_ids: tuple, encoders: tuple):
    """A decoder trained on one autoencoder's space, fed each given space's test vectors (pixels)."""
    coll = collection(source)
    if coll.images is None:
        raise ValueError(f"{coll.name} has no images to reconstruct")
    pixels = LatentSpace(coll.images.reshape(coll.n_samples, -1), coll.ids, name="pixels")
    return reconstruction_stitching(
        spaces(source, "train"), spaces(source, "test"), pixels, list(anchor_ids), decoder=decoder, encoders=list(encoders)
    )


@st.cache_data(show_spinner=False, max_entries=16)
def transformed_space(source: str, encoder: str, kind: str, strength: float, seed: int) -> np.ndarray:
    """Every sample of one encoder's space after a transform (see :func:`core.methods.transforms.transform_space`)."""
    return transform_space(spaces(source, "all")[encoder].vectors, kind=kind, strength=strength, random_state=seed)


@st.cache_data(show_spinner=False, max_entries=16)
def playground(source: str, enc_a: str, enc_b: str, anchor_ids: tuple, kind: str, strength: float, seed: int,
               center: bool) -> dict:
    """Stitching and maps before/after transforming B: see :func:`core.methods.playground.transform_effect`."""
    coll = collection(source)
    moved = transformed_space(source, enc_b, kind, strength, seed)
    return transform_effect(coll, enc_a, enc_b, moved, list(anchor_ids), center="anchors" if center else None)
