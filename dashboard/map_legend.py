"""One legend for the four maps of Explore: a click on a class isolates it on every map.

The maps draw no legend of their own (four repeated legends took a fifth of each map).
This legend lists the classes (or the colour scale) once, with the anchors and the
highlighted samples. A click on a class isolates it: the maps draw the other classes
dimmed (:data:`dashboard.figures.DIMMED`); a click on the same class, or a double click,
restores them, as in Embedding Projector and Atlas.

The isolated class is kept in ``st.session_state`` (:data:`ISOLATE`), so it applies to the
four maps, survives reruns and new layouts, and is dropped when the colouring no longer
has that class. The legend's strings are the user's (class names of an upload): the
browser sets them as text, never as HTML.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from dashboard import figures

__all__ = ["ISOLATE", "KEY", "legend_data", "isolated", "set_isolated", "apply_click", "show_legend"]

#: Session key of the isolated class (None: every class drawn).
ISOLATE = "legend_isolate"
#: Widget key of the legend.
KEY = "maplegend"
#: Colours of the Viridis scale, as the maps draw a continuous colouring.
_VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"]

_CSS = """
.sb-legend { display: flex; flex-wrap: wrap; align-items: center; gap: 2px 4px; font-family: "Source Sans Pro", "Source Sans 3", sans-serif;
  font-size: 13px; line-height: 1.3; color: #31333f; min-height: 26px; }
.sb-title { color: #6b6f7b; margin-right: 6px; white-space: nowrap; }
.sb-item { display: inline-flex; align-items: center; gap: 5px; padding: 2px 7px; border: 1px solid transparent; border-radius: 12px;
  background: none; font: inherit; color: inherit; cursor: pointer; white-space: nowrap; }
.sb-item:hover { border-color: #c9ccd3; background: #f4f5f7; }
.sb-item.sb-on { border-color: #31333f; font-weight: 600; }
.sb-item.sb-off { opacity: 0.45; }
.sb-dot { width: 10px; height: 10px; border-radius: 50%; flex: none; }
.sb-overlay { display: inline-flex; align-items: center; gap: 4px; padding: 2px 7px; white-space: nowrap; color: #31333f; }
.sb-sep { width: 1px; height: 16px; background: #d5d7dd; margin: 0 6px; }
.sb-scale { display: inline-flex; align-items: center; gap: 6px; padding: 2px 7px; white-space: nowrap; }
.sb-bar { width: 140px; height: 10px; border-radius: 2px; }
.sb-hint { color: #8a8d96; font-size: 12px; margin-left: 6px; white-space: nowrap; }
"""
_LEGEND = st.components.v2.component(
    "stitchboard_legend",
    html="<div class='sb-legend'></div>",
    css=_CSS,
    js=Path(__file__).with_name("map_legend.js").read_text(encoding="utf-8"),
)


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def legend_data(colorings: dict, *, isolate: str | None = None, n_anchors: int = 0, n_highlighted: int = 0,
                anchor_look: str = "show") -> dict:
    """What the legend shows for the maps' colourings.

    Parameters
    ----------
    colorings : dict of str -> dashboard.figures.Coloring
        The colouring of each row of maps (e.g. ``{"absolute": ..., "relative": ...}``).
        Classes are listed once, in the order of the colourings' categories; only classes
        some map draws. Continuous colourings give a colour scale each (one
        when the rows share it).
    isolate : str, optional
        The isolated class, shown as such.
    n_anchors, n_highlighted : int, default=0
        Counts of the stars and rings drawn (no entry when 0).
    anchor_look : {"show", "faint", "hide"}, default="show"

    Returns
    -------
    dict
        ``title`` (str), ``entries`` (list of ``{"key", "color"}``), ``scales`` (list of
        ``{"title", "lo", "hi", "stops"}``), ``overlays`` (list of ``{"kind", "label",
        "color", "opacity"}``), ``isolate`` (str or None).
    """
    entries, seen, scales = [], set(), {}
    drawn = set()  # classes some map draws
    for c in colorings.values():
        if not c.continuous:
            drawn |= set(np.asarray(c.values).astype(str).tolist())
    for row, c in colorings.items():
        if c.continuous:
            lo, hi = c.scale()  # agreement: a fixed [0, 1] scale
            scales.setdefault((str(c.name), _fmt(lo), _fmt(hi)), str(row))  # rows sharing a scale: one bar
            continue
        for cat in c.categories:
            if cat in drawn and cat not in seen:
                seen.add(cat)
                entries.append({"key": str(cat), "color": c.color_of(cat)})
    scales = [{"title": f"{row}: {name}" if len(scales) > 1 else name, "lo": lo, "hi": hi, "stops": _VIRIDIS}
              for (name, lo, hi), row in scales.items()]
    names = list(dict.fromkeys(str(c.name) for c in colorings.values()))
    overlays = []
    if n_anchors:
        hidden = anchor_look == "hide"
        overlays.append({"kind": "anchors", "label": f"anchors ({n_anchors}{', hidden' if hidden else ''})",
                         "color": figures.ANCHOR_COLOR,
                         "opacity": 0.25 if hidden else figures.anchor_marker(anchor_look)["opacity"]})
    if n_highlighted:
        overlays.append({"kind": "highlighted", "label": f"highlighted ({n_highlighted})",
                         "color": figures.HIGHLIGHT_MARKER["color"], "opacity": 1.0})
    iso = isolate if isolate in seen else None
    return {"title": " · ".join(names), "entries": entries, "scales": scales, "overlays": overlays, "isolate": iso}


def isolated() -> str | None:
    """The isolated class of this session (None: none)."""
    v = st.session_state.get(ISOLATE)
    return None if v is None else str(v)


def set_isolated(category: str | None) -> None:
    st.session_state[ISOLATE] = None if category is None else str(category)


def apply_click(key: str = KEY) -> bool:
    """Act on a click on the legend reported for this run; returns whether there was one.

    The browser sends the state it wants (``{"isolate": class or None}``), not a toggle,
    so a click that arrives twice does not undo itself.
    """
    res = st.session_state.get(key)
    if res is None:
        return False
    try:
        pick = res["pick"]
    except (KeyError, TypeError):
        pick = getattr(res, "pick", None)
    if not isinstance(pick, dict) or "isolate" not in pick:
        return False
    set_isolated(pick["isolate"])
    return True


def _ignore() -> None:
    """The click is read from ``st.session_state[key]`` at the start of the run it triggers (:func:`apply_click`)."""


def show_legend(data: dict, *, key: str = KEY) -> None:
    """Draw the legend of :func:`legend_data` here."""
    _LEGEND(key=key, data=data, on_pick_change=_ignore, width="stretch", height="content")
