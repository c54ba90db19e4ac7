"""Plotly figures of scores: all-pairs accuracy heatmaps, confusion matrices, anchor-sweep curves.

Pure functions of their arguments (no streamlit here), like :mod:`dashboard.figures`.
Every accuracy is drawn on one fixed 0-1 colour scale with its colour bar, so two
heatmaps (or two visits) can be compared by colour alone.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.figures import PALETTE, plain

__all__ = ["ACCURACY_SCALE", "heatmap_figure", "heatmaps_figure", "confusion_figure", "sweep_figure"]

#: Colour scale of accuracies (always 0-1, so equal colours mean equal accuracies on every heatmap).
ACCURACY_SCALE = "Viridis"
#: Colour scale of a confusion matrix's shares of the true class.
SHARE_SCALE = "Blues"
#: Colour of the absolute baseline of the anchor sweep: grey, no strategy uses it.
BASELINE_COLOR = "#555555"


def _colorbar(title: str, *, x: float = 1.0) -> dict:
    """A slim 0-1 colour bar with quarter ticks, its title on its side (never over the plot's title)."""
    return dict(title=dict(text=title, side="right"), thickness=12, len=0.9, x=x, xpad=6,
                tickvals=[0, 0.25, 0.5, 0.75, 1], ticktext=["0", "0.25", "0.5", "0.75", "1"], tickfont=dict(size=10))


#: Height (px) of the top margin's row that the modebar takes on hover; titles sit below it.
MODEBAR_ROW = 30


def _title(text: str, *, note: str = "") -> tuple[dict, int]:
    """A title (and a smaller note under it) just above the plot area, under the modebar's row; and the top
    margin that holds them all."""
    # the subtitle hangs under the title's baseline: the padding makes room for it above the plot
    title = dict(text=text, x=0.0, xanchor="left", xref="paper", y=1.0, yanchor="bottom", yref="paper",
                 pad=dict(b=32 if note else 12), font=dict(size=14))
    if note:
        title["subtitle"] = dict(text=note, font=dict(size=11, color="#555"))
    return title, MODEBAR_ROW + 40 + (32 if note else 0)


def _cells(M) -> list:
    return [["n/a" if np.isnan(v) else f"{v:.2f}" for v in row] for row in M]


def heatmap_figure(M, *, encoders, title: str, highlight=None, height: int = 380) -> go.Figure:
    """Annotated all-pairs heatmap with its 0-1 accuracy colour bar; NaN cells read "n/a".

    Parameters
    ----------
    M : ndarray of shape (n_encoders, n_encoders)
        ``M[i, j]``: accuracy of encoder i's head fed encoder j's space.
    encoders : sequence of str
    title : str
    highlight : tuple of (int, int) pairs, optional
        Cells outlined in the figure (the chosen A/B pair).
    height : int, default=380
    """
    M = np.asarray(M, dtype=float)
    names = [plain(e) for e in encoders]
    fig = go.Figure(go.Heatmap(
        z=M, x=names, y=names, text=_cells(M), texttemplate="%{text}", zmin=0, zmax=1, colorscale=ACCURACY_SCALE,
        colorbar=_colorbar("test accuracy"), textfont=dict(size=11),
        hovertemplate="head of %{y}<br>fed space of %{x}<br>accuracy %{text}<extra></extra>",
    ))
    for i, j in highlight or ():
        fig.add_shape(type="rect", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5, line=dict(color="red", width=3))
    head, top = _title(plain(title))
    fig.update_layout(
        title=head, height=height, margin=dict(l=10, r=10, t=top, b=10),
        xaxis=dict(title="space fed in (j)", side="bottom", tickangle=-35), yaxis=dict(title="head of (i)", autorange="reversed"),
    )
    return fig


def heatmaps_figure(matrices: dict, *, encoders, highlight=None, height: int = 470) -> go.Figure:
    """Several all-pairs heatmaps side by side, sharing the encoder axes and one 0-1 accuracy colour bar.

    NaN cells read "n/a".

    Parameters
    ----------
    matrices : dict of str -> ndarray of shape (n_encoders, n_encoders)
        Panel title -> ``M[i, j]``, accuracy of encoder i's head fed encoder j's space.
    encoders : sequence of str
    highlight : tuple of (int, int) pairs, optional
        Cells outlined in every panel (the chosen A/B pair).
    height : int, default=470
    """
    titles = list(matrices)
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=[plain(t) for t in titles], shared_yaxes=True,
                        horizontal_spacing=0.02)
    small = len(encoders) > 6
    names = [plain(e) for e in encoders]
    for k, title in enumerate(titles, start=1):
        M = np.asarray(matrices[title], dtype=float)
        fig.add_trace(go.Heatmap(
            z=M, x=names, y=names, text=_cells(M), texttemplate="%{text}", coloraxis="coloraxis",
            textfont=dict(size=9 if small else 12),
            hovertemplate=f"{plain(title)}<br>head of %{{y}}<br>fed space of %{{x}}<br>accuracy %{{text}}<extra></extra>",
        ), row=1, col=k)
        for i, j in highlight or ():
            fig.add_shape(type="rect", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5, line=dict(color="red", width=3),
                          row=1, col=k)
        fig.update_xaxes(tickangle=-40, tickfont=dict(size=10), title_text="space fed in (j)", row=1, col=k)
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=10))
    fig.update_yaxes(title_text="head of (i)", row=1, col=1)
    fig.update_annotations(font_size=13)
    # one bar for every panel: a shared coloraxis, fixed to 0-1, so equal colours are equal accuracies
    # the panel titles sit right above the panels; the top margin keeps them under the modebar's row
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=MODEBAR_ROW + 28, b=10),
                      coloraxis=dict(colorscale=ACCURACY_SCALE, cmin=0, cmax=1, colorbar=_colorbar("test accuracy", x=1.01)))
    return fig


def confusion_figure(M, *, class_names, title: str, height: int = 480) -> go.Figure:
    """Confusion counts, coloured by the share of each true class (0-1, with its colour bar).

    Colouring by share rather than count keeps a small class's mistakes as visible as a
    large one's; the cells still read the counts.

    Parameters
    ----------
    M : ndarray of shape (n_classes, n_classes), int
        Rows: true class; columns: predicted class.
    class_names : sequence of str
    title : str
    height : int, default=480
    """
    M = np.asarray(M)
    totals = M.sum(axis=1, keepdims=True)
    share = np.divide(M, totals, out=np.zeros(M.shape, dtype=float), where=totals > 0)
    names = [plain(c) for c in class_names]
    fig = go.Figure(go.Heatmap(
        z=share, x=names, y=names, text=M, texttemplate="%{text}", zmin=0, zmax=1, colorscale=SHARE_SCALE,
        # under the matrix, not beside it: the matrix usually sits in a narrow column and keeps its width
        colorbar=dict(_colorbar("share of the true class"), orientation="h", x=0.5, xanchor="center", y=-0.22,
                      yanchor="top", len=0.8, title=dict(text="share of the true class", side="top")),
        customdata=share,
        hovertemplate="true %{y}<br>predicted %{x}<br>%{text} samples (%{customdata:.0%} of the true class)<extra></extra>",
    ))
    head, top = _title(plain(title))
    fig.update_layout(
        title=head, height=height, margin=dict(l=10, r=10, t=top, b=10),
        xaxis=dict(title="predicted", type="category"), yaxis=dict(title="true", autorange="reversed", type="category"),
    )
    return fig


def sweep_figure(df, *, title: str, baseline: float | None = None, baseline_label: str = "",
                 note: str = "", height: int = 460) -> go.Figure:
    """Accuracy vs number of anchors: one line per (strategy, what) in ``df``, plus an absolute baseline.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``n_anchors``, ``accuracy``, ``strategy``, ``what`` (e.g. "stitched
        B → A's head"; names containing "no stitching" are dotted, the others solid),
        and optionally ``std`` (across seeds).
    title : str
    baseline : float, optional
        The accuracy without anchors to compare with (absolute stitching of the same
        pair): a dashed grey line across every anchor count, named ``baseline_label``.
    baseline_label : str, default=""
    note : str, default=""
        Shown under the title (e.g. why there is no baseline).
    height : int, default=460
    """
    fig = go.Figure()
    strategies = list(dict.fromkeys(df["strategy"]))
    whats = sorted(dict.fromkeys(df["what"]), key=lambda w: "no stitching" in w)  # stitched first: solid
    dashes = ["solid", "dot", "dash", "dashdot"]
    for si, strategy in enumerate(strategies):
        for wi, what in enumerate(whats):
            d = df[(df["strategy"] == strategy) & (df["what"] == what)].sort_values("n_anchors")
            if d.empty:
                continue
            err = dict(type="data", array=d["std"], visible=True) if "std" in d and d["std"].notna().any() else None
            name = plain(f"{strategy} · {what}")
            fig.add_trace(go.Scatter(
                x=d["n_anchors"], y=d["accuracy"], mode="lines+markers", name=name,
                line=dict(color=PALETTE[si % len(PALETTE)], dash=dashes[wi % len(dashes)]), error_y=err,
                hovertemplate=f"{name}<br>%{{x}} anchors<br>accuracy %{{y:.3f}}<extra></extra>",
            ))
    counts = sorted(set(df["n_anchors"]))
    if baseline is not None and counts:
        label = plain(baseline_label or "absolute baseline")
        fig.add_trace(go.Scatter(
            x=[counts[0], counts[-1]], y=[baseline, baseline], mode="lines", name=f"{label}: {baseline:.3f}",
            line=dict(color=BASELINE_COLOR, dash="dash", width=2), meta="baseline",
            hovertemplate=f"{label}<br>accuracy {baseline:.3f} (no anchors)<extra></extra>",
        ))
    head, top = _title(f"<b>{plain(title)}</b>", note=plain(note))
    fig.update_layout(
        title=head, height=height, margin=dict(l=10, r=10, t=top, b=10),
        xaxis=dict(title="number of anchors", type="log", tickvals=counts),
        yaxis=dict(title="test accuracy", range=[0, 1.02]),
        # below the plot: the modebar (top right) and the title (top left) never cover it
        legend=dict(orientation="h", yanchor="top", y=-0.2, x=0, font=dict(size=11)),
    )
    return fig
