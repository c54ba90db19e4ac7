"""Large maps as charts that stay mounted: an anchor edit moves their stars, not their points.

``st.plotly_chart`` remounts a chart whenever its figure changes (the element id hashes
the figure). Remounting a 100k-point map costs Chromium about 3 s of CPU in software
WebGL: the figure is parsed, Streamlit's theme pass turns it into 9 MB of JSON and back,
and plotly.js draws it twice. An anchor edit changes all four maps (the stars of the
absolute maps, the points of the relative ones), so at 100k points it remounted four.

Above :data:`LARGE_FROM` points a map is drawn by this component instead. Its plot lives
across reruns in the same element (a keyed ``st.components.v2`` component):

- same points, other anchors or highlighted samples (the absolute maps during an
  anchor edit): the stars and rings are layout shapes, redrawn alone (tens of ms);
- new points (a new layout): ``Plotly.react``, one draw; pan and zoom stay where
  the user left them while the points are the same;
- a pan drag moves the picture already drawn (a CSS translation clipped to the plot
  area) and draws the points once, on release. plotly.js redraws every point on each
  mouse move, 0.15-0.3 s at 100k points in a browser without a GPU (software WebGL).
  Points that come into view during the drag appear on release;
- WebGL canvases are drawn at the screen's pixel ratio (plotly.js draws them at 2x by
  default, four times the pixels on a 1x screen).

A click, box or lasso reports the samples picked the way ``st.plotly_chart`` does
(``{"selection": {"points": [{"customdata": [id]}, ...]}}``), so
:func:`dashboard.selection.selected_ids` reads both. plotly.js is the copy shipped in the
``plotly`` package, served by Streamlit's component file route; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import plotly
import streamlit as st
import streamlit.components.v1 as components_v1

from dashboard import figures

__all__ = ["LARGE_FROM", "available", "chart_data", "show"]

#: Maps of more points than this are drawn by this component (smaller ones by ``st.plotly_chart``): the large
#: maps of :mod:`dashboard.figures`, whose points already carry no descriptions of their own.
LARGE_FROM = figures.HOVERTEXT_UP_TO
PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
PLOTLY_JS = "plotly.min.js"
#: Trace names (prefixes) drawn as layout shapes: the anchors and the highlighted samples.
OVERLAYS = ("anchors", "highlighted")
#: A five-pointed star about 12 px across, in pixels around its point (y up).
STAR_PATH = "M0,6L1.8,2.2L6,1.9L2.8,-0.9L3.7,-5L0,-2.8L-3.7,-5L-2.8,-0.9L-6,1.9L-1.8,2.2Z"

_MAP = st.components.v2.component(
    "stitchboard_map",
    html="<div class='sb-map'></div>",
    js=Path(__file__).with_name("map_chart.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # plotly.js styles its modebar and hover labels with page-level CSS
)


def available() -> bool:
    """Whether the plotly package ships the plotly.js file the component loads."""
    return (PLOTLY_DIR / PLOTLY_JS).is_file()


def _shapes(trace) -> list[dict]:
    x = np.asarray(trace.x, dtype=float)
    y = np.asarray(trace.y, dtype=float)
    stars = str(trace.name).startswith("anchors")
    group = "anchors" if stars else "highlighted"
    common = dict(xref="x", yref="y", xsizemode="pixel", ysizemode="pixel", legendgroup=group)
    if stars:
        look = dict(type="path", path=STAR_PATH, fillcolor="#ffd400", opacity=0.9, line=dict(color="#333", width=0.7))
    else:
        look = dict(type="circle", x0=-6.5, x1=6.5, y0=-6.5, y1=6.5, line=dict(color="#e6007e", width=2.2))
    # no shape in the legend: plotly.js redraws the whole WebGL plot when shapes with legend entries change
    return [dict(common, **look, xanchor=float(a), yanchor=float(b)) for a, b in zip(x, y)]


def _legend_entry(group: str) -> dict:
    """An empty trace whose legend entry stands for the shapes of ``group`` (a click shows / hides them)."""
    marker = (dict(symbol="star", size=9, color="#ffd400", line=dict(color="#333", width=0.7)) if group == "anchors"
              else dict(symbol="circle-open", size=13, color="#e6007e", line=dict(width=2.2)))
    return dict(type="scatter", x=[None], y=[None], mode="markers", name=group, legendgroup=group, marker=marker,
                hoverinfo="skip", meta="overlay")


def chart_data(fig) -> dict:
    """What the component gets: the points as plotly JSON, their signature, the overlay shapes.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A :func:`dashboard.figures.map_figure`; its ``anchors`` / ``highlighted`` traces
        become shapes (a star or ring per sample) and an empty trace for each kind's
        legend entry (named without the count, so the signature ignores it).

    Returns
    -------
    dict
        ``fig`` (str, JSON without the overlay traces), ``sig`` (str, a hash of ``fig``:
        equal signatures mean the same points), ``shapes`` (list of dict).
    """
    overlay = [t for t in fig.data if str(t.name).startswith(OVERLAYS)]
    spec = json.loads(fig.to_json())
    spec["data"] = [t for t in spec["data"] if not str(t.get("name", "")).startswith(OVERLAYS)]
    spec["data"] += [_legend_entry(g) for g in OVERLAYS if any(str(t.name).startswith(g) for t in overlay)]
    # as st.plotly_chart sets them for a chart with point selection: drag pans, a click reports its point
    spec["layout"].update(clickmode="event", dragmode="pan", hovermode="closest")
    text = json.dumps(spec, separators=(",", ":"))
    shapes = [s for t in overlay for s in _shapes(t)]
    return {"fig": text, "sig": hashlib.blake2b(text.encode(), digest_size=16).hexdigest(), "shapes": shapes}


def _plotly_url() -> str:
    served = components_v1.declare_component("plotlyjs", path=str(PLOTLY_DIR))  # only serves the file
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{'/' + base if base else ''}/component/{served.name}/{PLOTLY_JS}"


def _ignore() -> None:
    """The selection is read from ``st.session_state[key]`` at the start of the next run."""


def show(fig, *, key: str) -> None:
    """Draw a map figure here, in a plot that later runs update instead of remounting.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A :func:`dashboard.figures.map_figure`.
    key : str
        Stable across runs: the same key keeps the same plot. The last click / box /
        lasso is ``st.session_state[key]["selection"]`` during the run it triggers.
    """
    data = chart_data(fig)
    data["plotly"] = _plotly_url()
    height = int(fig.layout.height or 380)
    _MAP(key=key, data=data, on_selection_change=_ignore, height=height, width="stretch")


def selection(key: str):
    """The selection event a map reported for this run (None when there is none)."""
    res = st.session_state.get(key)
    if res is None:
        return None
    try:
        return res["selection"]
    except (KeyError, TypeError):
        return getattr(res, "selection", None)
