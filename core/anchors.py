"""Anchor selection. Anchors are always sample **ids**, never positions or vectors."""

from __future__ import annotations

import numpy as np

from .latent_space import LatentSpace

__all__ = ["select_anchors", "validate_anchor_ids", "STRATEGIES", "anchor_coverage"]

#: Data-driven strategies accepted by :func:`select_anchors` (plus ``"explicit"``).
STRATEGIES = ("random", "stratified", "kmeans", "fps", "kdpp")


def _normalized(V: np.ndarray) -> np.ndarray:
    V = np.asarray(V, dtype=np.float64)
    n = np.linalg.norm(V, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return V / n


def validate_anchor_ids(space: LatentSpace, ids) -> np.ndarray:
    """Check explicit anchor ids against a space and return them as an array.

    Parameters
    ----------
    space : LatentSpace
    ids : array-like of shape (n_anchors,)

    Returns
    -------
    ids : ndarray of shape (n_anchors,)

    Raises
    ------
    ValueError
        Empty, not 1-D, duplicated, or unknown ids (the message lists them).
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) == 0:
        raise ValueError(f"anchor ids must be a non-empty 1-D list; got shape {ids.shape}")
    uniq, counts = np.unique(ids, return_counts=True)
    if len(uniq) != len(ids):
        raise ValueError(f"anchor ids contain duplicates: {uniq[counts > 1][:10].tolist()}; each id must appear once")
    missing = ids[~np.isin(ids, space.ids)]
    if len(missing):
        raise ValueError(
            f"{len(missing)} anchor id(s) are not in space {space.name!r}: {missing[:10].tolist()}"
            + (" ..." if len(missing) > 10 else "")
        )
    return ids.copy()


def _stratified(space, n_anchors, rng):
    if space.labels is None:
        raise ValueError(f"strategy='stratified' needs labels, but space {space.name!r} has none; use strategy='random'")
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
    km = KMeans(n_clusters=n_anchors, n_init=1, random_state=random_state).fit(V)
    D = ((V[None, :, :] - km.cluster_centers_[:, None, :]) ** 2).sum(-1) if V.shape[0] * n_anchors < 5e6 else None
    if D is None:
        from sklearn.metrics import pairwise_distances

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
    ValueError
        ``n_anchors`` out of range, e.g. ``n_anchors=5000 must be <= n_samples=1437``;
        an unknown strategy; ``stratified`` without labels; bad explicit ids.
    """
    if strategy == "explicit":
        if ids is None:
            raise ValueError("strategy='explicit' needs ids=[...]")
        out = validate_anchor_ids(space, ids)
        if n_anchors is not None and n_anchors != len(out):
            raise ValueError(f"n_anchors={n_anchors} does not match len(ids)={len(out)}")
        return out
    if ids is not None:
        raise ValueError(f"ids are only used with strategy='explicit', not strategy={strategy!r}")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy={strategy!r} is not supported; choose one of {list(STRATEGIES) + ['explicit']}")
    if isinstance(n_anchors, bool) or not isinstance(n_anchors, (int, np.integer)):
        raise TypeError(f"n_anchors={n_anchors!r} must be an int")
    n = space.n_samples
    if n_anchors < 1:
        raise ValueError(f"n_anchors={n_anchors} must be >= 1")
    if n_anchors > n:
        raise ValueError(f"n_anchors={n_anchors} must be <= n_samples={n}")
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
    V = _normalized(space.vectors)
    A = _normalized(space.take(anchor_ids))
    if reduce not in ("mean", "max"):
        raise ValueError(f"reduce={reduce!r} must be 'mean' or 'max'")
    nearest = np.sqrt(np.maximum(2.0 - 2.0 * V @ A.T, 0.0).min(1))
    return float(nearest.mean() if reduce == "mean" else nearest.max())
