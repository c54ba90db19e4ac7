"""Anchor selection. Anchors are always sample **ids**, never positions or vectors."""

from __future__ import annotations

import numpy as np

from .latent_space import LatentSpace

__all__ = ["select_anchors", "STRATEGIES"]

#: Strategies accepted by :func:`select_anchors`.
STRATEGIES = ("random", "stratified")


def select_anchors(
    space: LatentSpace, n_anchors: int, *, strategy: str = "random", random_state: int = 0
) -> np.ndarray:
    """Pick anchor sample ids from a space.

    Parameters
    ----------
    space : LatentSpace
        Candidates are its ids (use a train-split space so that test samples never serve as anchors).
    n_anchors : int
        Number of anchors, ``1 <= n_anchors <= space.n_samples``.
    strategy : {"random", "stratified"}, default="random"
        ``random``: uniform without replacement. ``stratified``: class-balanced
        round-robin over the labels after a seeded shuffle (the official relreps
        default), so every class is represented once ``n_anchors >= n_classes``.
    random_state : int, default=0
        Seed; the same seed gives the same ids.

    Returns
    -------
    ids : ndarray of shape (n_anchors,)
        Unique sample ids of ``space``.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy={strategy!r} is not supported; choose one of {list(STRATEGIES)}")
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
    else:
        if space.labels is None:
            raise ValueError(
                f"strategy='stratified' needs labels, but space {space.name!r} has none; use strategy='random'"
            )
        perm = rng.permutation(n)
        labels = space.labels[perm]
        classes = np.unique(labels)
        queues = [perm[labels == c] for c in classes]
        pos = []
        depth = 0
        while len(pos) < n_anchors:
            for q in queues:
                if depth < len(q) and len(pos) < n_anchors:
                    pos.append(q[depth])
            depth += 1
        pos = np.asarray(pos)
    return np.asarray(space.ids)[pos].copy()
