"""Plotly figure builders: pure functions of cached data (no streamlit here).

Every figure is a deterministic function of its arguments, so an unchanged input gives
an unchanged figure and Streamlit keeps the chart (and the user's zoom) mounted.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
    "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
]
#: Fixed colours of the "stitched correctly?" categories.
OUTCOME_COLORS = {"correct": "#2ca02c", "wrong": "#d62728", "train (not scored)": "#c7c7c7"}
#: Above this many legend entries (classes + anchors) the legend moves from the top to a column on the right.
LEGEND_ON_TOP_UP_TO = 14
#: Above this many points a map uses WebGL (scattergl) by default; SVG below renders everywhere. The maps of
#: Explore are always WebGL (:mod:`dashboard.map_chart`).
WEBGL_FROM = 5000
#: How anchors (a star) and highlighted samples (a ring) look, in every map and its legend.
ANCHOR_MARKER = dict(symbol="star", size=9, color="#ffd400", opacity=0.9, line=dict(width=0.7, color="#333"))
HIGHLIGHT_MARKER = dict(symbol="circle-open", size=13, color="#e6007e", line=dict(width=2.2))
#: Up to this many points each point's hover label is its own description (``hover``).
#: Above it the label is built in the browser from the point's id and colour class
#: (anchors and highlighted samples keep theirs): at 100k points the descriptions would
#: be most of each map's message.
HOVERTEXT_UP_TO = 20_000
#: Marker diameter (px) up to and above ``HOVERTEXT_UP_TO`` points. 100k points of 5 px
#: cover a map several times over, and drawing a map costs the browser in proportion to
#: the pixels its markers cover.
MARKER_SIZE, MARKER_SIZE_LARGE = 5, 3


@dataclass(frozen=True)
class Coloring:
    """How to colour the points of a map.

    Attributes
    ----------
    name : str
        What the colour means (legend / colour bar title).
    values : ndarray of shape (n_samples,)
        Category names (str) or numbers.
    continuous : bool
        Numbers on a colour scale (True) or one legend entry per category (False).
    categories : tuple of str
        Category order (categorical only); colours follow it.
    colors : dict of str -> str, optional
        Fixed colours of some categories.
    vrange : tuple of (float, float), optional
        Fixed ends of the colour scale (continuous only), so that two colourings of the
        same quantity compare by colour; the values' own range by default.
    """

    name: str
    values: np.ndarray
    continuous: bool = False
    categories: tuple = ()
    colors: dict | None = None
    vrange: tuple | None = None

    def color_of(self, category: str) -> str:
        if self.colors and category in self.colors:
            return self.colors[category]
        return PALETTE[self.categories.index(category) % len(PALETTE)]


def plain(value) -> str:
    """A user string for plotly text (legends, ticks, titles), which renders a subset of HTML: escaped."""
    return html.escape(str(value), quote=False)


def _ids_column(ids, mask=None) -> np.ndarray:
    ids = np.asarray(ids)
    col = ids if mask is None else ids[mask]
    return col.reshape(-1, 1)


def rows_of(ids, wanted) -> np.ndarray:
    """Rows of a map whose id is in ``wanted`` (ids not on the map are ignored), in map order.

    Parameters
    ----------
    ids : ndarray of shape (n_samples,)
    wanted : sequence of ids

    Returns
    -------
    ndarray of shape (n_found,), int
    """
    return np.flatnonzero(np.isin(np.asarray(ids), list(wanted)))


def map_figure(
    coords,
    *,
    ids,
    coloring: Coloring,
    hover,
    anchor_ids=(),
    highlight_ids=(),
    height: int = 380,
    note: str = "",
    webgl: bool | None = None,
) -> go.Figure:
    """Scatter of one 2-D layout: every sample, anchors as stars, highlighted samples ringed.

    Each trace carries the sample id as its single ``customdata`` column, so a
    selection maps back to ids whatever the trace (``point_index`` is per trace).

    Parameters
    ----------
    coords : ndarray of shape (n_samples, 2)
    ids : ndarray of shape (n_samples,)
    coloring : Coloring
    hover : sequence of str of length n_samples
        Hover text of each sample (id, label, text or feature values...). Maps of more
        than :data:`HOVERTEXT_UP_TO` points use it for the anchors and highlighted
        samples only; their other points show their id and colour class.
    anchor_ids, highlight_ids : sequence of ids
    height : int, default=380
    note : str, default=""
        Shown in the top-right corner of the map (e.g. the number of points).
    webgl : bool, optional
        Draw the points with WebGL (``scattergl``) or SVG (``scatter``). By default
        WebGL above :data:`WEBGL_FROM` points. The anchors and highlighted samples
        are always SVG, above the points.
    """
    coords = np.asarray(coords)
    ids = np.asarray(ids)
    hover = np.asarray(hover)
    if hover.dtype.kind != "U":  # unicode, not object: plotly deep-copies object arrays element by element
        hover = hover.astype(str)
    n = len(ids)
    kind = go.Scattergl if (n > WEBGL_FROM if webgl is None else webgl) else go.Scatter
    fig = go.Figure()
    common = dict(mode="markers", hovertemplate="%{hovertext}<extra></extra>")
    own_text = n <= HOVERTEXT_UP_TO
    size = MARKER_SIZE if own_text else MARKER_SIZE_LARGE

    def labelled(mask, template: str) -> dict:
        """Hover of the points in ``mask``: their descriptions, or ``template`` on a large map."""
        if own_text:
            return dict(hovertext=hover[mask], **common)
        return dict(common, hovertemplate=template + "<extra></extra>")
    if coloring.continuous:
        vals = np.asarray(coloring.values, dtype=float)
        ok = np.isfinite(vals)
        fig.add_trace(kind(
            x=coords[ok, 0], y=coords[ok, 1], name=plain(coloring.name), showlegend=False,
            marker=dict(size=size, color=vals[ok], colorscale="Viridis", opacity=0.8,
                        colorbar=dict(title=dict(text=plain(coloring.name), side="right"), thickness=10, len=0.8),
                        **(dict(cmin=coloring.vrange[0], cmax=coloring.vrange[1]) if coloring.vrange else {})),
            customdata=_ids_column(ids, ok),
            **labelled(ok, f"id %{{customdata[0]}} · {plain(coloring.name)} <b>%{{marker.color:.4g}}</b>"),
        ))
        if (~ok).any():
            fig.add_trace(kind(
                x=coords[~ok, 0], y=coords[~ok, 1], name=plain(f"{coloring.name} missing"),
                marker=dict(size=size, color="#bbbbbb", opacity=0.6),
                customdata=_ids_column(ids, ~ok),
                **labelled(~ok, f"id %{{customdata[0]}} · {plain(coloring.name)} <b>missing</b>"),
            ))
    else:
        vals = np.asarray(coloring.values).astype(str)
        for cat in coloring.categories:
            m = vals == cat
            if not m.any():
                continue
            fig.add_trace(kind(
                x=coords[m, 0], y=coords[m, 1], name=plain(cat), legendgroup=str(cat),
                marker=dict(size=size, color=coloring.color_of(cat), opacity=0.75),
                customdata=_ids_column(ids, m),
                **labelled(m, f"id %{{customdata[0]}} · {plain(coloring.name)} <b>{plain(cat)}</b>"),
            ))
    a_pos = rows_of(ids, anchor_ids)
    if len(a_pos):
        fig.add_trace(go.Scatter(
            x=coords[a_pos, 0], y=coords[a_pos, 1], name=f"anchors ({len(a_pos)})",
            marker=ANCHOR_MARKER,
            customdata=_ids_column(ids[a_pos]), hovertext=np.array(["<b>anchor</b> " + h for h in hover[a_pos]], dtype=object),
            **common,
        ))
    h_pos = rows_of(ids, highlight_ids)
    if len(h_pos):
        fig.add_trace(go.Scatter(
            x=coords[h_pos, 0], y=coords[h_pos, 1], name=f"highlighted ({len(h_pos)})",
            marker=HIGHLIGHT_MARKER,
            customdata=_ids_column(ids[h_pos]), hovertext=np.array(["<b>highlighted</b> " + h for h in hover[h_pos]], dtype=object),
            **common,
        ))
    n_entries = sum(1 for t in fig.data if t.showlegend is not False)
    if n_entries > LEGEND_ON_TOP_UP_TO:  # many classes: a scrolling column on the right keeps the map its height
        legend = dict(orientation="v", yanchor="top", y=1.0, x=1.01, itemsizing="constant", font=dict(size=9),
                      tracegroupgap=0)
    else:
        legend = dict(orientation="h", yanchor="bottom", y=1.0, x=0, itemsizing="constant", font=dict(size=10))
    fig.update_layout(
        height=height, margin=dict(l=5, r=5, t=28, b=5),
        legend=legend,
        xaxis=dict(showticklabels=False, title=None, zeroline=False, showgrid=False),
        yaxis=dict(showticklabels=False, title=None, zeroline=False, showgrid=False, scaleanchor="x", scaleratio=1),
        plot_bgcolor="white", hoverlabel=dict(font_size=11),
    )
    if note:
        fig.add_annotation(text=note, xref="paper", yref="paper", x=1, y=0, xanchor="right", yanchor="bottom",
                           showarrow=False, font=dict(size=10, color="#666"))
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
            z=M, x=[plain(e) for e in encoders], y=[plain(e) for e in encoders], text=text, texttemplate="%{text}",
            zmin=0, zmax=1, colorscale="Viridis", showscale=False, textfont=dict(size=11),
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


def heatmaps_figure(matrices: dict, *, encoders, highlight=None, height: int = 470) -> go.Figure:
    """Several all-pairs heatmaps side by side, sharing the encoder axes; NaN cells read "n/a".

    Parameters
    ----------
    matrices : dict of str -> ndarray of shape (n_encoders, n_encoders)
        Panel title -> ``M[i, j]``, accuracy of encoder i's head fed encoder j's space.
    encoders : sequence of str
    highlight : tuple of (int, int) pairs, optional
        Cells outlined in every panel (the chosen A/B pair).
    """
    from plotly.subplots import make_subplots

    titles = list(matrices)
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, shared_yaxes=True, horizontal_spacing=0.02)
    small = len(encoders) > 6
    for k, title in enumerate(titles, start=1):
        M = np.asarray(matrices[title], dtype=float)
        text = [["n/a" if np.isnan(v) else f"{v:.2f}" for v in row] for row in M]
        fig.add_trace(go.Heatmap(
            z=M, x=[plain(e) for e in encoders], y=[plain(e) for e in encoders], text=text, texttemplate="%{text}", zmin=0, zmax=1,
            colorscale="Viridis", showscale=False, textfont=dict(size=9 if small else 12),
            hovertemplate=f"{title}<br>head of %{{y}}<br>fed space of %{{x}}<br>accuracy %{{text}}<extra></extra>",
        ), row=1, col=k)
        for i, j in highlight or ():
            fig.add_shape(type="rect", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5, line=dict(color="red", width=3),
                          row=1, col=k)
        fig.update_xaxes(tickangle=-40, tickfont=dict(size=10), title_text="space fed in (j)", row=1, col=k)
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=10))
    fig.update_yaxes(title_text="head of (i)", row=1, col=1)
    fig.update_annotations(font_size=13)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def confusion_figure(M, *, class_names, title: str, height: int = 420) -> go.Figure:
    """Confusion counts: rows true class, columns predicted class.

    Parameters
    ----------
    M : ndarray of shape (n_classes, n_classes), int
    class_names : sequence of str
    """
    M = np.asarray(M)
    names = [str(c) for c in class_names]
    fig = go.Figure(go.Heatmap(
        z=M, x=names, y=names, text=M, texttemplate="%{text}", colorscale="Blues", showscale=False,
        hovertemplate="true %{y}<br>predicted %{x}<br>%{z} samples<extra></extra>",
    ))
    fig.update_layout(
        title=dict(text=title, x=0.0, font=dict(size=14)), height=height, margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(title="predicted", type="category"), yaxis=dict(title="true", autorange="reversed", type="category"),
    )
    return fig


def sweep_figure(df, *, title: str, height: int = 420) -> go.Figure:
    """Accuracy vs number of anchors: one line per (strategy, what) in ``df``.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``n_anchors``, ``accuracy``, ``strategy``, ``what`` (e.g. "stitched
        B → A's head"; names containing "no stitching" are dotted, the others solid),
        and optionally ``std`` (across seeds).
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
            fig.add_trace(go.Scatter(
                x=d["n_anchors"], y=d["accuracy"], mode="lines+markers", name=f"{strategy} · {what}",
                line=dict(color=PALETTE[si % len(PALETTE)], dash=dashes[wi % len(dashes)]), error_y=err,
                hovertemplate=f"{strategy} · {what}<br>%{{x}} anchors<br>accuracy %{{y:.3f}}<extra></extra>",
            ))
    fig.update_layout(
        title=dict(text=title, x=0.0, font=dict(size=14)), height=height, margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(title="number of anchors", type="log", tickvals=sorted(set(df["n_anchors"]))),
        yaxis=dict(title="test accuracy", range=[0, 1.02]),
        legend=dict(font=dict(size=11)),
    )
    return fig


def metrics_figure(table, *, title: str, height: int = 360) -> go.Figure:
    """Grouped bars of space metrics, absolute vs relative.

    Parameters
    ----------
    table : pandas.DataFrame
        Index: metric names; columns ``absolute`` and ``relative`` (NaN: not applicable).
    """
    fig = go.Figure()
    names = list(table.index)[::-1]  # horizontal bars, first metric on top: labels never overlap
    for col, color in (("relative", "#1f77b4"), ("absolute", "#7f7f7f")):
        vals = table[col].astype(float).iloc[::-1]
        fig.add_trace(go.Bar(
            y=names, x=vals.fillna(0.0), name=col, marker_color=color, orientation="h",
            text=["n/a" if np.isnan(v) else f"{v:.2f}" for v in vals], textposition="outside", cliponaxis=False,
        ))
    fig.update_layout(
        barmode="group", title=dict(text=title, x=0.0, font=dict(size=14)), height=max(height, 46 * len(names) + 80),
        margin=dict(l=10, r=40, t=40, b=50), xaxis=dict(range=[min(0.0, float(table.min().min()) - 0.1), 1.15]),
        # under the bars: above them it met the title, and the modebar on hover
        legend=dict(orientation="h", yanchor="top", y=-0.09, x=0, traceorder="reversed"),
    )
    return fig
