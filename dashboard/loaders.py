"""Cached calls into ``core``. This module, :mod:`dashboard.results` and
:mod:`dashboard.readouts` (its one server thread) are the only ones of the dashboard with
caching decorators.

Cache keys are the parameters that made each result (source, encoder names, anchor
ids, layout settings), so a figure is a deterministic function of its inputs.

A *source* is a string naming a :class:`core.spaces.collection.Collection`: a bundled dataset
name (``"digits"``, ``"wine"``, ``"breast_cancer"``, ``"text"``) or the key returned
by :func:`register_collection` for the user's uploads (``"upload:<content hash>"``).
Keys of uploads are content hashes, so two sessions only ever share a cache entry
when they uploaded the very same bytes with the same options.

Long computations (the UMAP / t-SNE maps, the anchor sweep) report progress and can be
stopped, so their results are kept by :mod:`dashboard.results` instead.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import streamlit as st

from core.encode.images import bundled_digit_images
from core.encode.media import MediaSet, bundled_texts
from core.methods.anchors import select_anchors
from core.spaces.collection import Collection
from core.spaces.datasets import DATASETS
from core.spaces.describe import sample_descriptions
from core.runtime.disk_cache import DiskCache, default_cache
from core.io.export import csv_bytes, relative_table
from core.spaces.latent_space import LatentSpace
from core.methods import agreement as agreement_methods
from core.methods.metrics import METRICS, compare_spaces
from core.methods.neighbours import nearest_neighbours
from core.methods.pair_stitching import PairStitching, stitch_pair
from core.methods.playground import transform_effect
from core.methods.reconstruction import reconstruction_stitching
from core.methods.relative import relative_projection
from core.methods.stitching import fit_absolute_heads, stitching_matrix
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
    # An anchor edit needs them twice (the layout's disk-cache key, then the layout). Shared, hence read-only.
    space = spaces(source, "all")[encoder]
    R = relative_projection(space.vectors, space.take(list(anchor_ids)))
    R.setflags(write=False)
    _made_relative()[(source, encoder, tuple(anchor_ids))] = R
    return R


@st.cache_resource(show_spinner=False)
def _made_relative() -> weakref.WeakValueDictionary:
    """The arrays :func:`_relative_vectors` made and still holds, by (source, encoder, anchor ids)."""
    return weakref.WeakValueDictionary()


def relative_vectors_at_hand(source: str, encoders, anchor_ids: tuple) -> dict[str, np.ndarray] | None:
    """Every sample's relative vectors of ``encoders`` (rows as :func:`map_vectors`) if the maps projected
    them already, else None. Never projects: the readout of a large collection reuses them instead of
    projecting the same rows again beside the maps."""
    made = _made_relative()
    arrays = {e: made.get((source, e, tuple(anchor_ids))) for e in dict.fromkeys(encoders)}
    return None if any(R is None for R in arrays.values()) else arrays


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


def _pair_inputs(source: str, enc_a: str, enc_b: str) -> tuple[dict, dict]:
    names = list(dict.fromkeys([enc_a, enc_b]))
    train, test = spaces(source, "train"), spaces(source, "test")
    return {n: train[n] for n in names}, {n: test[n] for n in names}


@st.cache_data(show_spinner=False, max_entries=32)
def pair_relative_stitching(source: str, enc_a: str, enc_b: str, anchor_ids: tuple):
    """Relative stitching of A and B only (2 heads): the live readout of an anchor edit."""
    return stitching_matrix(*_pair_inputs(source, enc_a, enc_b), list(anchor_ids), modes=("relative",))


@st.cache_data(show_spinner=False, max_entries=16)
def relative_csv(source: str, encoder: str, anchor_ids: tuple) -> bytes:
    return csv_bytes(relative_table(collection(source), encoder, anchor_ids))


@st.cache_data(show_spinner=False, max_entries=16)
def relative_parquet(source: str, encoder: str, anchor_ids: tuple) -> bytes:
    buf = io.BytesIO()
    relative_table(collection(source), encoder, anchor_ids).to_parquet(buf, index=False)
    return buf.getvalue()


#: Metrics of :func:`space_metrics` that depend on its ``k``: computed from cached neighbour lists.
K_METRICS = ("jaccard", "mutual_knn")
#: Neighbours kept per sample and space: the k sliders go up to it.
K_MAX = 50
#: Metrics built on (n, n) matrices of all pairs; above :data:`PAIRWISE_UP_TO` samples they are left
#: out (n/a): at 10k samples each such matrix is 800 MB, at 100k 80 GB.
PAIRWISE = ("mrr", "debiased_cka", "rbf_cka", "rsa")
PAIRWISE_UP_TO = 10_000


@st.cache_data(show_spinner=False, max_entries=32)
def _space_metrics_without_k(source: str, enc_a: str, enc_b: str, anchor_ids: tuple) -> pd.DataFrame:
    large = collection(source).n_samples > PAIRWISE_UP_TO
    names = [m for m in METRICS if m not in K_METRICS and not (large and m in PAIRWISE)]
    return pd.DataFrame({kind: compare_spaces(map_vectors(source, enc_a, rel), map_vectors(source, enc_b, rel),
                                              metrics=names)
                         for kind, rel in (("absolute", None), ("relative", anchor_ids))},
                        index=[m for m in METRICS if m not in K_METRICS])


def space_metrics(source: str, enc_a: str, enc_b: str, anchor_ids: tuple, k: int) -> pd.DataFrame:
    """Every space metric of A vs B, absolute and relative (all samples), in :data:`METRICS` order.

    Only Jaccard@k and mutual kNN@k depend on ``k``: they are the means of the per-sample
    :func:`core.methods.agreement.cross_jaccard` and ``neighbourhood_overlap`` of cached
    neighbour lists, so a new ``k`` costs milliseconds.
    """
    table = _space_metrics_without_k(source, enc_a, enc_b, tuple(anchor_ids)).copy()
    for kind, rel in (("absolute", None), ("relative", tuple(anchor_ids))):
        NB = neighbour_lists(source, enc_b, rel)
        table.loc["mutual_knn", kind] = agreement_methods.neighbourhood_overlap(
            neighbour_lists(source, enc_a, rel), NB, k=k).mean()
        cross = cross_neighbour_lists(source, enc_a, enc_b, rel)
        table.loc["jaccard", kind] = np.nan if cross is None else agreement_methods.cross_jaccard(cross, NB, k=k).mean()
    return table.loc[list(METRICS)]


@st.cache_resource(show_spinner=False, max_entries=8)
def neighbour_lists(source: str, encoder: str, anchor_ids: tuple | None) -> np.ndarray:
    """The :data:`K_MAX` nearest other samples (rows) of every sample in one space, absolute or relative (read-only)."""
    X = map_vectors(source, encoder, anchor_ids)
    N = agreement_methods.neighbour_lists(X, k=min(K_MAX, len(X) - 1)).astype(np.int32)
    N.setflags(write=False)
    return N


@st.cache_resource(show_spinner=False, max_entries=4)
def cross_neighbour_lists(source: str, enc_a: str, enc_b: str, anchor_ids: tuple | None) -> np.ndarray | None:
    """Each sample's vector in A looked up among B's: its :data:`K_MAX` nearest rows of B (None when dims differ)."""
    XA, XB = map_vectors(source, enc_a, anchor_ids), map_vectors(source, enc_b, anchor_ids)
    if XA.shape[1] != XB.shape[1]:
        return None
    L = agreement_methods.cross_neighbour_lists(XA, XB, k=min(K_MAX, len(XB))).astype(np.int32)
    L.setflags(write=False)
    return L


@st.cache_data(show_spinner=False, max_entries=16)
def agreement(source: str, enc_a: str, enc_b: str, anchor_ids: tuple, k: int) -> pd.DataFrame:
    """Per-sample agreement of A and B (:func:`core.methods.agreement.sample_agreement`'s columns), in
    collection order; the relative columns are NaN with fewer than 2 anchors, ``absolute_cosine`` when dims differ."""
    coll = collection(source)
    out = pd.DataFrame(index=pd.Index(coll.ids, name="id"), columns=list(agreement_methods.AGREEMENT_COLUMNS),
                       dtype=np.float64)
    kinds = (("absolute", None),) + ((("relative", tuple(anchor_ids)),) if len(anchor_ids) >= 2 else ())
    for kind, rel in kinds:
        XA, XB = map_vectors(source, enc_a, rel), map_vectors(source, enc_b, rel)
        out[f"{kind}_overlap"] = agreement_methods.neighbourhood_overlap(
            neighbour_lists(source, enc_a, rel), neighbour_lists(source, enc_b, rel), k=k)
        if XA.shape[1] == XB.shape[1]:
            out[f"{kind}_cosine"] = agreement_methods.sample_cosine(XA, XB)
    return out


@st.cache_data(show_spinner=False, max_entries=64)
def cross_lookup(source: str, enc_a: str, enc_b: str, anchor_ids: tuple | None, query_id, k: int):
    """``query_id``'s vector in A looked up among B's vectors: ids, cosines, and the rank of the
    same sample in B (:func:`core.methods.agreement.cross_lookup`); None when dims differ."""
    coll = collection(source)
    XA, XB = map_vectors(source, enc_a, anchor_ids), map_vectors(source, enc_b, anchor_ids)
    if XA.shape[1] != XB.shape[1]:
        return None
    q = int(coll.spaces[enc_a].positions([query_id])[0])
    pos, sims, rank = agreement_methods.cross_lookup(XA, XB, q, k=k)
    return coll.ids[pos], sims, rank


@st.cache_data(show_spinner=False, max_entries=64)
def neighbours(source: str, encoder: str, anchor_ids: tuple | None, query_id, k: int):
    """Ids and cosine similarities of the k nearest samples to ``query_id`` in one space."""
    coll = collection(source)
    X = map_vectors(source, encoder, anchor_ids)
    q = int(coll.spaces[encoder].positions([query_id])[0])
    pos, sims = nearest_neighbours(X, q, k=k)
    return coll.ids[pos], sims


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


@st.cache_resource(show_spinner=False, max_entries=4)
def bundled_media(which: str) -> MediaSet:
    """The bundled texts (``"bundled-text"``) or digit images (``"bundled-digits"``) to encode."""
    return bundled_texts() if which == "bundled-text" else bundled_digit_images()
