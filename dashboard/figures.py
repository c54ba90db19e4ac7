"""Plotly figure builders: pure functions of cached data (no streamlit here).

Every figure is a deterministic function of its arguments, so an unchanged input gives
an unchanged figure and Streamlit keeps the chart (and the user's zoom) mounted.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
    "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
]
#: Fixed colours of the "stitched correctly?" categories (the last: absolute stitching across dims).
OUTCOME_COLORS = {"correct": "#2ca02c", "wrong": "#d62728", "train (not scored)": "#c7c7c7",
                  "n/a: dims differ": "#9e9e9e"}
#: The one plotly config of every chart of the app (st.plotly_chart and the maps of map_chart): no plotly logo and
#: no "Share chart" button, which uploads the chart's data to Plotly Cloud (plotly.js 3.x shows it by default).
PLOTLY_CONFIG = {"displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False,
                 "modeBarButtonsToRemove": ["sendDataToCloud"]}
#: Above this many legend entries (classes + anchors) the legend moves from the top to a column on the right.
LEGEND_ON_TOP_UP_TO = 14
#: Above this many points a map uses WebGL (scattergl) by default; SVG below renders everywhere. The maps of
#: Explore are always WebGL (:mod:`dashboard.map_chart`).
WEBGL_FROM = 5000
#: How anchors (a star) and highlighted samples (a ring) look, in every map and its legend. The anchors are small
#: magenta stars outlined in white: neither the class colours (PALETTE, OUTCOME_COLORS) nor Viridis (agreement and
#: other numbers) come near magenta, where black merged into Viridis' dark purple end, the least-agreeing samples.
#: The white outline keeps a star readable on a dense cluster of any colour. Rings are black: another shape.
ANCHOR_COLOR = "#ff00ff"
ANCHOR_MARKER = dict(symbol="star", size=8, color=ANCHOR_COLOR, opacity=0.9, line=dict(width=0.8, color="#ffffff"))
HIGHLIGHT_MARKER = dict(symbol="circle-open", size=13, color="#111111", line=dict(width=2.2))
#: Above this many highlighted samples (a search matching a whole class) their rings are smaller, thinner and
#: translucent (HIGHLIGHT_MARKER_MANY): at full weight they hid the class under one black blob.
HIGHLIGHT_FULL_UP_TO = 40
HIGHLIGHT_MARKER_MANY = dict(symbol="circle-open", size=9, color="#111111", opacity=0.6, line=dict(width=1.2))
#: The "Anchors" control of the maps: stars drawn as ANCHOR_MARKER, faint (this opacity) or not at all.
ANCHOR_LOOKS = ("show", "faint", "hide")
ANCHOR_FAINT_OPACITY = 0.3
#: While one class is isolated (a click on the legend), the others are drawn in this colour and opacity, at this
#: fraction of their size (they may lie above the isolated class: smaller, they hide less of it).
DIMMED = dict(color="#d9d9d9", opacity=0.35)
DIMMED_SIZE = 0.6
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

    def scale(self) -> tuple[float, float]:
        """Ends of the colour scale: ``vrange`` when fixed, else the finite values' range."""
        return self.vrange or value_range(self.values)

    def color_of(self, category: str) -> str:
        if self.colors and category in self.colors:
            return self.colors[category]
        return PALETTE[self.categories.index(category) % len(PALETTE)]


#: Legend order of the overlays (plotly's default rank is 1000: the classes, in trace order, come first).
_RANK_ANCHORS, _RANK_HIGHLIGHTED = 1001, 1002


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


def anchor_marker(look: str = "show") -> dict:
    """The marker of the anchors for an :data:`ANCHOR_LOOKS` choice (``"hide"`` draws none: fully transparent)."""
    opacity = {"show": ANCHOR_MARKER["opacity"], "faint": ANCHOR_FAINT_OPACITY, "hide": 0.0}[look]
    return dict(ANCHOR_MARKER, opacity=opacity)


def highlight_marker(n: int) -> dict:
    """The rings of ``n`` highlighted samples: :data:`HIGHLIGHT_MARKER`, lighter above :data:`HIGHLIGHT_FULL_UP_TO`."""
    return HIGHLIGHT_MARKER if n <= HIGHLIGHT_FULL_UP_TO else HIGHLIGHT_MARKER_MANY


def value_range(values) -> tuple[float, float]:
    """Lowest and highest finite value: the ends of a colour scale ((0, 1) when none is finite)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return 0.0, 1.0
    return float(v.min()), float(v.max())


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
    legend: bool = True,
    anchor_look: str = "show",
    isolate: str | None = None,
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
    legend : bool, default=True
        Draw the figure's own legend and colour bar. The maps of Explore share one
        legend (:mod:`dashboard.map_legend`) and draw none.
    anchor_look : {"show", "faint", "hide"}, default="show"
        The anchors as :data:`ANCHOR_MARKER` stars, faint stars, or not at all.
    isolate : str, optional
        A category (categorical colouring): the others are drawn :data:`DIMMED`.
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
    if anchor_look not in ANCHOR_LOOKS:
        raise ValueError(f"anchor_look={anchor_look!r} must be one of {ANCHOR_LOOKS}")
    if coloring.continuous:
        vals = np.asarray(coloring.values, dtype=float)
        ok = np.isfinite(vals)
        lo, hi = coloring.scale()
        fig.add_trace(kind(
            x=coords[ok, 0], y=coords[ok, 1], name=plain(coloring.name), showlegend=False,
            marker=dict(size=size, color=vals[ok], colorscale="Viridis", opacity=0.8, cmin=lo, cmax=hi,
                        showscale=legend,
                        colorbar=dict(title=dict(text=plain(coloring.name), side="right"), thickness=10, len=0.8)),
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
        # each point's class as an integer code, found in one hashed pass: comparing every string once per class
        # was most of the time of a 1M-point map
        cats = pd.Index(list(dict.fromkeys(str(c) for c in coloring.categories)))
        seen, uniq = pd.factorize(np.asarray(coloring.values).astype(str))
        codes = cats.get_indexer(uniq)[seen]  # -1: a value of no category (drawn by no trace, as before)
        for cat in sorted(coloring.categories, key=lambda c: c == isolate):  # the isolated class on top
            m = codes == cats.get_loc(str(cat))
            if not m.any():
                continue
            on = isolate in (None, cat)
            look = dict(size=size, color=coloring.color_of(cat), opacity=0.75) if on else dict(DIMMED, size=size * DIMMED_SIZE)
            fig.add_trace(kind(
                x=coords[m, 0], y=coords[m, 1], name=plain(cat), legendgroup=str(cat),
                marker=look,
                customdata=_ids_column(ids, m),
                **labelled(m, f"id %{{customdata[0]}} · {plain(coloring.name)} <b>{plain(cat)}</b>"),
            ))
    # rings first, stars above them: a ringed class must not dim its anchors; the legend keeps stars first
    h_pos = rows_of(ids, highlight_ids)
    if len(h_pos):
        fig.add_trace(go.Scatter(
            x=coords[h_pos, 0], y=coords[h_pos, 1], name=f"highlighted ({len(h_pos)})",
            marker=highlight_marker(len(h_pos)),
            customdata=_ids_column(ids[h_pos]), hovertext=np.array(["<b>highlighted</b> " + h for h in hover[h_pos]], dtype=object),
            legendrank=_RANK_HIGHLIGHTED, **common,
        ))
    a_pos = rows_of(ids, anchor_ids) if anchor_look != "hide" else np.array([], dtype=np.int64)
    if len(a_pos):
        fig.add_trace(go.Scatter(
            x=coords[a_pos, 0], y=coords[a_pos, 1], name=f"anchors ({len(a_pos)})",
            marker=anchor_marker(anchor_look),
            customdata=_ids_column(ids[a_pos]), hovertext=np.array(["<b>anchor</b> " + h for h in hover[a_pos]], dtype=object),
            legendrank=_RANK_ANCHORS, **common,
        ))
    n_entries = sum(1 for t in fig.data if t.showlegend is not False)
    if not legend:
        fig.update_traces(showlegend=False)
    if n_entries > LEGEND_ON_TOP_UP_TO:  # many classes: a scrolling column on the right keeps the map its height
        legend_layout = dict(orientation="v", yanchor="top", y=1.0, x=1.01, itemsizing="constant", font=dict(size=9),
                             tracegroupgap=0)
    else:
        legend_layout = dict(orientation="h", yanchor="bottom", y=1.0, x=0, itemsizing="constant", font=dict(size=10))
    fig.update_layout(
        height=height, margin=dict(l=5, r=5, t=28 if legend else 5, b=5),
        legend=legend_layout, showlegend=legend,
        xaxis=dict(showticklabels=False, title=None, zeroline=False, showgrid=False),
        yaxis=dict(showticklabels=False, title=None, zeroline=False, showgrid=False, scaleanchor="x", scaleratio=1),
        plot_bgcolor="white", hoverlabel=dict(font_size=11),
    )
    if note:
        fig.add_annotation(text=note, xref="paper", yref="paper", x=1, y=0, xanchor="right", yanchor="bottom",
                           showarrow=False, font=dict(size=10, color="#666"))
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
