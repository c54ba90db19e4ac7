"""A slide for a talk: the 2x2 maps of two encoders, the stitching readout and a title, in one image.

The same layout is drawn as a PNG (Pillow, every point through :func:`dashboard.snapshot.map_png`)
or as an SVG (every point a circle through :func:`dashboard.snapshot.map_svg`, text as text),
so the picture on a slide is the one on the page and the server needs no browser to draw it.
A layout is a list of drawing items (text, maps, swatches) that both renderers walk.

Pure functions of their arguments; no streamlit here.
"""

from __future__ import annotations

import functools
import html
import io
import math
from dataclasses import dataclass

import numpy as np
from plotly.colors import hex_to_rgb

from dashboard import snapshot
from dashboard.figures import Coloring

__all__ = ["SlideMap", "Readout", "panel_boxes", "slide_png", "slide_svg"]

#: Fonts tried in order (Pillow finds them in the system's font folders); Pillow's own font is the fallback.
_FONTS = {False: ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf"),
          True: ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf")}
_SVG_FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
_INK, _GREY, _REL, _ABS = "#222222", "#666666", "#1a7f37", "#b42318"
#: The layout is drawn for 1080 px of height and scaled to the requested one.
_BASE_H = 1080.0
#: At most this many categories get a legend entry (the rest are counted).
_LEGEND_UP_TO = 20


@dataclass(frozen=True)
class SlideMap:
    """One map of the slide.

    Attributes
    ----------
    title : str
        Shown above the map, e.g. "Absolute A · mlp-s0".
    coords : ndarray of shape (n_samples, 2)
        The 2-D layout, rows in the order of the slide's ``ids``.
    """

    title: str
    coords: np.ndarray


@dataclass(frozen=True)
class Readout:
    """One stitching direction of the readout: a head fed the other encoder's space.

    Attributes
    ----------
    head : str
        E.g. "B → A's head".
    relative, absolute : float
        Test accuracy of the relative and the absolute head; NaN when it does not apply
        (absolute heads when the dims differ, relative ones without 2 anchors).
    """

    head: str
    relative: float
    absolute: float


@functools.lru_cache(maxsize=32)
def _font(size: int, bold: bool):
    """A TrueType font of ``size`` px and whether it has arrows and other symbols (DejaVu, Liberation do)."""
    from PIL import ImageFont

    for name in _FONTS[bold]:
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    return ImageFont.load_default(size=size), False  # Pillow's Aileron: Latin letters only


def _latin(text: str) -> str:
    return text.replace("→", "->").replace("←", "<-").replace("≥", ">=").replace("…", "...")


def _fit(text: str, size: int, bold: bool, max_w: float) -> str:
    """``text`` cut with an ellipsis so that it is at most ``max_w`` px wide at this size."""
    font, _ = _font(size, bold)
    if font.getlength(text) <= max_w:
        return text
    while text and font.getlength(text + "…") > max_w:
        text = text[:-1]
    return text.rstrip() + "…"


def panel_boxes(width: int = 1920, height: int = 1080) -> list[tuple[float, float, float, float]]:
    """Where the four maps go: ``(x, y, w, h)`` in pixels, row by row (absolute A, absolute B, relative A, relative B).

    Each box is the area a map may fill; its title sits just above it.
    """
    u = height / _BASE_H
    m, top, bottom = 40 * u, 150 * u, height - 70 * u
    area_w = width * 0.64 - m
    gut, head = 36 * u, 40 * u
    cw, ch = (area_w - gut) / 2, (bottom - top - gut) / 2 - head
    return [(m + c * (cw + gut), top + head + r * (ch + head + gut), cw, ch) for r in range(2) for c in range(2)]


def _num(v: float) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.3f}"


def _items(maps, *, coloring: Coloring, n_anchors: int, readout, title: str, subtitle: str, footer: str,
           chance: float | None, width: int, height: int) -> list[tuple]:
    """The slide as drawing items: ``("text", x, y, str, size, bold, colour, align)``, ``("map", x, y, w, h, SlideMap)``,
    ``("dot", cx, cy, r, colour)``, ``("star", cx, cy, r)``, ``("rect", x, y, w, h, colour)``; text at its baseline."""
    u = height / _BASE_H
    m = 40 * u
    px = lambda v: max(1, round(v * u))  # noqa: E731 - font sizes in px at this height
    items: list[tuple] = [("text", m, m + 44 * u, _fit(title, px(46), True, width - 2 * m), px(46), True, _INK, "l")]
    if subtitle:
        items.append(("text", m, m + 88 * u, _fit(subtitle, px(26), False, width - 2 * m), px(26), False, _GREY, "l"))
    for (x, y, w, h), mp in zip(panel_boxes(width, height), maps):
        items.append(("text", x, y - 12 * u, _fit(mp.title, px(28), True, w), px(28), True, _INK, "l"))
        items.append(("map", x, y, w, h, mp))
    # the readout: one block per direction, relative and absolute side by side in large figures
    x0 = width * 0.64 + 30 * u
    col_w = width - m - x0
    y = 150 * u + 34 * u
    items.append(("text", x0, y, _fit("Zero-shot stitching", px(34), True, col_w), px(34), True, _INK, "l"))
    y += 36 * u
    items.append(("text", x0, y, _fit("test accuracy of a head fed the other encoder", px(22), False, col_w), px(22),
                  False, _GREY, "l"))
    half = col_w / 2
    if not readout:
        y += 50 * u
        items.append(("text", x0, y, _fit("no labels: no classifier to stitch", px(26), False, col_w), px(26), False,
                      _GREY, "l"))
    for r in readout:
        y += 62 * u
        items.append(("text", x0, y, _fit(r.head, px(30), True, col_w), px(30), True, _INK, "l"))
        y += 76 * u
        items.append(("text", x0, y, _num(r.relative), px(72), True, _REL, "l"))
        items.append(("text", x0 + half, y, _num(r.absolute), px(72), True, _ABS, "l"))
        y += 32 * u
        items.append(("text", x0, y, "relative", px(24), False, _REL, "l"))
        items.append(("text", x0 + half, y, "absolute", px(24), False, _ABS, "l"))
    if chance is not None:
        y += 50 * u
        items.append(("text", x0, y, f"chance: {chance:.3f}", px(24), False, _GREY, "l"))
    # the legend, shared by the four maps
    y += 62 * u
    items.append(("text", x0, y, _fit(f"Colour: {coloring.name}", px(24), True, col_w), px(24), True, _INK, "l"))
    y += 14 * u
    if coloring.continuous:
        n = 24
        for k in range(n):
            rgb = snapshot._viridis(np.array([k / (n - 1)]))[0]
            items.append(("rect", x0 + k * col_w * 0.7 / n, y + 8 * u, col_w * 0.7 / n + 0.5, 22 * u,
                          "#%02x%02x%02x" % tuple(int(round(c)) for c in rgb)))
        vals = np.asarray(coloring.values, dtype=float)
        vals = vals[np.isfinite(vals)]
        if len(vals):
            items.append(("text", x0, y + 56 * u, f"{vals.min():.3g}", px(20), False, _GREY, "l"))
            items.append(("text", x0 + col_w * 0.7, y + 56 * u, f"{vals.max():.3g}", px(20), False, _GREY, "r"))
        y += 64 * u
    else:
        present = set(np.asarray(coloring.values).astype(str).tolist())
        cats = [c for c in coloring.categories if c in present]
        shown = cats[:_LEGEND_UP_TO]
        per_col = 5 if len(shown) <= 10 else 10
        n_cols = max(1, math.ceil(len(shown) / per_col))
        cw = col_w / max(n_cols, 2)
        for k, cat in enumerate(shown):
            cx, cy = x0 + (k // per_col) * cw, y + (k % per_col + 1) * 36 * u
            rgb = hex_to_rgb(coloring.color_of(cat))
            items.append(("dot", cx + 10 * u, cy - 9 * u, 10 * u,
                          "#%02x%02x%02x" % tuple(round(255 * 0.25 + c * 0.75) for c in rgb)))
            items.append(("text", cx + 28 * u, cy, _fit(cat, px(24), False, cw - 36 * u), px(24), False, _INK, "l"))
        y += min(len(shown), per_col) * 36 * u
        if len(cats) > len(shown):
            y += 34 * u
            items.append(("text", x0, y, f"… and {len(cats) - len(shown)} more", px(20), False, _GREY, "l"))
    if n_anchors:
        y += 44 * u
        items.append(("star", x0 + 10 * u, y - 9 * u, 12 * u))
        items.append(("text", x0 + 28 * u, y, f"anchors ({n_anchors})", px(24), False, _INK, "l"))
    if footer:
        items.append(("text", m, height - 28 * u, _fit(footer, px(22), False, width - 2 * m), px(22), False, _GREY, "l"))
    return items


def _check(maps, width: int, height: int) -> list:
    maps = list(maps)
    if len(maps) != 4:
        raise ValueError(f"a slide has 4 maps (absolute A, absolute B, relative A, relative B); got {len(maps)}")
    if width < 320 or height < 180:
        raise ValueError(f"width={width} and height={height} must be at least 320 x 180")
    return maps


def slide_png(maps, *, ids, coloring: Coloring, anchor_ids=(), readout=(), title: str, subtitle: str = "",
              footer: str = "", chance: float | None = None, width: int = 1920, height: int = 1080) -> bytes:
    """The slide as PNG bytes of exactly ``width`` x ``height`` pixels, on white.

    Parameters
    ----------
    maps : sequence of 4 SlideMap
        Absolute A, absolute B, relative A, relative B (row by row: :func:`panel_boxes`).
    ids : array-like of shape (n_samples,)
        Sample ids, the rows of every map's coords.
    coloring : Coloring
        The points' colours, shared by the four maps (one legend).
    anchor_ids : sequence of ids, default=()
        Drawn as stars in every map.
    readout : sequence of Readout, default=()
        The stitching numbers, one block per direction.
    title, subtitle, footer : str
        Text of the slide (cut with an ellipsis where too long).
    chance : float, optional
        Accuracy of a guess (1 / n_classes), printed under the readout.
    width, height : int, default=1920, 1080
        Pixel size; the layout scales with the height.

    Returns
    -------
    bytes
    """
    from PIL import Image, ImageDraw

    maps = _check(maps, width, height)
    ids = np.asarray(ids)
    items = _items(maps, coloring=coloring, n_anchors=len(anchor_ids), readout=readout, title=title,
                   subtitle=subtitle, footer=footer, chance=chance, width=width, height=height)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    u = height / _BASE_H
    for it in items:
        kind = it[0]
        if kind == "map":
            _, x, y, w, h, mp = it
            png = snapshot.map_png(mp.coords, ids=ids, coloring=coloring, anchor_ids=anchor_ids, width=w, height=h,
                                   scale=1.0, marker_size=6.0 * u)
            tile = Image.open(io.BytesIO(png)).convert("RGB")
            img.paste(tile, (round(x + (w - tile.width) / 2), round(y + (h - tile.height) / 2)))
            draw.rectangle((x, y, x + w, y + h), outline="#dddddd", width=1)
        elif kind == "text":
            _, x, y, s, size, bold, fill, align = it
            font, full = _font(size, bold)
            draw.text((x, y), s if full else _latin(s), fill=fill, font=font, anchor="ls" if align == "l" else "rs")
        elif kind == "dot":
            _, cx, cy, r, fill = it
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        elif kind == "star":
            _, cx, cy, r = it
            draw.polygon(snapshot._star(cx, cy, r), fill=snapshot._ANCHOR, outline=snapshot._ANCHOR_EDGE)
        elif kind == "rect":
            _, x, y, w, h, fill = it
            draw.rectangle((x, y, x + w, y + h), fill=fill)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def slide_svg(maps, *, ids, coloring: Coloring, anchor_ids=(), readout=(), title: str, subtitle: str = "",
              footer: str = "", chance: float | None = None, width: int = 1920, height: int = 1080) -> str:
    """The slide of :func:`slide_png` as an SVG document: the same layout, every point a circle, text as text.

    Parameters and layout as :func:`slide_png`. Maps of more than
    :data:`dashboard.snapshot.SVG_POINTS_UP_TO` points are embedded as PNGs.

    Returns
    -------
    str
        A standalone SVG document (UTF-8 text); every user string is escaped.
    """
    maps = _check(maps, width, height)
    ids = np.asarray(ids)
    items = _items(maps, coloring=coloring, n_anchors=len(anchor_ids), readout=readout, title=title,
                   subtitle=subtitle, footer=footer, chance=chance, width=width, height=height)
    u = height / _BASE_H
    out = [f"<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='{width}' "
           f"height='{height}' viewBox='0 0 {width} {height}' font-family='{_SVG_FONT}'>"
           f"<rect width='{width}' height='{height}' fill='white'/>"]
    for it in items:
        kind = it[0]
        if kind == "map":
            _, x, y, w, h, mp = it
            out.append(snapshot.map_svg(mp.coords, ids=ids, coloring=coloring, anchor_ids=anchor_ids, x=x, y=y,
                                        width=w, height=h, marker_size=6.0 * u))
            out.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{w:.1f}' height='{h:.1f}' fill='none' stroke='#dddddd'/>")
        elif kind == "text":
            _, x, y, s, size, bold, fill, align = it
            out.append(f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' fill='{fill}'"
                       + (" font-weight='bold'" if bold else "") + (" text-anchor='end'" if align == "r" else "")
                       + f">{html.escape(s, quote=False)}</text>")
        elif kind == "dot":
            _, cx, cy, r, fill = it
            out.append(f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='{r:.1f}' fill='{fill}'/>")
        elif kind == "star":
            _, cx, cy, r = it
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in snapshot._star(cx, cy, r))
            out.append(f"<polygon points='{pts}' fill='{snapshot._hex(snapshot._ANCHOR)}' "
                       f"stroke='{snapshot._hex(snapshot._ANCHOR_EDGE)}'/>")
        elif kind == "rect":
            _, x, y, w, h, fill = it
            out.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{w:.1f}' height='{h:.1f}' fill='{fill}'/>")
    out.append("</svg>")
    return "".join(out)
