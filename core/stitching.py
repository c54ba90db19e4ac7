"""Zero-shot stitching: a head trained on encoder i's space, fed encoder j's space."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from .heads import make_head
from .latent_space import LatentSpace
from .relative import relative_projection

__all__ = ["StitchingResult", "stitching_matrix", "MODES"]

#: Stitching modes computed by :func:`stitching_matrix`.
MODES = ("absolute", "relative")


@dataclass
class StitchingResult:
    """Accuracy of every ordered encoder pair.

    Attributes
    ----------
    encoders : list of str
        Row/column order.
    scores : dict of str to ndarray of shape (n_encoders, n_encoders)
        ``scores[mode][i, j]`` is the test accuracy of encoder i's head fed encoder j's
        test space; the diagonal is non-stitched. NaN where a mode does not apply
        (absolute with different latent dims).
    anchor_ids : ndarray of shape (n_anchors,)
    params : dict
        Parameters that made the result (head, similarity, ...).
    """

    encoders: list
    scores: dict
    anchor_ids: np.ndarray
    params: dict = field(default_factory=dict)

    @property
    def n_anchors(self) -> int:
        return len(self.anchor_ids)

    def stitched_mean(self, mode: str) -> float:
        """Mean accuracy over the off-diagonal (stitched) pairs that apply."""
        M = self.scores[mode]
        off = ~np.eye(len(self.encoders), dtype=bool)
        vals = M[off][~np.isnan(M[off])]
        return float(vals.mean()) if len(vals) else float("nan")

    def non_stitched_mean(self, mode: str) -> float:
        """Mean accuracy over the diagonal (each encoder with its own head)."""
        return float(np.nanmean(np.diag(self.scores[mode])))

    def to_dict(self) -> dict:
        """JSON-ready dict; NaN becomes None."""
        out = {"encoders": list(self.encoders), "n_anchors": self.n_anchors}
        for mode, M in self.scores.items():
            out[mode] = [[None if np.isnan(v) else round(float(v), 6) for v in row] for row in M]
        return out


def _check_parallel(train: Mapping[str, LatentSpace], test: Mapping[str, LatentSpace]):
    if not train:
        raise ValueError("no encoders given: pass at least one train space")
    if set(train) != set(test):
        raise ValueError(f"train and test spaces name different encoders: {sorted(train)} vs {sorted(test)}")
    for group, spaces in (("train", train), ("test", test)):
        first = next(iter(spaces.values()))
        for s in spaces.values():
            if not s.is_parallel(first):
                raise ValueError(
                    f"{group} spaces {first.name!r} and {s.name!r} are not parallel (different sample ids)"
                )
            if s.labels is None:
                raise ValueError(f"{group} space {s.name!r} has no labels: classification stitching needs labels")


def stitching_matrix(
    train: Mapping[str, LatentSpace],
    test: Mapping[str, LatentSpace],
    anchor_ids,
    *,
    modes=MODES,
    head: str = "logreg",
    similarity: str = "cosine",
    progress: Callable[[int, int, str], None] | None = None,
) -> StitchingResult:
    """Stitching accuracy for every ordered pair of encoders.

    For each encoder i, a head is trained on i's train-split space (absolute vectors,
    or relative vectors w.r.t. the anchors) and evaluated on every encoder j's
    test-split space. Anchors are the same sample ids in every space.

    Parameters
    ----------
    train : mapping of str to LatentSpace
        Parallel train-split spaces, one per encoder, all with labels.
    test : mapping of str to LatentSpace
        Parallel test-split spaces, same encoder names.
    anchor_ids : array-like of shape (n_anchors,)
        Anchor sample ids, all present in the train spaces.
    modes : sequence of {"absolute", "relative"}, default=("absolute", "relative")
    head : str, default="logreg"
        See :func:`core.heads.make_head`.
    similarity : str, default="cosine"
        See :func:`core.relative.relative_projection`.
    progress : callable(done, total, what), optional

    Returns
    -------
    StitchingResult
    """
    for m in modes:
        if m not in MODES:
            raise ValueError(f"mode={m!r} is not supported; choose from {list(MODES)}")
    _check_parallel(train, test)
    names = list(train)
    anchor_ids = np.asarray(anchor_ids)
    if "relative" in modes:
        if anchor_ids.ndim != 1 or len(anchor_ids) == 0:
            raise ValueError(f"anchor_ids must be a non-empty 1-D list of ids; got shape {anchor_ids.shape}")
        uniq = np.unique(anchor_ids)
        if len(uniq) != len(anchor_ids):
            raise ValueError("anchor_ids contain duplicates; each anchor id must appear once")
        for s in train.values():
            s.positions(anchor_ids)  # raises KeyError naming unknown ids
    m = len(names)
    total = m * len(modes)
    done = 0
    scores = {}
    for mode in modes:
        M = np.full((m, m), np.nan)
        if mode == "relative":
            feats_tr = {n: relative_projection(train[n].vectors, train[n].take(anchor_ids), similarity=similarity) for n in names}
            feats_te = {n: relative_projection(test[n].vectors, train[n].take(anchor_ids), similarity=similarity) for n in names}
        else:
            feats_tr = {n: train[n].vectors for n in names}
            feats_te = {n: test[n].vectors for n in names}
        order = {n: test[n].positions(test[names[0]].ids) for n in names}  # align rows by id
        y_test = test[names[0]].labels
        for i, a in enumerate(names):
            if progress:
                progress(done, total, f"{mode} head of {a}")
            h = make_head(head).fit(feats_tr[a], train[a].labels)
            for j, b in enumerate(names):
                Xb = feats_te[b][order[b]]
                if Xb.shape[1] != feats_tr[a].shape[1]:
                    continue  # absolute stitching only type-checks when dims match
                M[i, j] = float((h.predict(Xb) == y_test).mean())
            done += 1
        scores[mode] = M
    if progress:
        progress(total, total, "done")
    return StitchingResult(
        encoders=names,
        scores=scores,
        anchor_ids=anchor_ids,
        params={"head": head, "similarity": similarity, "modes": list(modes)},
    )
