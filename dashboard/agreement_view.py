"""Per-sample agreement of A and B in the dashboard: Explore's colour-by entries, the
distributions shown on Compare spaces, and the ranking of the samples agreed on least.

The numbers come from :func:`dashboard.loaders.agreement` (see :mod:`core.methods.agreement`
for the formulas).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.errors import StitchboardError
from dashboard import figures, loaders

#: k of the neighbourhood overlap on Explore's maps and in the least-agreeing list.
MAP_K = 10


#: Colour-by entry -> (agreement column, what it measures, colour-scale ends). Every measure is
#: drawn on [0, 1], so switching from relative to absolute compares by colour; a cosine below 0
#: (no agreement, or opposite) is drawn as 0, and the relative cosines that matter lie near 1.
MEASURES = {
    "agreement: relative cosine": ("relative_cosine", "cos(r_A, r_B), relative", (0.0, 1.0)),
    f"agreement: neighbours@{MAP_K}, relative": ("relative_overlap", f"kNN overlap@{MAP_K}, relative", (0.0, 1.0)),
    f"agreement: neighbours@{MAP_K}, absolute": ("absolute_overlap", f"kNN overlap@{MAP_K}, absolute", (0.0, 1.0)),
    "agreement: absolute cosine": ("absolute_cosine", "cos(x_A, x_B), absolute", (0.0, 1.0)),
}
#: Explore's "Colour by" entries (:func:`dashboard.controls.color_choices`).
COLOR_CHOICES = tuple(MEASURES)
#: What each measure means, for help texts and captions.
EXPLAIN = {
    "relative_cosine": "cosine of the sample's relative vectors in A and in B (same anchors, so the same coordinates)",
    "relative_overlap": f"share of its {MAP_K} nearest neighbours (relative vectors) that A and B have in common",
    "absolute_overlap": f"share of its {MAP_K} nearest neighbours (absolute vectors) that A and B have in common",
    "absolute_cosine": "cosine of the sample's absolute vectors in A and in B (needs equal dims)",
}
#: Human column names of :func:`dashboard.loaders.agreement`'s table (downloads).
HEADERS = {"relative_cosine": "Relative cosine", "relative_overlap": f"Relative overlap@{MAP_K}",
           "absolute_overlap": f"Absolute overlap@{MAP_K}", "absolute_cosine": "Absolute cosine"}
RELATIVE_COLOR, ABSOLUTE_COLOR = "#1f77b4", "#7f7f7f"


def why_missing(column: str, *, coll, enc_a: str, enc_b: str, n_anchors: int) -> str | None:
    """Why a measure has no values for this pair (None when it has them)."""
    if column.startswith("relative") and n_anchors < 2:
        return f"needs at least 2 anchors (you have {n_anchors})"
    if column == "absolute_cosine" and coll.dim(enc_a) != coll.dim(enc_b):
        return f"n/a: dims differ ({coll.dim(enc_a)} vs {coll.dim(enc_b)})"
    return None


def coloring(color_by: str, anchors: tuple, *, source: str, coll, enc_a: str, enc_b: str) -> figures.Coloring:
    """The maps' colours for an agreement entry of "Colour by": one value per sample, on a fixed scale."""
    column, short, vrange = MEASURES[color_by]
    missing = why_missing(column, coll=coll, enc_a=enc_a, enc_b=enc_b, n_anchors=len(anchors))
    if missing:
        return figures.Coloring(f"{short}: {missing}", np.full(coll.n_samples, np.nan), continuous=True, vrange=vrange)
    try:
        values = loaders.agreement(source, enc_a, enc_b, tuple(anchors), MAP_K)[column].to_numpy()
    except StitchboardError as exc:  # e.g. a dead encoder's all-zero vectors: the maps still draw, grey, saying why
        return figures.Coloring(f"{short}: n/a, {exc}", np.full(coll.n_samples, np.nan), continuous=True, vrange=vrange)
    return figures.Coloring(short, values, continuous=True, vrange=vrange)


def distribution_figure(df: pd.DataFrame, *, k: int, height: int = 300) -> go.Figure:
    """Histograms of the per-sample agreement: cosines (left) and neighbourhood overlaps (right),
    relative against absolute.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`dashboard.loaders.agreement`'s columns; all-NaN columns are left out.
    k : int
        The overlaps' neighbourhood size (axis title).
    """
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                        subplot_titles=("cosine of each sample's two vectors", f"overlap of its {k} nearest neighbours"))
    tallest = {1: 0, 2: 0}
    for col, (kind, color) in enumerate((("relative", RELATIVE_COLOR), ("absolute", ABSOLUTE_COLOR))):
        for panel, (measure, lo, hi, bins) in enumerate((("cosine", -1.0, 1.0, 0.05), ("overlap", 0.0, 1.0, 1.0 / k)), 1):
            v = df[f"{kind}_{measure}"].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            if not len(v):
                continue
            start = lo - bins / 2 if measure == "overlap" else lo
            edges = np.arange(start, hi + bins + bins / 2, bins)
            tallest[panel] = max(tallest[panel], int(np.histogram(v, bins=edges)[0].max()))
            fig.add_trace(go.Histogram(
                x=v, name=kind, legendgroup=kind, showlegend=not any(t.name == kind for t in fig.data),
                marker_color=color, opacity=0.7, xbins=dict(start=start, end=hi + bins, size=bins),
                hovertemplate=f"{kind}<br>%{{x}}<br>%{{y}} samples<extra></extra>",
            ), row=1, col=panel)
    fig.update_xaxes(range=[-1.02, 1.02], title_text="cos", row=1, col=1)
    fig.update_xaxes(range=[-0.5 / k, 1 + 0.5 / k], title_text=f"overlap@{k}", row=1, col=2)
    fig.update_yaxes(title_text="samples", row=1, col=1)
    for panel, top in tallest.items():  # plotly fits bars to the top edge: room above the tallest one
        if top:
            fig.update_yaxes(range=[0, top * 1.08], row=1, col=panel)
    fig.update_annotations(font_size=13)
    fig.update_layout(barmode="overlay", height=height, margin=dict(l=10, r=10, t=60, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.12, x=0, font=dict(size=11)))
    return fig


def least_agreeing(df: pd.DataFrame, column: str, n: int) -> pd.DataFrame:
    """The ``n`` samples of lowest ``column`` (ties in collection order), lowest first."""
    order = np.argsort(df[column].to_numpy(dtype=float), kind="stable")[:n]
    return df.iloc[order]
