"""Plotly figure builders: pure functions of cached data (no streamlit here)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]


def map_figure(coords, *, ids, labels, target_names, split, anchor_ids, height: int = 380) -> go.Figure:
    """Scatter of one 2-D layout, one trace per class, anchors as stars.

    Parameters
    ----------
    coords : ndarray of shape (n_samples, 2)
    ids, split : ndarray of shape (n_samples,)
    labels : ndarray of shape (n_samples,) of int, or None when unlabelled
    target_names : sequence of str, indexed by label
    anchor_ids : sequence of int
    """
    coords = np.asarray(coords)
    if labels is None:  # unlabelled upload: one colour
        labels, target_names = np.zeros(len(ids), dtype=np.int64), ("unlabelled",)
    fig = go.Figure()
    anchor_mask = np.isin(ids, np.asarray(anchor_ids, dtype=ids.dtype))
    kind = go.Scattergl if len(ids) > 5000 else go.Scatter  # SVG renders everywhere; WebGL for big maps
    for c in np.unique(labels):
        m = labels == c
        fig.add_trace(
            kind(
                x=coords[m, 0], y=coords[m, 1], mode="markers",
                name=str(target_names[c]), legendgroup=str(c),
                marker=dict(size=5, color=PALETTE[int(c) % len(PALETTE)], opacity=0.7),
                customdata=np.stack([ids[m], split[m]], axis=1),
                hovertemplate="id %{customdata[0]} (%{customdata[1]})<br>label " + str(target_names[c]) + "<extra></extra>",
            )
        )
    if anchor_mask.any():
        a_lab = labels[anchor_mask]
        fig.add_trace(
            go.Scatter(
                x=coords[anchor_mask, 0], y=coords[anchor_mask, 1], mode="markers",
                name=f"anchors ({int(anchor_mask.sum())})",
                marker=dict(symbol="star", size=9, color=[PALETTE[int(c) % len(PALETTE)] for c in a_lab], opacity=0.9, line=dict(width=0.8, color="black")),
                customdata=np.stack([ids[anchor_mask], a_lab], axis=1),
                hovertemplate="anchor id %{customdata[0]}<br>label %{customdata[1]}<extra></extra>",
            )
        )
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, itemsizing="constant", font=dict(size=11)),
        xaxis=dict(showticklabels=False, title=None, zeroline=False), yaxis=dict(showticklabels=False, title=None, zeroline=False),
        plot_bgcolor="white", uirevision="keep",
    )
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(showgrid=False, scaleanchor="x", scaleratio=1)
    return fig


def heatmap_figure(M, *, encoders, title: str, highlight=None, height: int = 380) -> go.Figure:
    """Annotated all-pairs heatmap; NaN cells read "n/a".

    Parameters
    ----------
    M : ndarray of shape (n_encoders, n_encoders)
        ``M[i, j]``: accuracy of encoder i's head fed encoder j's space.
    encoders : sequence of str
    highlight : tuple of (int, int) pairs, optional
        Cells outlined in the figure (the chosen A/B pair).
    """
    M = np.asarray(M, dtype=float)
    text = [["n/a" if np.isnan(v) else f"{v:.2f}" for v in row] for row in M]
    fig = go.Figure(
        go.Heatmap(
            z=M, x=list(encoders), y=list(encoders), text=text, texttemplate="%{text}",
            zmin=0, zmax=1, colorscale="Viridis", showscale=False, textfont=dict(size=12),
            hovertemplate="head of %{y}<br>fed space of %{x}<br>accuracy %{text}<extra></extra>",
        )
    )
    for i, j in highlight or ():
        fig.add_shape(type="rect", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5, line=dict(color="red", width=3))
    fig.update_layout(
        title=dict(text=title, x=0.0, font=dict(size=14)), height=height, margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(title="space fed in (j)", side="bottom", tickangle=-35), yaxis=dict(title="head of (i)", autorange="reversed"),
    )
    return fig
