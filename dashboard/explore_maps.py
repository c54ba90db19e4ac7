"""The 2x2 maps of Explore: absolute and relative, A and B, with previews while a layout computes."""

import functools
import time
import typing

import numpy as np
import pandas as pd
import streamlit as st

from core.errors import CancelledError
from core.maps import layout_jobs
from core.maps.umap_maps import how_made
from dashboard import agreement_view, anchor_state, controls, figures, jobs, loaders, map_chart, map_legend, panels, results, snapshot, text

#: Seconds the first run of a session waits, after drawing the preview maps, before a long layout starts in-process.
FIRST_PAINT_GRACE_S = 3.0
#: Up to this many points, a t-SNE re-fit shows the relative maps of the previous anchors redrawn with the new
#: stars meanwhile. Otherwise the maps on screen stay (faded) until the new ones replace them: a redraw costs
#: browser time that the new maps then wait for.
REDRAW_PREVIOUS_UP_TO = 20_000
METHOD_NAMES = {"umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}
#: Height in pixels of each of the four maps (they take half the page's width each).
MAP_HEIGHT = 380
KINDS = ("abs", "rel")
SIDES = ("A", "B")
STAGES = ("pv", "fin")


class Drawn(typing.NamedTuple):
    """One map as drawn: its coordinates of shape (n_samples, 2), a callable making its plotly figure, and the name
    of the layout shown ("UMAP", or "PCA preview" while a UMAP is cancelled), for the slide's subtitle."""

    coords: np.ndarray
    figure: typing.Callable
    layout: str


def chart_key(kind: str, side: str, stage: str, rev: int) -> str:
    """Key of a map drawn by ``st.plotly_chart`` (only if plotly.js is not shipped for ``map_chart``)."""
    return f"map_{kind}_{side}_{stage}_{rev}"


def map_key(kind: str, side: str, stage: str) -> str:
    """Key of a map drawn by ``map_chart``: the same in every run, so its plot stays mounted."""
    return f"mapchart_{kind}_{side}" + ("" if stage == "fin" else f"_{stage}")


def coloring_for(anchors: tuple, *, source: str, coll, enc_a: str, enc_b: str, color_by: str,
                 kind: str = "rel") -> figures.Coloring:
    """How the maps of one row colour their points: the ``color_by`` column, or B → A's stitched outcome per sample.

    Parameters
    ----------
    anchors : tuple
    source : str
    coll : core.spaces.collection.Collection
    enc_a, enc_b : str
    color_by : str
        A column of the sample table, or :data:`dashboard.controls.COLOR_STITCHED`.
    kind : {"abs", "rel"}, default="rel"
        The row coloured. "stitched correctly?" paints each row with its own head: the
        absolute maps with A's absolute head fed B's absolute vectors, the relative maps
        with A's relative head fed B's relative vectors.
    """
    if color_by in agreement_view.COLOR_CHOICES:  # per-sample agreement of A and B
        return agreement_view.coloring(color_by, anchors, source=source, coll=coll, enc_a=enc_a, enc_b=enc_b)
    df = coll.samples
    if color_by == controls.COLOR_STITCHED and (kind == "abs" or len(anchors) >= 2):
        return _stitched(anchors, source=source, coll=coll, enc_a=enc_a, enc_b=enc_b, kind=kind)
    col = color_by if color_by in df.columns else ("label" if "label" in df.columns else "split")
    values = df[col].to_numpy()
    if pd.api.types.is_numeric_dtype(df[col]) and df[col].nunique() > 12:
        return figures.Coloring(col, values.astype(float), continuous=True)
    if col == "label" and coll.target_names:
        cats = tuple(str(t) for t in coll.target_names)
    else:
        cats = tuple(sorted(map(str, pd.unique(values))))
    return figures.Coloring(col, values.astype(str), categories=cats)


def _stitched(anchors: tuple, *, source: str, coll, enc_a: str, enc_b: str, kind: str) -> figures.Coloring:
    """Each test sample: does A's head (absolute or relative: ``kind``) classify it right from B's vectors?"""
    if kind == "abs" and coll.dim(enc_a) != coll.dim(enc_b):
        test = "n/a: dims differ"  # A's absolute head cannot read B's vectors at all
        vals = np.where(coll.split == "train", "train (not scored)", test).astype(object)
        return figures.Coloring("B → A's absolute head", vals,
                                categories=tuple(figures.OUTCOME_COLORS), colors=figures.OUTCOME_COLORS)
    if kind == "abs":  # the absolute head ignores the anchors: one cache entry for every anchor set
        ps = loaders.pair_stitching(source, enc_a, enc_b, (), "absolute")
        name = "B → A's absolute head"
    else:
        ps = loaders.pair_stitching(source, enc_a, enc_b, anchors, "relative")
        name = f"B → A's relative head ({len(anchors)} anchors)"
    ok = dict(zip(ps.ids.tolist(), ps.correct.tolist()))
    vals = np.array(["train (not scored)" if i not in ok else ("correct" if ok[i] else "wrong")
                     for i in coll.ids.tolist()], dtype=object)
    return figures.Coloring(name, vals, categories=tuple(figures.OUTCOME_COLORS), colors=figures.OUTCOME_COLORS)


def map_title(kind: str, side: str, method_used: str, frame_used: str, note: str, *, enc_a: str, enc_b: str,
              n_samples: int = 0) -> str:
    """The markdown title of one map: which encoder, which row, how its layout was made (a large UMAP map:
    from landmarks, :func:`core.maps.umap_maps.how_made`)."""
    enc = enc_a if side == "A" else enc_b
    m = METHOD_NAMES[method_used]
    landmarks = how_made(n_samples, placed=side == "B" and frame_used == "A") if method_used == "umap" else ""
    if landmarks:
        note = f"{note} · {landmarks}" if note else f"· {landmarks}"
    if side == "A" and kind == "rel":
        where = f"{m} of A, " + ("started from" if method_used in ("umap", "tsne") else "turned like") + " A's absolute map"
    elif side == "A":
        where = f"{m} fitted on A"
    elif frame_used == "A":
        where = f"placed in A's {m} frame"
    elif kind == "abs":
        where = f"own {m} layout, aligned to A — not A's frame"
    else:
        where = f"own {m} layout, Procrustes-aligned to A"
    return f"**{'Absolute' if kind == 'abs' else 'Relative'} {side}: {text.code(enc)}**  \n:small[{where} {note}]"


def fairness_note(method: str, frame: str, *, dims_differ: bool) -> str:
    """One line under the maps when Absolute B has a layout of its own, or "" when it is placed in A's frame.

    A layout fitted on B alone shows B's own clusters, however unreadable B's coordinates
    are to A's head, so Absolute B can look as tidy as Relative B: the line says so.
    """
    if method != "tsne" and frame == "A" and not dims_differ:
        return ""
    why = ("t-SNE cannot place new points" if method == "tsne" else "its dims differ from A's" if dims_differ and frame == "A"
           else "own layouts chosen")
    return (f"Absolute B has its own layout ({why}): its clusters are B's own, not what A's head sees, so it can look as "
            "tidy as Relative B. The readout above still measures what A's head makes of B's vectors.")


@panels.isolated("Maps", default={})
def show_maps(anchors: tuple, *, source: str, coll, enc_a: str, enc_b: str, method: str, frame: str, params: dict,
              color_by: str, anchor_look: str = "show", before_layouts=None) -> dict:
    """Draw the 2x2 maps; returns the coordinates drawn, by map name.

    A UMAP / t-SNE layout not computed yet is previewed (PCA, or the relative maps of the
    previous anchors) while it runs under a progress line with a Cancel button. On the
    session's first maps a preview is its snapshot image only: the browser, still loading
    plotly.js, then draws only the final charts. Any other
    interaction stops it too (``jobs.should_stop``) and the next run starts over with the
    new choice; a cancelled job stays cancelled (preview + Recompute) until asked again.

    Parameters
    ----------
    anchors : tuple
        The anchor ids: stars on every map, and what the relative row is relative to.
    source : str
    coll : core.spaces.collection.Collection
        The collection behind ``source``.
    enc_a, enc_b : str
        The two encoders compared.
    method, frame : str
        The sidebar's layout method (``"umap"``, ``"pca"``, ``"tsne"``) and where B is placed (``"A"``, ``"own"``).
    params : dict
        ``n_neighbors``, ``min_dist`` and ``perplexity`` of the layout.
    color_by : str
        A column of the sample table, or :data:`dashboard.controls.COLOR_STITCHED`.
    anchor_look : {"show", "faint", "hide"}, default="show"
        How the stars are drawn on the four maps and their snapshots.
    before_layouts : callable(), optional
        Called once the maps on screen are final or previews, before any UMAP / t-SNE layout is computed.

    Returns
    -------
    dict
        ``"absolute_A"``, ``"absolute_B"``, ``"relative_A"``, ``"relative_B"`` (those drawn) to
        :class:`Drawn` ``(coords, figure, layout)``.
    """
    n_total = coll.n_samples
    rev = anchor_state.rev()
    highlight = anchor_state.highlight()
    colorings = {kind: coloring_for(anchors, source=source, coll=coll, enc_a=enc_a, enc_b=enc_b, color_by=color_by,
                                    kind=kind) for kind in KINDS}
    legend = map_legend.legend_data({"absolute": colorings["abs"], "relative": colorings["rel"]},
                                    isolate=map_legend.isolated(), n_anchors=len(anchors), n_highlighted=len(highlight),
                                    anchor_look=anchor_look)
    isolate = legend["isolate"]
    map_legend.set_isolated(isolate)  # a class the colouring no longer has is not isolated any more
    # first maps of the session: each also goes out as an image, shown until plotly.js has loaded and drawn the chart
    first_paint = not st.session_state.get("_maps_shown")  # bootstrap.prepare sends snapshot.HIDE_CSS
    hover = loaders.hover_text(source)
    n_train = int((coll.split == "train").sum())
    dims_differ = coll.dim(enc_a) != coll.dim(enc_b)
    map_legend.show_legend(legend)
    fair = fairness_note(method, frame, dims_differ=dims_differ)
    if fair:
        st.caption(":material/warning: " + fair)
    status_slot = st.empty()
    rows = {kind: st.columns(2) for kind in KINDS}
    st.caption(
        f"Every one of the {n_total:,} {coll.name} samples is drawn in each map ({n_train:,} train + {n_total - n_train:,} "
        f"test); nothing is sampled."
        + (f" With more than {figures.HOVERTEXT_UP_TO:,} points a hover label shows the sample's id and colour; "
           "click or select points to read them in full under Inspect." if n_total > figures.HOVERTEXT_UP_TO else "")
    )
    slots: dict = {}

    def slot(kind, side, stage):
        """Where a map goes, used when it is drawn: until then the map of the previous run stays on screen
        (Streamlit keeps an element until the run writes to its place or ends).

        A preview gets a placeholder (st.empty) that the final map replaces later in the run. A final map
        otherwise goes straight into its column: a placeholder sent first would replace the map on screen for a
        moment, and the browser would then mount and draw the chart anew.
        """
        if (kind, side) in slots:
            return slots[(kind, side)]
        col = rows[kind][SIDES.index(side)]
        if stage == "fin":
            return col
        slots[(kind, side)] = col.empty()
        return slots[(kind, side)]
    drawn: dict = {}

    # the maps stay mounted across reruns (map_chart): an anchor edit moves the stars of the absolute maps and redraws
    # the relative ones in place, where st.plotly_chart would remount every chart whose figure changed
    mounted = map_chart.available()

    def draw(kind, coords_a, coords_b, method_used, frame_used, stage, note="", chart=True):
        """``chart=False``: the snapshot image alone (a first visit's preview, replaced in the same run)."""
        for side, coords in (("A", coords_a), ("B", coords_b)):
            # a final map keeps its container and key across runs (map_chart), so an anchor edit updates
            # it in place instead of remounting it; a preview drawn in the same run needs keys of its own
            final = mounted and stage == "fin"
            box = slot(kind, side, stage).container(key=f"mapbox-{kind}-{side}" + ("" if final else f"-{stage}"))
            box.markdown(map_title(kind, side, method_used, frame_used, note, enc_a=enc_a, enc_b=enc_b,
                                   n_samples=n_total))
            coloring = colorings[kind]
            if first_paint:
                png = snapshot.map_png(coords, ids=coll.ids, coloring=coloring, anchor_ids=anchors, highlight_ids=highlight,
                                       anchor_look=anchor_look, isolate=isolate)
                box.html(snapshot.snapshot_html(
                    png, coloring=coloring, n_anchors=len(anchors), height=MAP_HEIGHT, legend=False,
                    note="loading the interactive map…" if chart else f"the interactive map comes with {name}…"))
            else:  # keeps the chart in its place: a chart that moves is remounted (redrawn, zoom lost)
                box.empty()
            args = dict(ids=coll.ids, coloring=coloring, hover=hover, anchor_ids=anchors, highlight_ids=highlight,
                        note=f"{n_total:,} points", anchor_look=anchor_look, isolate=isolate, height=MAP_HEIGHT)
            if chart and mounted:
                with box:
                    map_chart.show_map(coords, key=map_key(kind, side, stage), **args)
            elif chart:
                box.plotly_chart(figures.map_figure(coords, legend=False, **args), key=chart_key(kind, side, stage, rev),
                                 on_select="rerun", selection_mode=("points", "box", "lasso"), width="stretch",
                                 config=figures.PLOTLY_CONFIG)
            # the figure, made for a download only: with its own legend, as it stands alone
            fig = functools.partial(figures.map_figure, coords, **args)
            shown = METHOD_NAMES[method_used] + ("" if stage == "fin" else
                                                 " preview" if method_used == "pca" else " of the previous anchors")
            drawn[f"{'absolute' if kind == 'abs' else 'relative'}_{side}"] = Drawn(coords, fig, shown)

    keys = {"abs": (source, enc_a, enc_b, None), "rel": (source, enc_a, enc_b, anchors)}
    want = {k: results.layout_key(*keys[k], method, frame, params["n_neighbors"], params["min_dist"],
                                  params["perplexity"]) for k in KINDS}
    pending = [k for k in KINDS if method != "pca" and not results.has_layouts(*want[k])
               and not (k == "rel" and len(anchors) < 2)]
    # a cancelled job stays cancelled; the relative maps start from the absolute ones, so they wait too
    abs_cancelled = "abs" in pending and jobs.is_cancelled(want["abs"])
    cancelled = [k for k in pending if abs_cancelled or jobs.is_cancelled(want[k])]
    to_run = [k for k in pending if k not in cancelled]
    last_rel = st.session_state.get("_last_rel_layout")
    name = METHOD_NAMES[method]

    def remember_rel(LA, LB, used):
        st.session_state["_last_rel_layout"] = (want["rel"][:3] + want["rel"][4:], (LA, LB, used))

    for kind in KINDS:
        if kind == "rel" and len(anchors) < 2:
            for side in SIDES:
                slot("rel", side, "fin").info(f"Relative {side}: pick at least 2 anchors to see the relative map.")
            continue
        if kind in pending:
            if kind == "rel" and last_rel is not None and last_rel[0] == want["rel"][:3] + want["rel"][4:]:
                if (n_total > REDRAW_PREVIOUS_UP_TO or method != "tsne") and kind not in cancelled:
                    continue  # the maps of the previous anchors are on screen already: no second copy to send
                LA, LB, used = last_rel[1]
                draw(kind, LA, LB, method, used, "pv",
                     f"· *previous anchors; {name} cancelled*" if kind in cancelled else "· *previous anchors; updating…*")
            else:
                LA, LB, used = results.layouts(*keys[kind], "pca", frame)
                # a first visit's previews as images only: the browser then draws the final maps alone, sooner
                draw(kind, LA, LB, "pca", used, "pv",
                     f"· *PCA preview; {name} cancelled*" if kind in cancelled else f"· *preview while {name} computes*",
                     chart=not (first_paint and kind in to_run))
        else:
            LA, LB, used = results.layouts(*want[kind], should_stop=jobs.should_stop)
            draw(kind, LA, LB, method, used, "fin")
            if kind == "rel":
                remember_rel(LA, LB, used)
    if cancelled:
        rows_named = " and ".join("absolute" if k == "abs" else "relative" for k in cancelled)
        with status_slot.container(border=True, horizontal=True, vertical_alignment="center"):
            st.markdown(f":material/pause_circle: {name} of the {rows_named} maps cancelled: the maps show a preview. "
                        f"Press **Recompute** to start {name} again, or pick another layout.")
            st.button("Recompute", key="btn_recompute_maps", on_click=jobs.resume,
                      args=tuple(want[k] for k in cancelled), icon=":material/replay:", width="content")
    if to_run and first_paint and not layout_jobs.pool_enabled():
        # First maps of this session, layouts in this interpreter (STITCHBOARD_LAYOUT_POOL=off): a first compile
        # holds the GIL and starved plotly.js. A pool worker leaves the server free: no wait, the maps come sooner.
        time.sleep(FIRST_PAINT_GRACE_S)
    st.session_state["_maps_shown"] = True
    if before_layouts is not None:
        before_layouts()
    if to_run:
        line = jobs.ProgressLine(status_slot, label=f"Computing {name}", cancel_keys=[want[k] for k in to_run],
                                 key="btn_cancel_maps")
        for i, kind in enumerate(to_run):
            row = "absolute" if kind == "abs" else "relative"
            line.label = (f"Computing the {name} layout of the {row} maps ({i + 1}/{len(to_run)})"
                          + ("; the first UMAP after an install also compiles it (~30-60 s)" if method == "umap" else ""))
            line(0, 1, "starting")
            try:
                LA, LB, used = results.layouts(*want[kind], progress=line, should_stop=jobs.should_stop)
            except CancelledError:
                status_slot.caption(f"{name} stopped: the maps show a preview.")
                return drawn
            except ValueError as exc:
                status_slot.error(text.md(f"Could not compute the {name} layout: {exc}. Showing the preview."))
                return drawn
            draw(kind, LA, LB, method, used, "fin")
            if kind == "rel":
                remember_rel(LA, LB, used)
        status_slot.empty()
    return drawn

