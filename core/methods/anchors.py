"""Anchor selection. Anchors are always sample **ids**, never positions or vectors."""

from __future__ import annotations

import numpy as np

from ..errors import AnchorError, InvalidInputError, InvalidTypeError, UnknownIdError
from ..spaces.latent_space import LatentSpace
from ..validation import check_choice, check_int, fmt_list, unit_rows

__all__ = ["select_anchors", "validate_anchor_ids", "STRATEGIES", "SEEDLESS", "anchor_coverage"]

#: Data-driven strategies accepted by :func:`select_anchors` (plus ``"explicit"``).
STRATEGIES = ("random", "stratified", "kmeans", "fps", "kdpp")
#: The strategies whose picks do not depend on ``random_state``.
SEEDLESS = ("kdpp",)


def _normalized(V: np.ndarray) -> np.ndarray:
    """Unit rows in float64 (all-zero rows stay zero), robust to huge and tiny values."""
    return unit_rows(V)[0]


def _check_space(space, what: str = "space") -> LatentSpace:
    if not isinstance(space, LatentSpace):
        raise InvalidTypeError(
            f"{what} must be a LatentSpace; got {type(space).__name__}: wrap your vectors, "
            "e.g. LatentSpace(vectors, ids, labels=labels)"
        )
    return space


def validate_anchor_ids(space: LatentSpace, ids) -> np.ndarray:
    """Check explicit anchor ids against a space and return them as an array.

    Parameters
    ----------
    space : LatentSpace
    ids : array-like of shape (n_anchors,)

    Returns
    -------
    ids : ndarray of shape (n_anchors,)
        In the dtype of ``space.ids`` (e.g. ``3.0`` becomes ``3`` for int ids).

    Raises
    ------
    AnchorError
        Empty, not 1-D or duplicated ids (the message lists them).
    UnknownIdError
        Ids that are not in the space (also a ``KeyError``).
    InvalidTypeError
        Not a list of ints or strings.
    """
    _check_space(space)
    if ids is None or isinstance(ids, (str, bytes)):
        raise InvalidTypeError(f"anchor ids must be a list of sample ids, e.g. [12, 40, 7]; got {ids!r}")
    try:
        ids = np.asarray(ids)
    except (ValueError, TypeError) as exc:
        raise AnchorError(f"anchor ids cannot be read as a 1-D list ({exc}); pass a flat list of sample ids") from None
    if ids.ndim != 1 or len(ids) == 0:
        raise AnchorError(f"anchor ids must be a non-empty 1-D list; got shape {ids.shape}")
    kind, mine = ids.dtype.kind, space.ids.dtype.kind
    if kind == "b" or kind not in "iufUSO":
        raise InvalidTypeError(f"anchor ids must be ints or strings; got dtype {ids.dtype}")
    if kind == "O":
        elems = ids.tolist()
        if not all(isinstance(v, (str, int, np.integer)) and not isinstance(v, bool) for v in elems):
            types = sorted({type(v).__name__ for v in elems})
            raise InvalidTypeError(f"anchor ids must be ints or strings; got {types}")
        ids = np.asarray(elems, dtype=str) if all(isinstance(v, str) for v in elems) else ids
    if ids.dtype.kind == "f" and mine in "iu":
        whole = np.isfinite(ids) & (ids == np.round(ids))
        if whole.all():
            ids = ids.astype(space.ids.dtype)
    if ids.dtype.kind == "S":
        ids = ids.astype(str)
    try:
        uniq, counts = np.unique(ids, return_counts=True)
    except TypeError:
        raise InvalidTypeError("anchor ids mix ints and strings; use the type of the space's ids") from None
    if len(uniq) != len(ids):
        raise AnchorError(
            f"anchor ids contain duplicates: {fmt_list(uniq[counts > 1])}; each id must appear once"
        )
    comparable = (mine in "iu" and ids.dtype.kind in "iuf") or (mine == "U" and ids.dtype.kind == "U")
    missing = ids[~np.isin(ids, space.ids)] if comparable else ids
    if len(missing):
        hint = ""
        if not comparable:
            hint = f" (the ids of this space are {'ints' if mine in 'iu' else 'strings'}, got dtype {ids.dtype})"
        raise UnknownIdError(
            f"{len(missing)} anchor id(s) are not in space {space.name!r}: {fmt_list(missing)}{hint}; "
            "pick ids of this space (e.g. from its train split)"
        )
    return ids.copy()


def _stratified(space, n_anchors, rng):
    if space.labels is None:
        raise InvalidInputError(
            f"strategy='stratified' needs labels, but space {space.name!r} has none; use strategy='random'"
        )
    perm = rng.permutation(space.n_samples)
    labels = space.labels[perm]
    queues = [perm[labels == c] for c in np.unique(labels)]
    pos, depth = [], 0
    while len(pos) < n_anchors:
        for q in queues:
            if depth < len(q) and len(pos) < n_anchors:
                pos.append(q[depth])
        depth += 1
    return np.asarray(pos)


def _kmeans(space, n_anchors, random_state):
    from sklearn.cluster import KMeans

    V = _normalized(space.vectors)
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import pairwise_distances

    with warnings.catch_warnings():
        # fewer distinct points than clusters: handled below (the nearest *unused* sample)
        warnings.simplefilter("ignore", ConvergenceWarning)
        km = KMeans(n_clusters=n_anchors, n_init=1, random_state=random_state).fit(V)
    if V.shape[0] * n_anchors * V.shape[1] <= 2**26:  # exact differences while they fit in 512 MB
        D = ((V[None, :, :] - km.cluster_centers_[:, None, :]) ** 2).sum(-1)
    else:  # (e.g. d = 50,000): the same order from the Gram trick, without a k x n x d temporary
        D = pairwise_distances(km.cluster_centers_, V)
    taken = np.zeros(V.shape[0], bool)
    pos = []
    for c in range(n_anchors):  # the unused sample nearest each centroid
        order = np.argsort(D[c], kind="stable")
        p = order[np.argmax(~taken[order])]
        taken[p] = True
        pos.append(p)
    return np.asarray(pos)


def _fps(space, n_anchors, rng):
    V = _normalized(space.vectors)
    pos = [int(rng.integers(V.shape[0]))]
    dist = np.linalg.norm(V - V[pos[0]], axis=1)
    dist[pos[0]] = -1.0
    for _ in range(n_anchors - 1):
        p = int(np.argmax(dist))
        pos.append(p)
        dist = np.minimum(dist, np.linalg.norm(V - V[p], axis=1))
        dist[pos] = -1.0
    return np.asarray(pos)


def _kdpp(space, n_anchors, *, ridge: float = 1e-2):
    """Greedy MAP of a k-DPP with kernel ``L = K + ridge * I``, ``K`` the cosine kernel.

    Fast greedy inference (Chen et al., NeurIPS 2018): each step adds the item with the
    largest conditional variance ``d_i^2``; incremental Cholesky rows make it O(n k^2).
    """
    V = _normalized(space.vectors)
    n = V.shape[0]
    d2 = np.full(n, 1.0 + ridge)  # diag of L
    C = np.zeros((n_anchors, n))
    pos = []
    for j in range(n_anchors):
        d2_masked = d2.copy()
        d2_masked[pos] = -np.inf
        p = int(np.argmax(d2_masked))
        pos.append(p)
        if j == n_anchors - 1:
            break
        L_p = V @ V[p]
        L_p[p] += ridge
        e = (L_p - C[:j, p] @ C[:j, :]) / np.sqrt(max(d2[p], 1e-12))
        C[j] = e
        d2 = d2 - e**2
    return np.asarray(pos)


def select_anchors(
    space: LatentSpace,
    n_anchors: int | None = None,
    *,
    strategy: str = "random",
    random_state: int = 0,
    ids=None,
) -> np.ndarray:
    """Pick anchor sample ids from a space.

    Parameters
    ----------
    space : LatentSpace
        Candidates are its ids (use a train-split space so that test samples never
        serve as anchors).
    n_anchors : int
        Number of anchors, ``1 <= n_anchors <= space.n_samples``. Optional with
        ``strategy="explicit"``, where it must equal ``len(ids)`` if given.
    strategy : {"random", "stratified", "kmeans", "fps", "kdpp", "explicit"}, default="random"
        - ``random``: uniform without replacement.
        - ``stratified``: class-balanced round robin over the labels after a seeded
          shuffle (the official relreps default); every class is represented once
          ``n_anchors >= n_classes``.
        - ``kmeans``: k-means with ``n_anchors`` clusters on the L2-normalised vectors;
          the sample nearest each centroid (the next nearest unused one on ties).
        - ``fps``: farthest-point sampling on the L2-normalised vectors from a seeded
          random start.
        - ``kdpp``: greedy MAP of a k-DPP with the cosine kernel plus a small ridge
          (``L = K + 0.01 I``), i.e. diverse anchors. **Our own extension**, not from
          the paper. Deterministic; ``random_state`` is not used.
        - ``explicit``: the given ``ids``, validated (unique, present in the space).
    random_state : int, default=0
        Seed; the same seed gives the same ids.
    ids : array-like of shape (n_anchors,), optional
        Only with ``strategy="explicit"``.

    Returns
    -------
    ids : ndarray of shape (n_anchors,)
        Unique sample ids of ``space``.

    Raises
    ------
    AnchorError
        ``n_anchors`` out of range, e.g. ``n_anchors=5000 must be <= n_samples=1437``;
        bad explicit ids (:class:`~core.errors.UnknownIdError` for unknown ones).
    InvalidInputError
        An unknown strategy; ``stratified`` without labels; ``random_state`` out of
        ``[0, 2**32 - 1]``.
    InvalidTypeError
        ``space`` not a LatentSpace; ``n_anchors`` or ``random_state`` not an int.
    """
    _check_space(space)
    check_choice(strategy, name="strategy", choices=STRATEGIES + ("explicit",))
    if strategy == "explicit":
        if ids is None:
            raise AnchorError("strategy='explicit' needs ids=[...], the anchor sample ids")
        out = validate_anchor_ids(space, ids)
        if n_anchors is not None and n_anchors != len(out):
            raise AnchorError(f"n_anchors={n_anchors!r} does not match len(ids)={len(out)}; omit n_anchors or fix it")
        return out
    if ids is not None:
        raise AnchorError(f"ids are only used with strategy='explicit', not strategy={strategy!r}")
    if n_anchors is None:
        raise AnchorError(f"strategy={strategy!r} needs n_anchors, e.g. select_anchors(space, 100)")
    n = space.n_samples
    n_anchors = check_int(n_anchors, name="n_anchors", low=1, error=AnchorError)
    if n_anchors > n:
        raise AnchorError(f"n_anchors={n_anchors} must be <= n_samples={n}")
    random_state = check_int(random_state, name="random_state", low=0, high=2**32 - 1)
    rng = np.random.default_rng(random_state)
    if strategy == "random":
        pos = rng.choice(n, size=n_anchors, replace=False)
    elif strategy == "stratified":
        pos = _stratified(space, n_anchors, rng)
    elif strategy == "kmeans":
        pos = _kmeans(space, n_anchors, random_state)
    elif strategy == "fps":
        pos = _fps(space, n_anchors, rng)
    else:
        pos = _kdpp(space, n_anchors)
    return np.asarray(space.ids)[pos].copy()


def anchor_coverage(space: LatentSpace, anchor_ids, *, reduce: str = "mean") -> float:
    """Distance from each sample to its nearest anchor (L2-normalised vectors), reduced.

    Lower is better coverage. Range [0, 2].

    Parameters
    ----------
    space : LatentSpace
    anchor_ids : array-like of shape (n_anchors,)
    reduce : {"mean", "max"}, default="mean"
        ``mean``: the typical sample's distance; ``max``: the worst-covered sample's
        (the covering radius that ``fps`` minimises greedily).

    Returns
    -------
    float
    """
    _check_space(space)
    check_choice(reduce, name="reduce", choices=("mean", "max"))
    V = _normalized(space.vectors)
    A = _normalized(space.take(validate_anchor_ids(space, anchor_ids)))
    nearest = np.sqrt(np.maximum(2.0 - 2.0 * V @ A.T, 0.0).min(1))
    return float(nearest.mean() if reduce == "mean" else nearest.max())
