"""The maps of Explore as charts that stay mounted: an anchor edit moves their stars, not their points.

``st.plotly_chart`` remounts a chart whenever its figure changes (the element id hashes
the figure), and an anchor edit changes all four maps (the stars of the absolute maps,
the points of the relative ones): remounting costs the browser more than the server's
whole edit. Every map of Explore is drawn by this component instead, with WebGL points
(plotly.js' ``scattergl``). Its plot lives across reruns in the same element (a keyed
``st.components.v2`` component):

- same points, other anchors or highlighted samples (the absolute maps during an
  anchor edit): the stars and rings are redrawn alone, as one SVG path each in an
  overlay above the WebGL points (not plotly.js layout shapes: one SVG element per star,
  laid out and painted anew on each edit; figures in benchmarks/README.md). The points come
  in an element of their own, before the map's; unchanged, Streamlit sends that
  element as a reference to the browser's copy, so the stars alone travel;
- new points (a new layout): ``Plotly.react``, one draw; pan and zoom stay where
  the user left them while the points are the same;
- a pan drag moves the picture already drawn (a CSS translation clipped to the plot
  area) and draws the points once, on release, because plotly.js redraws every point
  on each mouse move (too slow at 100k points without a GPU). Points that come into
  view during the drag appear on release;
- WebGL canvases are drawn at the screen's pixel ratio (plotly.js draws them at 2x by
  default, four times the pixels on a 1x screen);
- a "Full screen" button in the modebar shows the map alone on the screen;
- no legend of its own: the page draws one for the four maps (:mod:`dashboard.map_legend`),
  and a class isolated there is drawn here with the other classes dimmed, by a restyle
  of their colours (the points are not sent again);
- the app's one plotly config (:data:`dashboard.figures.PLOTLY_CONFIG`: no Plotly Cloud
  "Share chart" button).

A click, box or lasso reports the samples picked the way ``st.plotly_chart`` does
(``{"selection": {"points": [{"customdata": [id]}, ...]}}``), so
:func:`dashboard.selection.selected_ids` reads both. plotly.js is the copy shipped in the
``plotly`` package, served by Streamlit's component file route; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import plotly
import streamlit as st
import streamlit.components.v1 as components_v1

from dashboard import figures


__all__ = ["POINTS_CSS", "available", "chart_data", "map_data", "preload", "selection", "show_map"]

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
PLOTLY_JS = "plotly.min.js"
#: Trace names (prefixes) drawn in the overlay, not as points: the highlighted samples and the anchors, in the
#: order map_figure draws them (stars above rings).
OVERLAYS = ("highlighted", "anchors")
#: A five-pointed star about 10 px across, in pixels around its point (y up): small enough that 100 anchors leave
#: a cluster visible.
STAR_PATH = "M0,5L1.5,1.8L5,1.6L2.3,-0.8L3.1,-4.2L0,-2.3L-3.1,-4.2L-2.3,-0.8L-5,1.6L-1.5,1.8Z"
#: Points payloads kept by :func:`show_map` (4 maps, a few layouts back).
CACHED_PAYLOADS = 16

_JS = Path(__file__).with_name("map_chart.js").read_text(encoding="utf-8")
_MAP = st.components.v2.component(
    "stitchboard_map",
    html="<div class='sb-map'></div>",
    js=_JS,
    isolate_styles=False,  # plotly.js styles its modebar and hover labels with page-level CSS
)
#: The same code without a map element (:func:`preload`): nothing a page or test takes for a map.
_PRELOAD = st.components.v2.component(
    "stitchboard_plotly_preload",
    html="<div></div>",
    js=_JS,
)
#: The points of a map (its plotly JSON), in an element of no size before the map (:func:`show_map`).
_POINTS = st.components.v2.component(
    "stitchboard_map_points",
    html="<div></div>",
    js=_JS,
)
#: Key of a map's points element: the map's key and this.
POINTS_SUFFIX = "-sbpoints"
#: For the pages with maps: the points elements take no room (an element of no height still gets the column's gap,
#: which pushed every map 16 px down).
POINTS_CSS = f"div.stElementContainer[class*='{POINTS_SUFFIX}'] {{display: none !important;}}"
_payloads: OrderedDict = OrderedDict()
_payloads_lock = threading.Lock()


def available() -> bool:
    """Whether the plotly package ships the plotly.js file the component loads."""
    return (PLOTLY_DIR / PLOTLY_JS).is_file()


def _shapes(x, y, group: str, *, anchor_look: str = "show") -> list[dict]:
    """A star (``group="anchors"``) or a ring (``"highlighted"``) at each point ``(x[i], y[i])``.

    ``anchor_look`` (:data:`dashboard.figures.ANCHOR_LOOKS`) sets the stars' opacity; ``"hide"`` draws none.
    """
    if group == "anchors" and anchor_look == "hide":
        return []
    common = dict(xref="x", yref="y", xsizemode="pixel", ysizemode="pixel", legendgroup=group)
    if group == "anchors":
        m = figures.anchor_marker(anchor_look)
        look = dict(type="path", path=STAR_PATH, fillcolor=m["color"], opacity=m["opacity"], line=m["line"])
    else:
        m = figures.highlight_marker(len(x))
        r = m["size"] / 2
        look = dict(type="circle", x0=-r, x1=r, y0=-r, y1=r, opacity=m.get("opacity", 1.0),
                    line=dict(m["line"], color=m["color"]))
    # plotly's shape format, read by map_chart.js' overlay (one path per group), not given to plotly.js
    return [dict(common, **look, xanchor=float(a), yanchor=float(b))
            for a, b in zip(np.asarray(x, dtype=float), np.asarray(y, dtype=float))]


def _points_payload(fig) -> dict:
    """``fig`` without its overlay traces and legend (the page draws one legend for all maps), as JSON + signature."""
    spec = json.loads(fig.to_json())
    # Streamlit's default plotly template holds colour placeholders that only st.plotly_chart fills in; the maps
    # set their own colours, so plotly.js' defaults do for the rest
    spec["layout"].pop("template", None)
    spec["data"] = [t for t in spec["data"] if not str(t.get("name", "")).startswith(OVERLAYS)]
    spec["layout"]["showlegend"] = False
    # as st.plotly_chart sets them for a chart with point selection: drag pans, a click reports its point
    spec["layout"].update(clickmode="event", dragmode="pan", hovermode="closest")
    text = json.dumps(spec, separators=(",", ":"))
    return {"fig": text, "sig": hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}


def chart_data(fig, *, anchor_look: str = "show") -> dict:
    """What the component gets: the points as plotly JSON, their signature, the overlay shapes.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A :func:`dashboard.figures.map_figure`; its ``anchors`` / ``highlighted`` traces
        become shapes (a star or ring per sample).
    anchor_look : {"show", "faint", "hide"}, default="show"

    Returns
    -------
    dict
        ``fig`` (str, JSON without the overlay traces and without a legend), ``sig`` (str,
        a hash of ``fig``: equal signatures mean the same points), ``shapes`` (list of dict).
    """
    overlay = [(t, next(g for g in OVERLAYS if str(t.name).startswith(g)))
               for t in fig.data if str(t.name).startswith(OVERLAYS)]
    data = _points_payload(fig)
    data["shapes"] = [s for t, g in overlay for s in _shapes(t.x, t.y, g, anchor_look=anchor_look)]
    return data


def _content_key(*parts) -> str:
    """A hash of arrays (dtype, shape and bytes) and plain values."""
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        if isinstance(p, np.ndarray):
            a = p.astype(str) if p.dtype.kind == "O" else np.ascontiguousarray(p)  # object arrays hold pointers
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        else:
            h.update(repr(p).encode())
        h.update(b"\x00")
    return h.hexdigest()


def _plotly_url() -> str:
    served = components_v1.declare_component("plotlyjs", path=str(PLOTLY_DIR))  # only serves the file
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{'/' + base if base else ''}/component/{served.name}/{PLOTLY_JS}"


def _ignore() -> None:
    """The selection is read from ``st.session_state[key]`` at the start of the next run."""


def map_data(coords, *, ids, coloring, hover, anchor_ids=(), highlight_ids=(), note: str = "",
             height: int = 380, anchor_look: str = "show", isolate: str | None = None) -> dict:
    """What the component gets for :func:`dashboard.figures.map_figure` of these arguments,
    with WebGL points: as :func:`chart_data`, but the points are built and serialised only
    when they differ from a map made before (in any session; the last
    :data:`CACHED_PAYLOADS` are kept). An anchor edit then costs the absolute maps their
    stars only, on the server as in the browser.

    Parameters
    ----------
    coords : ndarray of shape (n_samples, 2)
    ids : ndarray of shape (n_samples,)
    coloring : dashboard.figures.Coloring
    hover : ndarray of str, shape (n_samples,)
    anchor_ids, highlight_ids : sequence of ids
        Drawn as stars / rings (the overlay's shapes); ids not on the map are ignored.
    note : str, default=""
    height : int, default=380
    anchor_look : {"show", "faint", "hide"}, default="show"
        How the stars are drawn (:data:`dashboard.figures.ANCHOR_LOOKS`).
    isolate : str, optional
        A category isolated by the shared legend: the browser draws the other categories
        :data:`dashboard.figures.DIMMED` (the points are not sent again).

    Returns
    -------
    dict
        ``fig``, ``sig`` and ``shapes`` as :func:`chart_data` returns them, and ``isolate``
        and ``dimmed`` (the look of the other categories) for the browser.
    """
    coords = np.asarray(coords)
    ids = np.asarray(ids)
    rows = {"anchors": figures.rows_of(ids, anchor_ids), "highlighted": figures.rows_of(ids, highlight_ids)}
    groups = tuple(g for g in OVERLAYS if len(rows[g]))
    # large maps carry no descriptions of their own points (figures.HOVERTEXT_UP_TO): their hover text is not hashed
    points_hover = np.asarray(hover) if len(ids) <= figures.HOVERTEXT_UP_TO else None
    ck = _content_key(coords, ids, coloring.name, np.asarray(coloring.values), coloring.continuous, coloring.categories,
                      coloring.colors, coloring.vrange, points_hover, note, height)
    with _payloads_lock:
        payload = _payloads.get(ck)
        if payload is not None:
            _payloads.move_to_end(ck)
    if payload is None:
        fig = figures.map_figure(coords, ids=ids, coloring=coloring, hover=hover, note=note, height=height, webgl=True,
                                 legend=False)
        payload = _points_payload(fig)
        with _payloads_lock:
            _payloads[ck] = payload
            while len(_payloads) > CACHED_PAYLOADS:
                _payloads.popitem(last=False)
    shapes = [s for g in groups for s in _shapes(coords[rows[g], 0], coords[rows[g], 1], g, anchor_look=anchor_look)]
    dimmed = dict(figures.DIMMED, size=figures.DIMMED_SIZE)
    return dict(payload, shapes=shapes, isolate=None if coloring.continuous else isolate, dimmed=dimmed)


def show_map(coords, *, key: str, height: int = 380, **kwargs) -> None:
    """Draw a map here (:func:`map_data` of these arguments), in a plot that later runs
    update instead of remounting.

    Parameters
    ----------
    coords : ndarray of shape (n_samples, 2)
    key : str
        Stable across runs: the same key keeps the same plot. The last click / box /
        lasso is ``st.session_state[key]["selection"]`` during the run it triggers.
    height : int, default=380
    **kwargs
        The other arguments of :func:`map_data` (``ids``, ``coloring``, ``hover``, ...).
    """
    data = dict(map_data(coords, height=height, **kwargs), plotly=_plotly_url(), config=figures.PLOTLY_CONFIG, key=key)
    # The points go in an element of their own: while they are the same (the absolute maps during an anchor edit),
    # its message is the same and Streamlit sends a reference to the browser's copy (megabytes at 1M points).
    _POINTS(key=f"{key}{POINTS_SUFFIX}", data={"key": key, "sig": data["sig"], "points": data.pop("fig")}, height=0,
            width=1)
    _MAP(key=key, data=data, on_selection_change=_ignore, height=height, width="stretch")


def preload(*, key: str = "sb-plotly-preload") -> None:
    """An element of no size that loads plotly.js now, before any map is drawn.

    The script (3.5 MB) takes the browser most of a second to evaluate; on a first visit
    that happens while the server is still computing the maps instead of after them.
    """
    _PRELOAD(key=key, data={"preload": True, "plotly": _plotly_url()}, height=0, width=1)


def selection(key: str):
    """The selection event a map reported for this run (None when there is none)."""
    res = st.session_state.get(key)
    if res is None:
        return None
    try:
        return res["selection"]
    except (KeyError, TypeError):
        return getattr(res, "selection", None)
