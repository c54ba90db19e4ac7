"""The slide downloads: the 2x2 maps, the stitching readout and a title as one PNG or SVG (:mod:`dashboard.slide`).

Offered on Explore (next to its other downloads) and on the presenter page. The image
is drawn only when a button is clicked; everything it needs is gathered in the run, except
the readout, read when clicked (a large collection's may still be computing).
"""

from __future__ import annotations

import re

import numpy as np
import streamlit as st

from dashboard import controls, explore_maps, loaders, readouts, share
from dashboard.figures import Coloring
from dashboard.slide import Readout, SlideMap, slide_png, slide_svg

__all__ = ["MAP_NAMES", "readout", "chance", "slide_downloads", "explore_slide_downloads"]

#: The maps of a slide, in its order (the keys of Explore's drawn maps).
MAP_NAMES = ("absolute_A", "absolute_B", "relative_A", "relative_B")
SLIDE_HELP = "The four maps, the stitching readout and a title in one 1920 x 1080 image, for slides."


def readout(source: str, enc_a: str, enc_b: str, anchors: tuple) -> list[Readout]:
    """Both stitching directions of A and B, relative and absolute, as Explore's readout shows them.

    Relative numbers are NaN with fewer than 2 anchors, absolute ones when the dims differ.
    """
    A = loaders.absolute_stitching(source)
    ia, ib = A.encoders.index(enc_a), A.encoders.index(enc_b)
    S = A.scores["absolute"]
    rel = (np.nan, np.nan)
    if len(anchors) >= 2:
        R = readouts.relative_readout(source, enc_a, enc_b, tuple(anchors))
        ja, jb = R.encoders.index(enc_a), R.encoders.index(enc_b)
        rel = (float(R.scores["relative"][ja, jb]), float(R.scores["relative"][jb, ja]))
    return [Readout("B → A's head", rel[0], float(S[ia, ib])), Readout("A → B's head", rel[1], float(S[ib, ia]))]


def chance(coll) -> float | None:
    """Accuracy of always guessing the most frequent test label; None without labels."""
    if not controls.is_labelled(coll):
        return None
    test = np.asarray(coll.labels)[coll.split == "test"]
    if not len(test):
        return None
    _, counts = np.unique(test, return_counts=True)
    return float(counts.max() / len(test))


def slide_downloads(maps: dict, *, source: str, coll, enc_a: str, enc_b: str, anchors: tuple, coloring: Coloring,
                    method: str, key: str = "slide") -> None:
    """Two download buttons, "Slide (PNG)" and "Slide (SVG)".

    Parameters
    ----------
    maps : dict
        :data:`MAP_NAMES` to coords of shape (n_samples, 2), or to ``(coords, anything)``
        (Explore's drawn maps). Without all four, a caption says so instead.
    source : str
    coll : Collection
    enc_a, enc_b : str
    anchors : tuple of ids
    coloring : Coloring
        The maps' colours (one legend for the four).
    method : str
        The layout's name, for the subtitle (e.g. "UMAP").
    key : str, default="slide"
        Prefix of the buttons' widget keys.
    """
    anchors = tuple(anchors)
    coords = {k: (v[0] if isinstance(v, tuple) else v) for k, v in maps.items()}
    missing = [k.replace("_", " ") for k in MAP_NAMES if k not in coords]
    if missing:
        st.caption(f"The slide needs all four maps ({', '.join(missing)} not drawn yet).")
        return
    titles = {"absolute_A": f"Absolute A · {enc_a}", "absolute_B": f"Absolute B · {enc_b}",
              "relative_A": f"Relative A · {enc_a}", "relative_B": f"Relative B · {enc_b}"}
    panels = [SlideMap(titles[k], coords[k]) for k in MAP_NAMES]
    n_test = int((coll.split == "test").sum())
    labelled = controls.is_labelled(coll)
    kw = dict(
        ids=coll.ids, coloring=coloring, anchor_ids=anchors,
        chance=chance(coll),
        title=f"{coll.name}: {enc_a} (A) vs {enc_b} (B)",
        subtitle=f"{method} · {len(anchors)} anchors · every one of the {coll.n_samples:,} samples",
        footer="Stitchboard · relative representations (Moschella et al., ICLR 2023)"
               + (f" · test accuracy on {n_test:,} test samples" if labelled else ""),
    )

    def numbers() -> list[Readout]:
        # read when clicked: a large collection's readout may still be computing, and a run that waited for it
        # held off the next interaction's run (seconds at 1M rows)
        return readout(source, enc_a, enc_b, anchors) if labelled else []

    stem = re.sub(r"[^\w.-]+", "_", f"slide_{coll.name}_{enc_a}_vs_{enc_b}")
    share.download("Slide (PNG)", lambda: slide_png(panels, readout=numbers(), **kw), f"{stem}.png", "image/png",
                   key=f"{key}_png", help=SLIDE_HELP)
    share.download("Slide (SVG)", lambda: slide_svg(panels, readout=numbers(), **kw).encode("utf-8"), f"{stem}.svg",
                   "image/svg+xml", key=f"{key}_svg", help=SLIDE_HELP + " Vector: every point a circle, text as text.")


def shown_layouts(drawn: dict) -> str:
    """The layout the maps of ``drawn`` (:class:`dashboard.explore_maps.Drawn` by map name) show, for the slide's
    subtitle: "UMAP", or each row's own when they differ ("UMAP (absolute) / PCA preview (relative)")."""
    rows = {kind: [d.layout for k, d in drawn.items() if k.startswith(kind)] for kind in ("absolute", "relative")}
    names = list(dict.fromkeys(n for v in rows.values() for n in v))
    if len(names) <= 1:
        return names[0] if names else ""
    return " / ".join(f"{'/'.join(dict.fromkeys(v))} ({kind})" for kind, v in rows.items() if v)


def explore_slide_downloads(drawn: dict, *, source: str, coll, enc_a: str, enc_b: str, anchors: tuple,
                            color_by: str) -> None:
    """:func:`slide_downloads` of Explore's maps as drawn (:class:`dashboard.explore_maps.Drawn`), coloured as
    Explore colours them (``color_by``); the subtitle names the layout shown, a preview included."""
    coloring = explore_maps.coloring_for(tuple(anchors), source=source, coll=coll, enc_a=enc_a, enc_b=enc_b,
                                         color_by=color_by)
    slide_downloads(drawn, source=source, coll=coll, enc_a=enc_a, enc_b=enc_b, anchors=tuple(anchors),
                    coloring=coloring, method=shown_layouts(drawn), key="dl_slide")
