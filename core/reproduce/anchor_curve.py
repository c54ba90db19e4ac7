"""Stitched accuracy as a function of the number of anchors, relative vs translated.

No published curve is quoted in our notes; the published guidance is Maiorca et al.'s: a
translation needs at least as many anchors as latent dimensions, whereas relative
representations work with fewer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..methods.sweep import anchor_sweep
from .section import Headline, Section

__all__ = ["anchor_curve_section", "ENCODERS", "COUNTS"]

#: Digits encoders of the curve: two seeds of one MLP and a CNN (seeds and architectures).
ENCODERS = ("mlp-s0", "mlp-s1", "cnn-s0")
#: Anchor counts.
COUNTS = (5, 10, 20, 50, 100, 200, 500, 1000)

_COLORS = {"relative": "#1f77b4", "translated": "#ff7f0e"}


def _reach(curve: pd.Series, frac: float = 0.95) -> int:
    """The fewest anchors at which ``curve`` reaches ``frac`` of its best value."""
    return int(curve.index[np.argmax(curve.to_numpy() >= frac * curve.max())])


def anchor_curve_section(zoo, *, encoders=None, counts=COUNTS, seeds=(0, 1, 2), steps=None) -> Section:
    """:func:`core.methods.sweep.anchor_sweep` on one zoo (digits), relative and translated.

    Parameters
    ----------
    zoo : core.spaces.zoo.Zoo
        The digits zoo (another zoo: its first three encoders).
    encoders : sequence of str, optional
        Default :data:`ENCODERS` when the zoo has them all.
    counts : sequence of int, default=COUNTS
        Anchor counts (at most the train split's size).
    seeds : sequence of int, default=(0, 1, 2)
    steps : core.runtime.progress.Steps, optional

    Returns
    -------
    Section
    """
    if encoders is None:
        encoders = ENCODERS if set(ENCODERS) <= set(zoo.names) else zoo.names[:3]
    train, test = zoo.spaces("train", list(encoders)), zoo.spaces("test", list(encoders))
    n_train = len(next(iter(train.values())))
    counts = [c for c in counts if c <= n_train]
    tick = (lambda done, total, what: steps.tick(done, total)) if steps is not None else None
    df = anchor_sweep(train, test, counts, seeds=seeds, modes=("relative", "translated"), progress=tick)
    stitched = df[df["stitched"]].groupby(["mode", "n_anchors"])["accuracy"]
    mean = stitched.mean().unstack(0)
    sd = df[df["stitched"]].groupby(["mode", "seed", "n_anchors"])["accuracy"].mean().groupby(
        ["mode", "n_anchors"]).std().unstack(0)
    own = df[~df["stitched"] & (df["mode"] == "translated")]["accuracy"].mean()  # absolute heads on their own space
    dims = max(s.n_dims for s in train.values())

    fig = go.Figure()
    for mode in ("relative", "translated"):
        m, s = mean[mode], sd[mode].fillna(0)
        x = list(m.index)
        fig.add_scatter(x=x + x[::-1], y=list(m + s) + list((m - s)[::-1]), fill="toself", mode="lines",
                        line=dict(width=0),
                        fillcolor=_COLORS[mode], opacity=0.18, hoverinfo="skip", showlegend=False)
        fig.add_scatter(x=x, y=m, mode="lines+markers", name=f"{mode}, stitched", line=dict(color=_COLORS[mode]))
    fig.add_hline(y=own, line_dash="dot", line_color="#2ca02c", annotation_text="non-stitched (own head)",
                  annotation_position="top left")
    fig.add_vline(x=dims, line_dash="dash", line_color="#7f7f7f")
    # annotations on a log axis take log10 coordinates (the line above takes data coordinates)
    fig.add_annotation(x=float(np.log10(dims)), y=0.08, text=f" latent dims ({dims})", showarrow=False,
                       xanchor="left", font=dict(color="#555"))
    # a fixed range: autorange on a log axis misreads the vertical line's position
    span = np.log10([min(counts), max(counts)])
    fig.update_layout(xaxis=dict(type="log", title="anchors", range=[span[0] - 0.1, span[1] + 0.1]),
                      yaxis=dict(title="stitched accuracy", range=[0, 1.04]),
                      height=400, legend=dict(orientation="h", y=1.1), margin=dict(t=40, b=50))
    table = pd.DataFrame({"relative": mean["relative"], "relative sd": sd["relative"],
                          "translated": mean["translated"], "translated sd": sd["translated"]})
    table.index.name = "anchors"
    reach = {mode: _reach(mean[mode]) for mode in ("relative", "translated")}
    return Section(
        key="anchors",
        title="5. How many anchors? The anchor-count curve",
        protocol=(f"{zoo.dataset_name.capitalize()} encoders {', '.join(encoders)}: for each anchor count and seed {list(seeds)}, uniform "
                  f"anchors of the train split; every ordered pair of different encoders is stitched with relative "
                  f"heads and with the orthogonal translation (section 4). Mean test accuracy over the pairs; the "
                  f"band is the spread (sd) over seeds."),
        published=("Maiorca et al. (NeurIPS 2023): use at least as many anchors as latent dimensions for a "
                   "translation. No published curve for these zoos."),
        tables=[("Stitched accuracy by anchor count (mean over pairs; sd over seeds)", table)],
        figures=[("Stitched accuracy vs number of anchors (log scale)", fig)],
        headlines=[Headline(f"Anchors to reach 95% of the best stitched accuracy, relative / translated "
                            f"({zoo.dataset_name})",
                            f"{reach['relative']} / {reach['translated']}",
                            f"translation: >= latent dims ({dims})")],
    )
