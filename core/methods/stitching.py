"""Zero-shot stitching: a head trained on encoder i's space, fed encoder j's space.

:func:`stitching_matrix` scores every ordered pair of encoders; the per-sample detail of
one pair is :func:`core.methods.pair_stitching.stitch_pair`. ``check_parallel`` (the
checks of train/test spaces) is an internal API shared with it and
:mod:`core.methods.sweep`, not exported.
"""

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
from ..validation import check_choice

__all__ = ["StitchingResult", "stitching_matrix", "fit_absolute_heads", "MODES"]

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


def check_parallel(train: Mapping[str, LatentSpace], test: Mapping[str, LatentSpace], *, labels: bool = True):
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
    relative_spaces: Mapping[str, LatentSpace] | None = None,
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
    relative_spaces : mapping of str to LatentSpace, optional
        Each encoder's relative vectors on these ``anchor_ids`` (same ``similarity`` and
        ``center``), for at least every train and test id, e.g. those a map was laid out
        from: the ``relative`` mode looks their rows up instead of projecting them again.
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
    train, test = check_parallel(train, test)
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
    # test rows aligned by id; not needed when only the given relative vectors are read
    need_test = "absolute" in modes or "translated" in modes or relative_spaces is None
    X_test = {n: test[n].vectors[test[n].positions(ref_ids)] for n in names} if need_test else {}
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
        if relative_spaces is not None:
            given = _given_relative(relative_spaces, names, len(anchor_ids) * (4 if similarity == "product" else 1))
            feats_tr, feats_te = {}, {}
            for n in names:  # one lookup (an argsort of all the given ids) per encoder, split into train and test
                rows = given[n].positions(np.concatenate([train[n].ids, ref_ids]))
                feats_tr[n], feats_te[n] = given[n].vectors[rows[:len(train[n])]], given[n].vectors[rows[len(train[n]):]]
        else:
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


def _given_relative(relative_spaces, names, width: int) -> dict:
    """``relative_spaces`` checked: a LatentSpace of ``width`` columns for each encoder of ``names``."""
    relative_spaces = _check_spaces(relative_spaces, "relative_spaces")
    missing = [n for n in names if n not in relative_spaces]
    if missing:
        raise InvalidInputError(f"relative_spaces lacks encoders {missing}; give one for each of {names}")
    for n in names:
        if relative_spaces[n].n_dims != width:
            raise MismatchError(f"relative_spaces[{n!r}] has {relative_spaces[n].n_dims} columns, but these anchors "
                                f"give {width}: project it on the same anchors and similarity")
    return {n: relative_spaces[n] for n in names}
