"""One encoder pair in detail: a head fed one space, with every test prediction kept.

What the stitching drill-downs show (confusion, worst-stitched samples); the all-pairs
accuracies are :func:`core.methods.stitching.stitching_matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import AnchorError, InvalidInputError, MismatchError
from .heads import make_head
from ..spaces.latent_space import LatentSpace
from .relative import relative_projection
from .stitching import MODES, check_parallel
from .translation import LatentTranslation

__all__ = ["PairStitching", "stitch_pair"]


@dataclass
class PairStitching:
    """Per-sample outcome of one head fed one space: what the drill-downs show.

    Attributes
    ----------
    head_encoder : str
        Encoder whose train space trained the head.
    space_encoder : str
        Encoder whose test space is fed to it (the same name: non-stitched).
    mode : {"absolute", "relative", "translated"}
    ids : ndarray of shape (n_test,)
        Test sample ids, the row order of the arrays below.
    y_true, y_pred : ndarray of shape (n_test,)
    scores : ndarray of shape (n_test, n_classes)
        The head's decision scores, columns in the order of ``classes``.
    classes : ndarray of shape (n_classes,)
    params : dict
    """

    head_encoder: str
    space_encoder: str
    mode: str
    ids: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    scores: np.ndarray
    classes: np.ndarray
    params: dict = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return float((self.y_true == self.y_pred).mean())

    @property
    def correct(self) -> np.ndarray:
        """Boolean per test sample: predicted the true label."""
        return self.y_true == self.y_pred

    def confusion(self) -> np.ndarray:
        """Confusion counts, shape (n_classes, n_classes): row = true class, column = predicted."""
        pos = {c: k for k, c in enumerate(self.classes.tolist())}
        M = np.zeros((len(self.classes), len(self.classes)), dtype=np.int64)
        for t, p in zip(self.y_true.tolist(), self.y_pred.tolist()):
            M[pos[t], pos[p]] += 1
        return M

    def worst(self, n: int = 12) -> np.ndarray:
        """Positions of the worst-stitched samples: wrong, most confidently wrong first.

        The confidence of a mistake is the score of the predicted class minus the
        score of the true class.

        Parameters
        ----------
        n : int, default=12

        Returns
        -------
        positions : ndarray of shape (min(n, n_wrong),), into ``ids``
        """
        wrong = np.flatnonzero(~self.correct)
        if len(wrong) == 0:
            return wrong
        col = {c: k for k, c in enumerate(self.classes.tolist())}
        rows = np.arange(len(self.ids))
        true_col = np.array([col.get(t, -1) for t in self.y_true.tolist()])
        pred_col = np.array([col[p] for p in self.y_pred.tolist()])
        margin = self.scores[rows, pred_col] - np.where(true_col >= 0, self.scores[rows, np.maximum(true_col, 0)], -np.inf)
        order = wrong[np.argsort(-margin[wrong], kind="stable")]
        return order[:n]


def stitch_pair(
    train: Mapping[str, LatentSpace],
    test: Mapping[str, LatentSpace],
    anchor_ids,
    *,
    head_encoder: str,
    space_encoder: str,
    mode: str = "relative",
    head: str = "ridge",
    similarity: str = "cosine",
    center: str | None = None,
    translation: str = "orthogonal",
    absolute_head=None,
) -> PairStitching:
    """One head fed one space, with every test prediction and score kept.

    Parameters
    ----------
    train, test : mapping of str to LatentSpace
        Parallel spaces holding at least ``head_encoder`` and ``space_encoder``, with labels.
    anchor_ids : array-like of shape (n_anchors,)
        Anchor ids (ignored by ``absolute``).
    head_encoder, space_encoder : str
    mode : {"absolute", "relative", "translated"}, default="relative"
        As in :func:`~core.methods.stitching.stitching_matrix`.
    head, similarity, center, translation : str
        As in :func:`~core.methods.stitching.stitching_matrix`.
    absolute_head : fitted head, optional
        ``head_encoder``'s head on its absolute train space (absolute and translated modes).

    Returns
    -------
    PairStitching

    Raises
    ------
    InvalidInputError
        Unknown encoders or mode.
    AnchorError
        Empty, non-1-D or duplicate anchor ids (also an InvalidInputError).
    MismatchError
        Absolute mode with different latent dims; spaces that are not parallel.
    """
    if mode not in MODES:
        raise InvalidInputError(f"mode={mode!r} is not supported; choose from {list(MODES)}")
    for name in (head_encoder, space_encoder):
        if name not in train or name not in test:
            raise InvalidInputError(f"encoder {name!r} is not among the spaces {sorted(train)}")
    pair = list(dict.fromkeys([head_encoder, space_encoder]))
    check_parallel({n: train[n] for n in pair}, {n: test[n] for n in pair})
    a_tr, b_tr = train[head_encoder], train[space_encoder]
    ref_ids = test[head_encoder].ids
    Xb = test[space_encoder].vectors[test[space_encoder].positions(ref_ids)]
    y = test[head_encoder].labels
    if mode != "absolute":
        anchor_ids = np.asarray(anchor_ids)
        if anchor_ids.ndim != 1 or len(anchor_ids) == 0:
            raise AnchorError(f"anchor_ids must be a non-empty 1-D list of ids; got shape {anchor_ids.shape}")
        if len(np.unique(anchor_ids)) != len(anchor_ids):
            raise AnchorError("anchor_ids contain duplicates; each anchor id must appear once")
    if mode == "relative":
        kw = dict(similarity=similarity, center=center)
        h = make_head(head).fit(relative_projection(a_tr.vectors, a_tr.take(anchor_ids), **kw), a_tr.labels)
        feats = relative_projection(Xb, b_tr.take(anchor_ids), **kw)
    else:
        h = absolute_head if absolute_head is not None else make_head(head).fit(a_tr.vectors, a_tr.labels)
        if mode == "absolute":
            if b_tr.n_dims != a_tr.n_dims:
                raise MismatchError(
                    f"absolute stitching needs equal latent dims: {head_encoder} has {a_tr.n_dims}, "
                    f"{space_encoder} has {b_tr.n_dims}"
                )
            feats = Xb
        else:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                t = LatentTranslation(translation).fit(b_tr.take(anchor_ids), a_tr.take(anchor_ids))
            feats = t.transform(Xb).astype(a_tr.vectors.dtype)
    scores = np.asarray(h.decision_function(feats))
    classes = np.asarray(h.classes_)
    if scores.ndim == 1:  # binary: one score column for classes_[1]
        scores = np.stack([-scores, scores], axis=1)
    return PairStitching(
        head_encoder=head_encoder, space_encoder=space_encoder, mode=mode, ids=np.asarray(ref_ids),
        y_true=np.asarray(y), y_pred=np.asarray(h.predict(feats)), scores=scores, classes=classes,
        params={"head": head, "similarity": similarity, "center": center, "translation": translation,
                "n_anchors": 0 if mode == "absolute" else len(anchor_ids)},
    )
