"""Anchor-count sweep: stitching accuracy as a function of the number of anchors."""

from __future__ import annotations

from typing import Callable, Mapping

import pandas as pd

from .anchors import STRATEGIES, select_anchors
from ..errors import InvalidInputError
from ..spaces.latent_space import LatentSpace
from ..runtime.progress import Steps
from .stitching import MODES, check_parallel, fit_absolute_heads, stitching_matrix
from ..validation import check_choice, check_int

__all__ = ["anchor_sweep"]


def anchor_sweep(
    train: Mapping[str, LatentSpace],
    test: Mapping[str, LatentSpace],
    n_anchors,
    *,
    pairs=None,
    strategies=("random",),
    seeds=(0,),
    modes=("relative",),
    head: str = "ridge",
    similarity: str = "cosine",
    progress: Callable[[int, int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> pd.DataFrame:
    """Stitching accuracy vs number of anchors, as a tidy table.

    Parameters
    ----------
    train, test : mapping of str to LatentSpace
        Parallel spaces as for :func:`core.methods.stitching.stitching_matrix`.
    n_anchors : sequence of int
        Anchor counts to try.
    pairs : sequence of (str, str), optional
        ``(head_encoder, space_encoder)`` pairs to report. Default: every ordered pair
        (diagonal included). Only the encoders named are trained.
    strategies : sequence of str, default=("random",)
    seeds : sequence of int, default=(0,)
    modes : sequence of str, default=("relative",)
    head, similarity : str
        See :func:`core.methods.stitching.stitching_matrix`.
    progress : callable(done, total, what), optional
        Called before each anchor set (``done`` sets finished of ``total``) and once at
        the end with ``done == total``.
    should_stop : callable() -> bool, optional
        Polled before the absolute heads and before each anchor set; when it returns
        True, :class:`core.errors.CancelledError` is raised and nothing is returned.

    Returns
    -------
    pandas.DataFrame
        One row per (strategy, seed, n_anchors, mode, head_encoder, space_encoder) with
        columns ``strategy, seed, n_anchors, mode, head_encoder, space_encoder,
        stitched, accuracy``.
    """
    counts = [check_int(n, name="n_anchors", low=1) for n in ([n_anchors] if isinstance(n_anchors, int) else n_anchors)]
    if not counts:
        raise InvalidInputError("n_anchors is empty: pass at least one anchor count")
    strategies, seeds, modes = ([v] if isinstance(v, (str, int)) else list(v) for v in (strategies, seeds, modes))
    for s in strategies:
        check_choice(s, name="strategy", choices=STRATEGIES)
    seeds = [check_int(s, name="seed", low=0, high=2**32 - 1) for s in seeds]
    for m in modes:
        check_choice(m, name="mode", choices=MODES)
    train, test = check_parallel(train, test)
    if pairs is not None:
        try:
            pairs = [tuple(p) for p in pairs]
        except TypeError:
            raise InvalidInputError("pairs must be a list of (head_encoder, space_encoder) pairs") from None
        if any(len(p) != 2 for p in pairs):
            raise InvalidInputError("pairs must be a list of (head_encoder, space_encoder) pairs")
        try:
            unknown = sorted({n for p in pairs for n in p} - set(train), key=str)
        except TypeError:
            raise InvalidInputError("pairs must name encoders by their str names") from None
        if unknown:
            raise InvalidInputError(f"pairs name unknown encoders {unknown}; choose from {sorted(train)}")
        names = [n for n in train if any(n in p for p in pairs)]
        train = {n: train[n] for n in names}
        test = {n: test[n] for n in names}
    first = next(iter(train.values()))
    steps = Steps(progress, len(strategies) * len(seeds) * len(counts), should_stop=should_stop)
    steps.check()
    # absolute heads do not depend on the anchors: train them once for the whole sweep
    abs_heads = fit_absolute_heads(train, head=head) if {"absolute", "translated"} & set(modes) else None
    rows = []
    for strategy in strategies:
        for seed in seeds:
            for n in counts:
                steps(f"{strategy}, seed {seed}, {n} anchors")
                ids = select_anchors(first, n, strategy=strategy, random_state=seed)
                res = stitching_matrix(
                    train, test, ids, modes=modes, head=head, similarity=similarity, absolute_heads=abs_heads
                )
                for mode in modes:
                    M = res.scores[mode]
                    for i, a in enumerate(res.encoders):
                        for j, b in enumerate(res.encoders):
                            if pairs is not None and (a, b) not in pairs:
                                continue
                            rows.append(
                                {
                                    "strategy": strategy, "seed": seed, "n_anchors": n, "mode": mode,
                                    "head_encoder": a, "space_encoder": b, "stitched": a != b,
                                    "accuracy": float(M[i, j]),
                                }
                            )
    steps.finish()
    return pd.DataFrame(rows)
