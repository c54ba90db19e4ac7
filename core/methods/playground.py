"""The invariance playground: what a transform of space B does to absolute and relative stitching."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import MismatchError
from ..spaces.latent_space import LatentSpace
from .pair_stitching import stitch_pair
from .relative import relative_projection

__all__ = ["transform_effect", "effect_summary", "UNCHANGED_COSINE", "MOVED_BY"]

#: A mean cosine before/after at least this high counts as "unchanged" (float rounding stays below 1e-4).
UNCHANGED_COSINE = 1.0 - 1e-4
#: An accuracy that changes by more than this counts as "moved" (one point of accuracy).
MOVED_BY = 0.01


def _pca_frame(X_ref, *others):
    from sklearn.decomposition import PCA

    pca = PCA(n_components=min(2, X_ref.shape[1]), random_state=0).fit(X_ref)

    def place(M):
        Y = pca.transform(M)
        return np.hstack([Y, np.zeros((len(Y), 2 - Y.shape[1]))]).astype(np.float32) if Y.shape[1] < 2 else Y.astype(np.float32)

    return [place(M) for M in (X_ref, *others)]


def transform_effect(collection, enc_a: str, enc_b: str, moved, anchor_ids, *, center: str | None = None) -> dict:
    """Compare stitching and geometry before and after replacing B's vectors by ``moved``.

    Parameters
    ----------
    collection : Collection
    enc_a, enc_b : str
        The pair; B is the space transformed (A may equal B).
    moved : ndarray of shape (n_samples, d_B)
        B's vectors after the transform, rows in the collection's order.
    anchor_ids : sequence of ids
        Train ids; B's anchors are taken from ``moved`` too, as a user would re-encode them.
    center : {None, "anchors"}, default=None
        Relative-projection centring (``"anchors"`` makes it translation invariant).

    Returns
    -------
    dict
        - ``scores``: DataFrame (None without labels), one row per readout
          (``B's head on B'``, ``A's head on B'``), columns ``absolute before``,
          ``absolute after``, ``relative before``, ``relative after`` (NaN where absolute
          does not apply: dims differ).
        - ``geometry``: dict with ``absolute`` (mean cosine of each B vector with its
          transformed self), ``relative`` (the same for the relative vectors) and
          ``relative_standardised`` (the same for the relative vectors as the relative
          heads read them, each standardised to zero mean and unit variance: their mean
          Pearson correlation); 1.0 means unchanged.
        - ``maps``: dict of (n_samples, 2) PCA coordinates ``absolute_before``,
          ``absolute_after`` (both in the PCA frame of B) and ``relative_before``,
          ``relative_after`` (in the frame of B's relative vectors).
    """
    B = collection.spaces[enc_b]
    moved = np.asarray(moved, dtype=B.vectors.dtype)
    if moved.shape != B.vectors.shape:
        raise MismatchError(f"moved must have B's shape {B.vectors.shape}; got {moved.shape}")
    anchor_ids = list(anchor_ids)
    moved_name = f"{enc_b} (transformed)"
    Bm = LatentSpace(moved, B.ids, B.labels, name=moved_name)
    anchors_pos = B.positions(anchor_ids)
    rel_b = relative_projection(B.vectors, B.vectors[anchors_pos], center=center)
    rel_m = relative_projection(moved, moved[anchors_pos], center=center)

    def cos_rows(X, Y, *, centre: bool = False):
        X = np.asarray(X, np.float64)
        Y = np.asarray(Y, np.float64)
        if centre:  # the relative heads' RowStandardizer: a shift or scale of a whole row is invisible to them
            X = X - X.mean(axis=1, keepdims=True)
            Y = Y - Y.mean(axis=1, keepdims=True)
        den = np.linalg.norm(X, axis=1) * np.linalg.norm(Y, axis=1)
        den[den == 0] = 1.0
        return float(((X * Y).sum(1) / den).mean())

    geometry = {"absolute": cos_rows(B.vectors, moved), "relative": cos_rows(rel_b, rel_m),
                "relative_standardised": cos_rows(rel_b, rel_m, centre=True)}
    ab, am = _pca_frame(B.vectors, moved)
    rb, rm = _pca_frame(rel_b, rel_m)
    maps = {"absolute_before": ab, "absolute_after": am, "relative_before": rb, "relative_after": rm}

    scores = None
    if collection.labels is not None and len(np.unique(collection.labels)) > 1:
        mask_tr = collection.split == "train"
        all_spaces = {n: collection.spaces[n] for n in dict.fromkeys([enc_a, enc_b])}
        all_spaces[moved_name] = Bm
        train = {n: s.subset(s.ids[mask_tr]) for n, s in all_spaces.items()}
        test = {n: s.subset(s.ids[~mask_tr]) for n, s in all_spaces.items()}
        rows = {}
        for head, label in ((enc_b, f"B's head ({enc_b}) on B"), (enc_a, f"A's head ({enc_a}) on B")):
            row = {}
            for mode in ("absolute", "relative"):
                for when, space in (("before", enc_b), ("after", moved_name)):
                    if mode == "absolute" and train[head].n_dims != train[space].n_dims:
                        row[f"{mode} {when}"] = float("nan")
                        continue
                    kw = {"center": center} if mode == "relative" else {}
                    row[f"{mode} {when}"] = stitch_pair(
                        train, test, anchor_ids, head_encoder=head, space_encoder=space, mode=mode, **kw
                    ).accuracy
            rows[label] = row
        scores = pd.DataFrame(rows).T[["absolute before", "absolute after", "relative before", "relative after"]]
    return {"scores": scores, "geometry": geometry, "maps": maps}


def effect_summary(effect: dict, *, moved_by: float = MOVED_BY) -> dict:
    """What a transform of B measurably changed, from a :func:`transform_effect` result.

    Parameters
    ----------
    effect : dict
        The result of :func:`transform_effect`.
    moved_by : float, default=:data:`MOVED_BY`
        A readout whose accuracy changes by more than this has *moved*.

    Returns
    -------
    dict of str -> dict
        For ``"absolute"`` and ``"relative"``:

        - ``cosine``: mean cosine of each vector before and after (``geometry``);
        - ``unchanged``: ``cosine >= UNCHANGED_COSINE``;
        - ``readouts``: list of dicts ``readout`` (its name), ``before``, ``after``,
          ``delta`` (after - before) and ``moved`` (``|delta| > moved_by``), one per
          readout that applies (none without labels, none for absolute vectors of
          different dims);
        - ``moved``: whether any readout moved (None without readouts).

        ``"relative"`` also has ``standardised``: ``geometry["relative_standardised"]``.
    """
    geo = effect["geometry"]
    scores = effect["scores"]
    out = {}
    for mode in ("absolute", "relative"):
        readouts = []
        if scores is not None:
            for name, row in scores.iterrows():
                before, after = float(row[f"{mode} before"]), float(row[f"{mode} after"])
                if np.isnan(before) or np.isnan(after):
                    continue
                delta = after - before
                readouts.append({"readout": str(name), "before": before, "after": after, "delta": delta,
                                 "moved": bool(abs(delta) > moved_by)})
        out[mode] = {"cosine": float(geo[mode]), "unchanged": bool(geo[mode] >= UNCHANGED_COSINE),
                     "readouts": readouts, "moved": any(r["moved"] for r in readouts) if readouts else None}
    out["relative"]["standardised"] = float(geo.get("relative_standardised", geo["relative"]))
    return out
