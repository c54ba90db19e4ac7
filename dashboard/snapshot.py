"""Map snapshots: a map drawn server-side as a PNG, shown while plotly.js loads.

The first maps of a session are the slowest part of the first page load: the browser
fetches and evaluates plotly.js (a 4.7 MB chunk) and builds four interactive charts,
seconds in a software-rendered browser. A snapshot is the same map (every point, the same
colours, the anchors as stars) as a plain image, which any browser shows at once. The
page puts it in the same container as the interactive chart, and a CSS rule hides it as
soon as that chart is drawn (:data:`HIDE_CSS`), so the user sees the map at once and
can interact with it a few seconds later.

Pure functions of their arguments; no streamlit here.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd
from plotly.colors import hex_to_rgb

from dashboard import figures
from dashboard.figures import Coloring

__all__ = ["HIDE_CSS", "SNAPSHOT_CLASS", "SVG_POINTS_UP_TO", "map_png", "map_svg", "snapshot_html"]

#: CSS class of a snapshot ``<img>``.
SNAPSHOT_CLASS = "sb-snapshot"
#: Hides a snapshot once the interactive chart in the same keyed container (``st-key-mapbox-*``) is drawn.
HIDE_CSS = (
    "<style>[class*='st-key-mapbox-']:has(.js-plotly-plot) "
    f"[data-testid='stElementContainer']:has(.{SNAPSHOT_CLASS}) {{display: none;}}</style>"
)
_MISSING = (187, 187, 187)
_ANCHOR = hex_to_rgb(figures.ANCHOR_COLOR)
_ANCHOR_EDGE = hex_to_rgb(figures.ANCHOR_MARKER["line"]["color"])
_HIGHLIGHT = hex_to_rgb(figures.HIGHLIGHT_MARKER["color"])
#: Points whose pixel offsets are computed at once (bounds the memory of a 1M-point snapshot).
_BLOCK = 65_536
_DIMMED = hex_to_rgb(figures.DIMMED["color"])


def _viridis(values: np.ndarray) -> np.ndarray:
    """RGB rows of plotly's Viridis scale for ``values`` in [0, 1], shape (n, 3)."""
    from plotly.colors import sequential

    stops = np.array([hex_to_rgb(c) for c in sequential.Viridis], dtype=float)
    pos = np.linspace(0.0, 1.0, len(stops))
    return np.stack([np.interp(values, pos, stops[:, c]) for c in range(3)], axis=1)


def _point_colors(coloring: Coloring, n: int, isolate: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Colour, opacity and drawing order of the points: shapes (n, 3) uint8, (n,) float and (n,) (later on top).

    With ``isolate``, the other categories are :data:`dashboard.figures.DIMMED` and drawn first.
    """
    if coloring.continuous:
        vals = np.asarray(coloring.values, dtype=float)
        ok = np.isfinite(vals)
        rgb = np.tile(np.array(_MISSING, dtype=float), (n, 1))
        if ok.any():
            lo, hi = coloring.scale()
            rgb[ok] = _viridis(np.clip((vals[ok] - lo) / (hi - lo), 0, 1) if hi > lo else np.full(int(ok.sum()), 0.5))
        return rgb.astype(np.uint8), np.full(n, 0.75), np.argsort(ok, kind="stable")  # missing values under the others
    order = sorted(coloring.categories, key=lambda c: c == isolate) if isolate in coloring.categories else coloring.categories
    # one hashed lookup per point, not one string comparison per point and category (seconds at 1M points)
    rank = pd.Index([str(c) for c in order]).get_indexer(np.asarray(coloring.values).astype(str))
    dimmed = np.array([isolate in coloring.categories and cat != isolate for cat in order] + [False])
    table_rgb = np.array([_DIMMED if d else hex_to_rgb(coloring.color_of(c)) for c, d in zip(order, dimmed)]
                         + [(0, 0, 0)], dtype=np.uint8).reshape(-1, 3)
    table_alpha = np.where(dimmed, figures.DIMMED["opacity"], 0.75)
    rgb, alpha = table_rgb[rank], table_alpha[rank]  # rank -1 (no listed category): the last row, not drawn
    shown = np.flatnonzero(rank >= 0)  # like the chart: points of no listed category are not drawn
    return rgb, alpha, shown[np.argsort(rank[shown], kind="stable")]  # one trace per category, later ones on top


def _disc(radius: float) -> tuple[np.ndarray, np.ndarray]:
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    inside = dx**2 + dy**2 <= radius**2
    return dy[inside], dx[inside]


def _star(cx: float, cy: float, r: float) -> list:
    angles = -np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
    return [(float(cx + a * np.cos(t)), float(cy + a * np.sin(t))) for a, t in zip(radii, angles)]


def _checked(coords, ids) -> tuple[np.ndarray, np.ndarray]:
    """``coords`` as float (n, 2) and ``ids`` as (n,) arrays, or a ValueError."""
    coords = np.asarray(coords, dtype=float)
    ids = np.asarray(ids)
    if coords.ndim != 2 or coords.shape[1] != 2 or len(coords) != len(ids):
        raise ValueError(f"coords must have shape (n_samples, 2) with one row per id; got {coords.shape} for {len(ids)} ids")
    return coords, ids


def _equal_scale(coords: np.ndarray, finite: np.ndarray, width: float, height: float, pad: float):
    """Scale ``s``, centre ``mid`` (2,) and ``span`` (2,) that fit the finite rows into the padded box.

    Equal scale on both axes, as the chart's ``scaleanchor``; None when no row is finite.
    """
    if not finite.any():
        return None
    lo, hi = coords[finite].min(axis=0), coords[finite].max(axis=0)
    span = np.maximum(hi - lo, 1e-12 * max(1.0, float(np.abs(coords[finite]).max())))
    s = max(min((width - 2 * pad) / span[0], (height - 2 * pad) / span[1]), 1e-12)
    return s, (lo + hi) / 2, span


def _place(coords: np.ndarray, s: float, mid: np.ndarray, width: float, height: float):
    """Pixel positions (px, py), each (n,), of ``coords`` scaled by ``s`` around ``mid`` in a width x height box."""
    px = width / 2 + (coords[:, 0] - mid[0]) * s
    py = height / 2 - (coords[:, 1] - mid[1]) * s  # y grows upwards in the chart, downwards in an image
    return px, py


def map_png(
    coords,
    *,
    ids,
    coloring: Coloring,
    anchor_ids=(),
    highlight_ids=(),
    width: int = 600,
    height: int = 347,
    scale: float = 2.0,
    marker_size: float | None = None,
    opacity: float | None = None,
    anchor_look: str = "show",
    isolate: str | None = None,
) -> bytes:
    """Draw one map as PNG bytes, like :func:`dashboard.figures.map_figure` draws it.

    Equal scale on both axes (the chart's ``scaleanchor``), the data centred with a small
    margin, every point a disc of ``marker_size`` pixels in its category's colour (later
    categories on top, as the chart's traces are), anchors as the chart's stars
    (:data:`dashboard.figures.ANCHOR_MARKER`) and highlighted samples ringed, on white.

    Parameters
    ----------
    coords : array-like of shape (n_samples, 2)
        The 2-D layout. Non-finite rows are not drawn.
    ids : array-like of shape (n_samples,)
        Sample ids, to find ``anchor_ids`` and ``highlight_ids``.
    coloring : Coloring
        The map's colouring (categories or a colour scale).
    anchor_ids, highlight_ids : sequence of ids, default=()
    width, height : int, default=600, 347
        Largest size in CSS pixels. The image takes the aspect ratio of the data (equal
        scale on both axes), so one side is usually shorter.
    scale : float, default=2.0
        Device pixels per CSS pixel (2 keeps it sharp on high-density screens).
    marker_size : float, optional
        Point diameter in CSS pixels; by default the chart's (:data:`dashboard.figures.MARKER_SIZE`,
        ``MARKER_SIZE_LARGE`` above :data:`dashboard.figures.HOVERTEXT_UP_TO` points).
    opacity : float, optional
        Point opacity over the white background; by default the chart's (0.75, and
        :data:`dashboard.figures.DIMMED` for the classes ``isolate`` dims).
    anchor_look : {"show", "faint", "hide"}, default="show"
        Stars as the chart draws them, faint (blended with what lies below) or none.
    isolate : str, optional
        A category drawn on top in its colour; the others dimmed, as the chart does.

    Returns
    -------
    bytes
        A PNG of at most ``round(width * scale)`` x ``round(height * scale)`` pixels.
    """
    from PIL import Image, ImageDraw

    coords, ids = _checked(coords, ids)
    if marker_size is None:
        marker_size = figures.MARKER_SIZE if len(coords) <= figures.HOVERTEXT_UP_TO else figures.MARKER_SIZE_LARGE
    finite = np.isfinite(coords).all(axis=1)
    pad = marker_size * scale + 0.02 * min(width, height) * scale  # device pixels: the chart pads by about a marker
    W, H = max(1, round(width * scale)), max(1, round(height * scale))
    px = py = np.zeros(len(coords))
    fit = _equal_scale(coords, finite, W, H, pad)
    if fit is not None:
        s, mid, span = fit
        # the image takes the data's aspect ratio, so that CSS object-fit: contain scales it like the chart's
        # equal-scale axes (scaleanchor) fit the data into whatever width the browser gives the chart
        W, H = max(1, int(np.ceil(span[0] * s + 2 * pad))), max(1, int(np.ceil(span[1] * s + 2 * pad)))
        px, py = _place(coords, s, mid, W, H)
    img = np.full(H * W, 0xFFFFFFFF, dtype=np.uint32)  # white; a uint32 per pixel: one write per point and offset
    rgb, alpha, order = _point_colors(coloring, len(coords), isolate)
    if opacity is not None:
        alpha = np.full(len(coords), float(opacity))
    order = order[finite[order]]
    if len(order):
        a = alpha[order, None]
        blended = np.rint(255.0 * (1 - a) + rgb[order].astype(float) * a).astype(np.uint8)
        rgba = np.empty((len(order), 4), dtype=np.uint8)
        rgba[:, :3], rgba[:, 3] = blended, 255
        packed = rgba.view(np.uint32).ravel()
        dy, dx = _disc(marker_size * scale / 2)
        cx, cy = np.rint(px[order]).astype(np.int64), np.rint(py[order]).astype(np.int64)
        # where points overlap, the one drawn last normally wins (numpy writes repeated indices in order in
        # practice, though it does not promise it): a snapshot shown for seconds can live with either.
        # In blocks of points, in order: the offsets of 1M points at once would take gigabytes
        for s in range(0, len(order), _BLOCK):
            where = np.clip(cy[s:s + _BLOCK, None] + dy, 0, H - 1) * W + np.clip(cx[s:s + _BLOCK, None] + dx, 0, W - 1)
            img[where.ravel()] = np.repeat(packed[s:s + _BLOCK], len(dx))
    pil = Image.fromarray(img.view(np.uint8).reshape(H, W, 4)[:, :, :3])
    draw = ImageDraw.Draw(pil)
    r = 6.5 * scale
    for k in np.flatnonzero(finite & np.isin(ids, list(highlight_ids))):  # ids not in the map are ignored
        draw.ellipse((px[k] - r, py[k] - r, px[k] + r, py[k] + r), outline=_HIGHLIGHT, width=max(1, round(2 * scale)))
    stars = np.flatnonzero(finite & np.isin(ids, list(anchor_ids))) if anchor_look != "hide" else []
    if len(stars):
        layer = Image.new("RGBA", pil.size, (0, 0, 0, 0))  # stars on their own layer, blended at their opacity
        star_draw = ImageDraw.Draw(layer)
        for k in stars:
            star_draw.polygon(_star(px[k], py[k], 4.6 * scale), fill=_ANCHOR + (255,), outline=_ANCHOR_EDGE + (255,))
        a = figures.anchor_marker(anchor_look)["opacity"]
        layer.putalpha(layer.getchannel("A").point(lambda v: round(v * a)))
        pil = Image.alpha_composite(pil.convert("RGBA"), layer).convert("RGB")
    out = io.BytesIO()
    pil.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def snapshot_html(png: bytes, *, coloring: Coloring, n_anchors: int = 0, height: int = 380, note: str = "",
                  legend: bool = True) -> str:
    """The ``<img>`` (and a legend line) a page shows in place of a chart until the chart is drawn.

    Parameters
    ----------
    png : bytes
        From :func:`map_png`.
    coloring : Coloring
        For the legend: one swatch per category, or the colour scale's name.
    n_anchors : int, default=0
        Adds "★ anchors (n)" to the legend when positive.
    height : int, default=380
        Height in CSS pixels of the chart it stands for (legend included).
    note : str, default=""
        Shown under the image, e.g. "loading the interactive map…".
    legend : bool, default=True
        Draw the legend line above the image; False for a chart without a legend of
        its own (Explore's maps share one, :mod:`dashboard.map_legend`).

    Returns
    -------
    str
        HTML with every user string escaped; the image is a ``data:`` URI.
    """
    if coloring.continuous:
        entries = [f"<span>colour: {html.escape(str(coloring.name))} (Viridis)</span>"]
    else:
        present = set(np.asarray(coloring.values).astype(str).tolist())
        entries = [
            f"<span style='white-space:nowrap'><span style='color:{coloring.color_of(c)}'>●</span> {html.escape(str(c))}</span>"
            for c in coloring.categories if c in present
        ]
    if n_anchors:
        entries.append(f"<span style='white-space:nowrap'><span style='color:{figures.ANCHOR_COLOR}'>★</span> "
                       f"anchors ({int(n_anchors)})</span>")
    line = " &nbsp; ".join(entries)
    b64 = base64.b64encode(png).decode("ascii")
    img_h = max(60, height - (33 if legend else 0) - (16 if note else 0))
    caption = f"<div style='font-size:11px;color:#666'>{html.escape(note)}</div>" if note else ""
    head = f"<div style='font-size:10px;line-height:1.35;height:28px;overflow:hidden'>{line}</div>" if legend else ""
    return (
        f"{head}<img class='{SNAPSHOT_CLASS}' alt='map snapshot' src='data:image/png;base64,{b64}' "
        f"style='width:100%;height:{img_h}px;object-fit:contain;display:block'/>{caption}"
    )


#: Above this many drawable points a :func:`map_svg` holds the map as an embedded PNG (vector text around it):
#: an SVG circle costs about 40 bytes, so 100k points would make a 4 MB image per map that viewers draw slowly.
SVG_POINTS_UP_TO = 20_000


def _hex(rgb) -> str:
    return "#%02x%02x%02x" % tuple(int(c) for c in rgb)


def map_svg(
    coords,
    *,
    ids,
    coloring: Coloring,
    anchor_ids=(),
    highlight_ids=(),
    width: float = 600,
    height: float = 347,
    x: float = 0.0,
    y: float = 0.0,
    marker_size: float = 5.0,
    opacity: float = 0.75,
) -> str:
    """Draw one map as an ``<svg>`` element, with the geometry and colours of :func:`map_png`.

    The element fills the box (``x``, ``y``, ``width``, ``height``) of its parent SVG (or is
    a standalone document at the origin); the data keep equal scale on both axes and are
    centred in the box. Every point is a circle, its colour blended over white as in the
    PNG (no transparency, so any viewer shows the same); anchors are stars and
    highlighted samples rings. Above :data:`SVG_POINTS_UP_TO` points the map is embedded
    as a PNG from :func:`map_png` instead.

    Parameters
    ----------
    coords : array-like of shape (n_samples, 2)
        The 2-D layout. Non-finite rows are not drawn.
    ids : array-like of shape (n_samples,)
    coloring : Coloring
    anchor_ids, highlight_ids : sequence of ids, default=()
    width, height : float, default=600, 347
        The box, in SVG user units (CSS pixels).
    x, y : float, default=0
        Top-left corner of the box in the parent's units.
    marker_size, opacity : float, default=5.0, 0.75
        As in :func:`map_png`.

    Returns
    -------
    str
        An ``<svg>`` element (with its namespace, so it is also a valid document alone).
    """
    coords, ids = _checked(coords, ids)
    head = (f"<svg xmlns='http://www.w3.org/2000/svg' x='{x:.1f}' y='{y:.1f}' width='{width:.1f}' "
            f"height='{height:.1f}' viewBox='0 0 {width:.1f} {height:.1f}'>")
    finite = np.isfinite(coords).all(axis=1)
    if int(finite.sum()) > SVG_POINTS_UP_TO:
        png = map_png(coords, ids=ids, coloring=coloring, anchor_ids=anchor_ids, highlight_ids=highlight_ids,
                      width=width, height=height, marker_size=marker_size, opacity=opacity)
        b64 = base64.b64encode(png).decode("ascii")
        return (head + f"<image width='{width:.1f}' height='{height:.1f}' preserveAspectRatio='xMidYMid meet' "
                f"href='data:image/png;base64,{b64}'/></svg>")
    pad = marker_size + 0.02 * min(width, height)
    px = py = np.zeros(len(coords))
    fit = _equal_scale(coords, finite, width, height, pad)
    if fit is not None:
        px, py = _place(coords, fit[0], fit[1], width, height)
    rgb, _, order = _point_colors(coloring, len(coords))
    order = order[finite[order]]
    fills = [_hex(c) for c in np.rint(255.0 * (1 - opacity) + rgb[order].astype(float) * opacity)]
    r = marker_size / 2
    parts = [head]
    k = 0
    while k < len(order):  # runs of one colour share a group: a third of the bytes of a fill per circle
        j = k
        while j < len(order) and fills[j] == fills[k]:
            j += 1
        parts.append(f"<g fill='{fills[k]}'>")
        parts.extend(f"<circle cx='{px[i]:.1f}' cy='{py[i]:.1f}' r='{r:g}'/>" for i in order[k:j])
        parts.append("</g>")
        k = j
    for i in np.flatnonzero(finite & np.isin(ids, list(highlight_ids))):
        parts.append(f"<circle cx='{px[i]:.1f}' cy='{py[i]:.1f}' r='6.5' fill='none' stroke='{_hex(_HIGHLIGHT)}' "
                     "stroke-width='2'/>")
    for i in np.flatnonzero(finite & np.isin(ids, list(anchor_ids))):
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in _star(px[i], py[i], 4.8))
        parts.append(f"<polygon points='{pts}' fill='{_hex(_ANCHOR)}' stroke='{_hex(_ANCHOR_EDGE)}' stroke-width='0.5'/>")
    parts.append("</svg>")
    return "".join(parts)
