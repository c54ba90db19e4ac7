"""Zero-shot stitching: a head trained on encoder i's space, fed encoder j's space."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from .anchors import validate_anchor_ids
from ..errors import InvalidInputError, InvalidTypeError, MismatchError
from .heads import HEADS, check_labels, make_head
from ..spaces.latent_space import LatentSpace
from .relative import check_params, relative_projection
from .translation import TRANSLATIONS, LatentTranslation
from ..validation import check_choice, fmt_list

__all__ = ["StitchingResult", "PairStitching", "stitching_matrix", "stitch_pair", "fit_absolute_heads", "MODES"]

#: Stitching modes computed by :func:`stitching_matrix`.
MODES = ("absolute", "relative", "translated")


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


def _overlap(a: LatentSpace, b: LatentSpace) -> str:
    """How the ids of two spaces overlap, in words."""
    common = len(np.intersect1d(a.ids, b.ids)) if a.ids.dtype.kind == b.ids.dtype.kind or (
        a.ids.dtype.kind in "iu" and b.ids.dtype.kind in "iu"
    ) else 0
    return (
        f"{common} id(s) in common; {a.name!r} has {len(a) - common} id(s) that {b.name!r} lacks and "
        f"{b.name!r} has {len(b) - common} that {a.name!r} lacks"
    )


def _check_spaces(spaces, group: str) -> dict:
    if not isinstance(spaces, Mapping):
        raise InvalidTypeError(
            f"{group} must be a dict of encoder name -> LatentSpace; got {type(spaces).__name__}"
        )
    for name, s in spaces.items():
        if not isinstance(s, LatentSpace):
            raise InvalidTypeError(f"{group}[{name!r}] must be a LatentSpace; got {type(s).__name__}")
    return dict(spaces)


def _check_parallel(train: Mapping[str, LatentSpace], test: Mapping[str, LatentSpace], *, labels: bool = True):
    """Train and test spaces: same encoders, parallel within each split, same dims per encoder, labels.

    Raises
    ------
    MismatchError
        Different encoders, spaces that are not parallel (the message says how many ids
        match), dims or labels that disagree.
    InvalidInputError
        No encoders; missing labels or a single class (when ``labels``).
    """
    train = _check_spaces(train, "train")
    test = _check_spaces(test, "test")
    if not train:
        raise InvalidInputError("no encoders given: pass at least one train space")
    if set(train) != set(test):
        raise MismatchError(
            f"train and test spaces name different encoders: {sorted(train)} vs {sorted(test)}; pass the same names"
        )
    for group, spaces in (("train", train), ("test", test)):
        first = next(iter(spaces.values()))
        for s in spaces.values():
            if not s.is_parallel(first):
                raise MismatchError(
                    f"{group} spaces {first.name!r} ({len(first)} samples) and {s.name!r} ({len(s)} samples) are not "
                    f"parallel: {_overlap(first, s)}. Restrict both to the common ids: "
                    "ids = np.intersect1d(a.ids, b.ids); a.subset(ids), b.subset(ids)"
                )
        if not labels:
            continue
        for s in spaces.values():
            if s.labels is None:
                raise InvalidInputError(
                    f"{group} space {s.name!r} has no labels: classification stitching needs labels "
                    "(LatentSpace(..., labels=y)); relative maps and compare_spaces work without them"
                )
        ref = first.labels
        for s in spaces.values():
            if s is not first and not np.array_equal(s.labels[s.positions(first.ids)], ref):
                raise MismatchError(
                    f"{group} spaces {first.name!r} and {s.name!r} give different labels to the same ids; "
                    "they must come from the same labelled samples"
                )
    for name in train:
        if test[name].n_dims != train[name].n_dims:
            raise MismatchError(
                f"encoder {name!r} has {train[name].n_dims} dims in train but {test[name].n_dims} in test; "
                "encode both splits with the same encoder"
            )
    if labels:
        for name, s in train.items():
            check_labels(s.labels, n=len(s), what=f"labels of train space {s.name!r}")
    return train, test


def fit_absolute_heads(train: Mapping[str, LatentSpace], *, head: str = "ridge", progress=None) -> dict:
    """Train one head per encoder on its absolute train space.

    Parameters
    ----------
    train : mapping of str to LatentSpace
    head : str, default="ridge"
    progress : callable(what), optional

    Returns
    -------
    dict of str to fitted head
    """
    train = _check_spaces(train, "train")
    check_choice(head, name="head", choices=HEADS)
    for s in train.values():
        check_labels(s.labels, n=len(s), what=f"labels of train space {s.name!r}")
    heads = {}
    for a, space in train.items():
        if progress:
            progress(f"absolute head of {a}")
        heads[a] = make_head(head).fit(space.vectors, space.labels)
    return heads


def stitching_matrix(
    train: Mapping[str, LatentSpace],
    test: Mapping[str, LatentSpace],
    anchor_ids,
    *,
    modes=("absolute", "relative"),
    head: str = "ridge",
    similarity: str = "cosine",
    center: str | None = None,
    translation: str = "orthogonal",
    absolute_heads: Mapping | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> StitchingResult:
    """Stitching accuracy for every ordered pair of encoders.

    For each encoder i, a head is trained on i's train-split space and evaluated on
    every encoder j's test-split space. Anchors are the same sample ids in every space.

    - ``absolute``: i's head on i's raw latents, fed j's raw latents (NaN when the
      latent dims differ: the head cannot even take j's vectors).
    - ``relative``: i's head on i's relative vectors w.r.t. the anchors, fed j's
      relative vectors w.r.t. the same anchor ids encoded by j.
    - ``translated``: i's ORIGINAL absolute head, fed j's test latents translated into
      i's space by a :class:`~core.methods.translation.LatentTranslation` fitted on the
      anchors (j's anchor vectors -> i's anchor vectors).

    Parameters
    ----------
    train : mapping of str to LatentSpace
        Parallel train-split spaces, one per encoder, all with labels.
    test : mapping of str to LatentSpace
        Parallel test-split spaces, same encoder names.
    anchor_ids : array-like of shape (n_anchors,)
        Anchor sample ids, all present in the train spaces (unused by ``absolute``).
    modes : sequence of {"absolute", "relative", "translated"}, default=("absolute", "relative")
    head : str, default="ridge"
        See :func:`core.methods.heads.make_head`.
    similarity : str, default="cosine"
        See :func:`core.methods.relative.relative_projection`.
    center : {None, "anchors"}, default=None
        Relative-projection centring.
    translation : {"orthogonal", "linear", "affine"}, default="orthogonal"
        Method of the ``translated`` mode.
    absolute_heads : mapping of str to fitted head, optional
        Heads already trained on each encoder's absolute train space (they do not depend
        on the anchors), e.g. from :func:`fit_absolute_heads`; trained here if None.
    progress : callable(done, total, what), optional

    Returns
    -------
    StitchingResult
        ``scores[mode]`` of shape (n_encoders, n_encoders) for each requested mode.
    """
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if not modes:
        raise InvalidInputError(f"modes is empty; choose some of {list(MODES)}")
    for m in modes:
        check_choice(m, name="mode", choices=MODES)
    check_choice(head, name="head", choices=HEADS)
    check_choice(translation, name="translation", choices=TRANSLATIONS)
    check_params(similarity, center, False, None, 1.0)
    train, test = _check_parallel(train, test)
    names = list(train)
    if "relative" in modes or "translated" in modes:
        for s in train.values():  # AnchorError / UnknownIdError (a KeyError) naming bad ids
            anchor_ids = validate_anchor_ids(s, anchor_ids)
    else:
        anchor_ids = np.asarray(anchor_ids)
    m = len(names)
    n_heads = m * (("absolute" in modes or "translated" in modes) + ("relative" in modes))
    done = 0
    ref_ids = test[names[0]].ids
    X_test = {n: test[n].vectors[test[n].positions(ref_ids)] for n in names}  # test rows aligned by id
    y_test = test[names[0]].labels
    scores = {}

    def tick(what):
        nonlocal done
        if progress:
            progress(done, n_heads, what)
        done += 1

    if "absolute" in modes or "translated" in modes:
        if absolute_heads is not None:
            missing = [a for a in names if a not in absolute_heads]
            if missing:
                raise InvalidInputError(
                    f"absolute_heads lacks encoders {missing}; fit them with fit_absolute_heads(train)"
                )
            abs_heads = dict(absolute_heads)
            done += len(names)
        else:
            abs_heads = fit_absolute_heads(train, head=head, progress=tick)
        if "absolute" in modes:
            M = np.full((m, m), np.nan)
            for i, a in enumerate(names):
                for j, b in enumerate(names):
                    if test[b].n_dims == train[a].n_dims:
                        M[i, j] = float((abs_heads[a].predict(X_test[b]) == y_test).mean())
            scores["absolute"] = M
        if "translated" in modes:
            import warnings

            M = np.full((m, m), np.nan)
            anchors = {n: train[n].take(anchor_ids) for n in names}
            for i, a in enumerate(names):
                for j, b in enumerate(names):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", UserWarning)  # under-determined: reported by n_anchors
                        t = LatentTranslation(translation).fit(anchors[b], anchors[a])
                    Xb = t.transform(X_test[b]).astype(train[a].vectors.dtype)
                    M[i, j] = float((abs_heads[a].predict(Xb) == y_test).mean())
            scores["translated"] = M
    if "relative" in modes:
        kw = dict(similarity=similarity, center=center)
        anchors = {n: train[n].take(anchor_ids) for n in names}
        kw_tr = {n: dict(kw, ids=train[n].ids, anchor_ids=anchor_ids) for n in names}
        feats_tr = {n: relative_projection(train[n].vectors, anchors[n], **kw_tr[n]) for n in names}
        feats_te = {n: relative_projection(X_test[n], anchors[n], **dict(kw_tr[n], ids=ref_ids)) for n in names}
        M = np.full((m, m), np.nan)
        for i, a in enumerate(names):
            tick(f"relative head of {a}")
            h = make_head(head).fit(feats_tr[a], train[a].labels)
            for j, b in enumerate(names):
                M[i, j] = float((h.predict(feats_te[b]) == y_test).mean())
        scores["relative"] = M
    if progress:
        progress(n_heads, n_heads, "done")
    return StitchingResult(
        encoders=names,
        scores={k: scores[k] for k in modes},
        anchor_ids=anchor_ids,
        params={"head": head, "similarity": similarity, "center": center, "translation": translation, "modes": list(modes)},
    )


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
        As in :func:`stitching_matrix`.
    head, similarity, center, translation : str
        As in :func:`stitching_matrix`.
    absolute_head : fitted head, optional
        ``head_encoder``'s head on its absolute train space (absolute and translated modes).

    Returns
    -------
    PairStitching

    Raises
    ------
    ValueError
        Unknown encoders or mode; absolute mode with different latent dims; bad anchors.
    """
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is not supported; choose from {list(MODES)}")
    for name in (head_encoder, space_encoder):
        if name not in train or name not in test:
            raise ValueError(f"encoder {name!r} is not among the spaces {sorted(train)}")
    pair = list(dict.fromkeys([head_encoder, space_encoder]))
    _check_parallel({n: train[n] for n in pair}, {n: test[n] for n in pair})
    a_tr, b_tr = train[head_encoder], train[space_encoder]
    ref_ids = test[head_encoder].ids
    Xb = test[space_encoder].vectors[test[space_encoder].positions(ref_ids)]
    y = test[head_encoder].labels
    if mode != "absolute":
        anchor_ids = np.asarray(anchor_ids)
        if anchor_ids.ndim != 1 or len(anchor_ids) == 0:
            raise ValueError(f"anchor_ids must be a non-empty 1-D list of ids; got shape {anchor_ids.shape}")
        if len(np.unique(anchor_ids)) != len(anchor_ids):
            raise ValueError("anchor_ids contain duplicates; each anchor id must appear once")
    if mode == "relative":
        kw = dict(similarity=similarity, center=center)
        h = make_head(head).fit(relative_projection(a_tr.vectors, a_tr.take(anchor_ids), **kw), a_tr.labels)
        feats = relative_projection(Xb, b_tr.take(anchor_ids), **kw)
    else:
        h = absolute_head if absolute_head is not None else make_head(head).fit(a_tr.vectors, a_tr.labels)
        if mode == "absolute":
            if b_tr.n_dims != a_tr.n_dims:
                raise ValueError(
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
