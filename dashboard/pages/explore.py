"""Explore & stitch: pick anchors on the 2x2 maps and watch zero-shot stitching respond."""

import functools
import json
import time

import numpy as np
import pandas as pd
import streamlit as st

from core.methods.anchor_history import parse_ids
from core.methods.anchors import STRATEGIES
from core.errors import CancelledError, StitchboardError
from core.io.export import csv_bytes, layout_table
from core.maps.layout import LAYOUT_METHODS
from dashboard import anchor_state, bootstrap, controls, figures, inspector, jobs, loaders, map_chart, panels, results, share, snapshot, text
from dashboard.selection import selected_ids

#: Seconds the first run of a session waits, after drawing the preview maps, before a long layout starts.
FIRST_PAINT_GRACE_S = 3.0
#: Up to this many points, a t-SNE re-fit (10-30 s) shows the relative maps of the previous anchors redrawn with
#: the new stars meanwhile. Otherwise the maps on screen simply stay (faded) until the new ones replace them: a
#: redraw costs browser time that the new maps then wait for (seconds at 100k points; on digits, a UMAP edit was
#: on screen after 6.2-8.6 s with the redraw and 4.0-5.5 s without, in this headless Chromium).
REDRAW_PREVIOUS_UP_TO = 20_000
METHOD_NAMES = {"umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}
KINDS = ("abs", "rel")
SIDES = ("A", "B")
STAGES = ("pv", "fin")
STRATEGY_HELP = {
    "random": "uniform over the train split",
    "stratified": "class-balanced round robin (needs labels)",
    "kmeans": "the sample nearest each k-means centroid of A's space",
    "fps": "farthest-point sampling in A's space",
    "kdpp": "greedy k-DPP: diverse anchors in A's space (our own extension)",
}

bootstrap.prepare()
source, coll, enc_a, enc_b = controls.pair_setup()
id_type = int if coll.ids.dtype.kind in "iu" else str
is_train = dict(zip(coll.ids.tolist(), (coll.split == "train").tolist()))
labelled = controls.is_labelled(coll)
n_total = coll.n_samples

# ---------------------------------------------------------------- sidebar: how the maps are drawn
with st.sidebar:
    st.header("Maps")
    method = st.radio("Layout", LAYOUT_METHODS, key="method", horizontal=True, format_func=METHOD_NAMES.get)
    frame = st.radio(
        "Place B", ("A", "own"), key="frame",
        format_func=lambda f: {"A": "in A's frame (what A's head sees)", "own": "own layout, aligned to A"}[f],
        help="In A's frame, the layout is fitted on A and B's vectors are placed by the same fitted map: B looks "
             "like A only if B's coordinates mean what A's mean. 'Own layout' fits B separately and rotates it onto "
             "A (orthogonal Procrustes). t-SNE cannot place new points, so it always uses own layouts.",
    )
    with st.expander(f"{METHOD_NAMES[method]} parameters", expanded=method != "pca"):
        if method == "umap":
            top = max(3, min(100, n_total - 1))
            st.session_state["n_neighbors"] = min(int(st.session_state["n_neighbors"]), top)
            st.slider("n_neighbors", 2, top, key="n_neighbors", help="Neighbourhood size: larger shows more global structure.")
            st.slider("min_dist", 0.0, 0.99, step=0.01, key="min_dist", help="How tightly points may pack.")
        elif method == "tsne":
            top = float(max(2, min(50, n_total - 1)))
            st.session_state["perplexity"] = min(float(st.session_state["perplexity"]), top)
            st.slider("perplexity", 2.0, top, step=1.0, key="perplexity",
                      help="Effective number of neighbours. t-SNE re-fits on every anchor edit (10-30 s).")
        else:
            st.caption("PCA has no parameters: the two directions of largest variance of A (milliseconds).")
    choices = controls.color_choices(coll)
    if st.session_state.get("color_by") not in choices:
        st.session_state["color_by"] = choices[0]
    color_by = st.selectbox("Colour by", choices, key="color_by",
                            help="Any column of the sample table; numbers with many values use a colour scale. "
                                 "'stitched correctly?': test samples that A's relative head gets right from B's space.")
    with st.expander("Encoders"):
        st.dataframe(coll.encoders, hide_index=True)

params = {
    "n_neighbors": int(st.session_state["n_neighbors"]) if method == "umap" else 15,
    "min_dist": float(st.session_state["min_dist"]) if method == "umap" else 0.1,
    "perplexity": float(st.session_state["perplexity"]) if method == "tsne" else 30.0,
}

st.title("Explore & stitch")
share.show_url_error()
controls.what_note(
    "Relative representations (Moschella et al., ICLR 2023) describe every sample by its cosine similarity to a "
    "few **anchor** samples (★). Top row: each encoder's own latent vectors (absolute); bottom row: the same "
    "samples as relative vectors. Encoders that disagree in absolute coordinates agree in relative ones, so a "
    "head trained on A's relative space reads B's (zero-shot stitching, the readout). **Click, box- or "
    "lasso-select points on any map** to toggle them as anchors, or switch to *highlight* to find the same "
    "samples in all four maps."
)


def chart_key(kind: str, side: str, stage: str, rev: int) -> str:
    """Key of a map drawn by ``st.plotly_chart`` (only if plotly.js is not shipped for ``map_chart``)."""
    return f"map_{kind}_{side}_{stage}_{rev}"


def map_key(kind: str, side: str, stage: str) -> str:
    """Key of a map drawn by ``map_chart``: the same in every run, so its plot stays mounted."""
    return f"mapchart_{kind}_{side}" + ("" if stage == "fin" else f"_{stage}")


# ---------------------------------------------------------------- anchor edits (callbacks run before the rerun)
def describe_edit(old: tuple, new: tuple) -> str:
    added = [i for i in new if i not in set(old)]
    removed = [i for i in old if i not in set(new)]
    parts = []
    if added:
        parts.append(f"added {len(added)} ({', '.join(map(str, added[:8]))}{' …' if len(added) > 8 else ''})")
    if removed:
        parts.append(f"removed {len(removed)} ({', '.join(map(str, removed[:8]))}{' …' if len(removed) > 8 else ''})")
    return " and ".join(parts) if parts else "no change"


def on_strategy(strategy: str) -> None:
    n, seed = int(st.session_state["n_anchors"]), int(st.session_state["seed"])
    fill = st.session_state.get("fill_mode") == "fill"
    try:
        picks = loaders.anchors(source, n, strategy, seed, enc_a)
    except (ValueError, TypeError, StitchboardError) as exc:
        anchor_state.fail(f"Could not pick {strategy} anchors: {exc}. Your anchors are unchanged.")
        return
    old = anchor_state.history()
    new = old.fill(picks, n_anchors=n) if fill else old.replace(picks)
    st.session_state["strategy"] = strategy
    verb = f"Filled up to {n}" if fill else f"Replaced by {n}"
    anchor_state.commit(new, f"{verb} {strategy} anchors (seed {seed}): {describe_edit(old.ids, new.ids)}.")


def on_typed() -> None:
    text = st.session_state.get("typed_ids", "")
    try:
        wanted = parse_ids(text, id_type)
    except StitchboardError as exc:
        anchor_state.fail(f"{exc}. Your anchors are unchanged.")
        return
    if not wanted:
        anchor_state.fail("Type one or more ids first, e.g. 3, 17, 20-25.")
        return
    bad = [i for i in wanted if i not in is_train]
    test = [i for i in wanted if i in is_train and not is_train[i]]
    if bad or test:
        why = []
        if bad:
            why.append(f"{len(bad)} id(s) are not in this dataset: {bad[:10]}")
        if test:
            why.append(f"{len(test)} are test samples (anchors come from the train split): {test[:10]}")
        anchor_state.fail("; ".join(why) + ". Your anchors are unchanged.")
        return
    old = anchor_state.history()
    new = old.toggle(wanted)
    anchor_state.commit(new, f"Typed ids: {describe_edit(old.ids, new.ids)}.")
    anchor_state.set_inspected(wanted[:12])
    st.session_state["typed_ids"] = ""


def on_undo() -> None:
    old = anchor_state.history()
    new = old.undo()
    anchor_state.commit(new, f"Undo: {describe_edit(old.ids, new.ids)}.")


def on_clear() -> None:
    anchor_state.commit(anchor_state.history().clear(), "Cleared every anchor.")


def on_clear_highlight() -> None:
    anchor_state.set_highlight((), "Highlight cleared.")


def apply_map_selection() -> None:
    """Act once on a new click/box/lasso selection in any map (keys carry the revision)."""
    rev = anchor_state.rev()
    for kind in KINDS:
        for side in SIDES:
            events = [st.session_state.get(chart_key(kind, side, stage, rev)) for stage in STAGES]
            events += [map_chart.selection(map_key(kind, side, stage)) for stage in STAGES]  # triggers: this run only
            for event in events:
                ids = selected_ids(event, id_type=id_type)
                if not ids:
                    continue
                where = f"{'Absolute' if kind == 'abs' else 'Relative'} {side}"
                anchor_state.set_inspected(ids[:12])
                if st.session_state.get("pick_mode") == "highlight":
                    anchor_state.set_highlight(ids, f"Highlighted {len(ids)} sample(s) selected on {where} in every map.")
                    return
                picked = [i for i in ids if is_train.get(i)]
                n_test = len(ids) - len(picked)
                old = anchor_state.history()
                new = old.toggle(picked)
                note = f" {n_test} test sample(s) skipped: anchors come from the train split." if n_test else ""
                if picked:
                    anchor_state.commit(new, f"Selection on {where}: {describe_edit(old.ids, new.ids)}.{note}")
                else:
                    anchor_state.fail(f"Selection on {where}:{note} Nothing changed.")
                anchor_state.bump()  # fresh chart keys: this selection is never applied twice
                return


# ---------------------------------------------------------------- readout
def fmt(v: float) -> str:
    return "n/a: dims differ" if np.isnan(v) else f"{v:.3f}"


@panels.isolated("Stitching readout")
def show_readout(anchors: tuple) -> None:
    if not labelled:
        st.info(controls.unlabelled_note(coll) + " The maps still compare the absolute and relative geometry.")
        return
    abs_res = loaders.absolute_stitching(source)
    ia, ib = abs_res.encoders.index(enc_a), abs_res.encoders.index(enc_b)
    A = abs_res.scores["absolute"]
    cols = st.columns(4)
    if len(anchors) >= 2:
        rel = loaders.pair_relative_stitching(source, enc_a, enc_b, anchors)
        R = rel.scores["relative"]
        ja, jb = rel.encoders.index(enc_a), rel.encoders.index(enc_b)
        cols[0].metric("B → A's head · relative", fmt(R[ja, jb]), f"{R[ja, jb] - R[ja, ja]:+.3f} vs A on A", delta_color="off")
        cols[2].metric("A → B's head · relative", fmt(R[jb, ja]), f"{R[jb, ja] - R[jb, jb]:+.3f} vs B on B", delta_color="off")
    else:
        cols[0].metric("B → A's head · relative", "needs ≥ 2 anchors")
        cols[2].metric("A → B's head · relative", "needs ≥ 2 anchors")
    cols[1].metric("B → A's head · absolute", fmt(A[ia, ib]),
                   None if np.isnan(A[ia, ib]) else f"{A[ia, ib] - A[ia, ia]:+.3f} vs A on A", delta_color="off")
    cols[3].metric("A → B's head · absolute", fmt(A[ib, ia]),
                   None if np.isnan(A[ib, ia]) else f"{A[ib, ia] - A[ib, ib]:+.3f} vs B on B", delta_color="off")
    st.caption(
        f"Test accuracy on the {int((coll.split == 'test').sum()):,} test samples, relative to the {len(anchors)} anchors. "
        f"Heads: row-standardised ridge classifiers trained on the train split of A (or B), absolute or relative. "
        f"Absolute stitching is near chance: B's coordinates mean nothing to A's head. All pairs and drill-downs: "
        f"the Stitching page."
    )


# ---------------------------------------------------------------- maps
def coloring_for(anchors: tuple) -> figures.Coloring:
    df = coll.samples
    if color_by == controls.COLOR_STITCHED and len(anchors) >= 2:
        ps = loaders.pair_stitching(source, enc_a, enc_b, anchors, "relative")
        ok = dict(zip(ps.ids.tolist(), ps.correct.tolist()))
        vals = np.array(["train (not scored)" if i not in ok else ("correct" if ok[i] else "wrong")
                         for i in coll.ids.tolist()], dtype=object)
        return figures.Coloring(f"B → A's relative head ({len(anchors)} anchors)", vals,
                                categories=tuple(figures.OUTCOME_COLORS), colors=figures.OUTCOME_COLORS)
    col = color_by if color_by in df.columns else ("label" if "label" in df.columns else "split")
    values = df[col].to_numpy()
    if pd.api.types.is_numeric_dtype(df[col]) and df[col].nunique() > 12:
        return figures.Coloring(col, values.astype(float), continuous=True)
    if col == "label" and coll.target_names:
        cats = tuple(str(t) for t in coll.target_names)
    else:
        cats = tuple(sorted(map(str, pd.unique(values))))
    return figures.Coloring(col, values.astype(str), categories=cats)


def map_title(kind: str, side: str, method_used: str, frame_used: str, note: str) -> str:
    enc = enc_a if side == "A" else enc_b
    m = METHOD_NAMES[method_used]
    if side == "A" and kind == "rel":
        where = f"{m} of A, " + ("started from" if method_used in ("umap", "tsne") else "turned like") + " A's absolute map"
    elif side == "A":
        where = f"{m} fitted on A"
    elif frame_used == "A":
        where = f"placed in A's {m} frame"
    else:
        where = f"own {m} layout, Procrustes-aligned to A"
    return f"**{'Absolute' if kind == 'abs' else 'Relative'} {side}: {text.code(enc)}**  \n:small[{where} {note}]"


@panels.isolated("Maps", default={})
def show_maps(anchors: tuple) -> dict:
    """Draw the 2x2 maps; returns the coordinates drawn, by map name.

    A UMAP / t-SNE layout not computed yet is previewed (PCA, or the relative maps of the
    previous anchors) while it runs under a progress line with a Cancel button. Any other
    interaction stops it too (``jobs.should_stop``) and the next run starts over with the
    new choice; a cancelled job stays cancelled (preview + Recompute) until asked again.
    """
    rev = anchor_state.rev()
    highlight = anchor_state.highlight()
    coloring = coloring_for(anchors)
    # first maps of the session: each also goes out as an image, shown until plotly.js has loaded and drawn the chart
    first_paint = not st.session_state.get("_maps_shown")  # bootstrap.prepare sends snapshot.HIDE_CSS
    hover = loaders.hover_text(source)
    n_train = int((coll.split == "train").sum())
    st.caption(
        f"Every one of the {n_total:,} {coll.name} samples is drawn in each map ({n_train:,} train + {n_total - n_train:,} "
        f"test); nothing is sampled. Colour: {coloring.name}. ★ the {len(anchors)} anchors"
        + (f"; ◯ the {len(highlight)} highlighted samples" if highlight else "") + "."
        + (f" With more than {figures.HOVERTEXT_UP_TO:,} points a hover label shows the sample's id and colour; "
           "click or select points to read them in full under Inspect." if n_total > figures.HOVERTEXT_UP_TO else "")
    )
    status_slot = st.empty()
    rows = {kind: st.columns(2) for kind in KINDS}
    slots: dict = {}

    def slot(kind, side, stage):
        """Where a map goes, used when it is drawn: until then the map of the previous run stays on screen
        (Streamlit keeps an element until the run writes to its place or ends).

        A preview gets a placeholder (st.empty) that the final map replaces later in the run. A final map
        otherwise goes straight into its column: a placeholder sent first replaced the map on screen for a
        moment, and the browser then mounted and drew the chart anew (0.15-0.25 s per map, on most digits edits).
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
    # the relative ones in place (digits: final maps on screen 0.9-1.2 s after the click, bench_dashboard_edit.py;
    # with st.plotly_chart, which remounts a chart whose figure changed, 2.1-2.9 s)
    mounted = map_chart.available()

    def draw(kind, coords_a, coords_b, method_used, frame_used, stage, note=""):
        for side, coords in (("A", coords_a), ("B", coords_b)):
            # a final map keeps its container and key across runs (map_chart), so an anchor edit updates
            # it in place instead of remounting it; a preview drawn in the same run needs keys of its own
            final = mounted and stage == "fin"
            box = slot(kind, side, stage).container(key=f"mapbox-{kind}-{side}" + ("" if final else f"-{stage}"))
            box.markdown(map_title(kind, side, method_used, frame_used, note))
            if first_paint:
                png = snapshot.map_png(coords, ids=coll.ids, coloring=coloring, anchor_ids=anchors, highlight_ids=highlight)
                box.html(snapshot.snapshot_html(png, coloring=coloring, n_anchors=len(anchors),
                                                note="loading the interactive map…"))
            else:  # keeps the chart in its place: a chart that moves is remounted (redrawn, zoom lost)
                box.empty()
            args = dict(ids=coll.ids, coloring=coloring, hover=hover, anchor_ids=anchors, highlight_ids=highlight,
                        note=f"{n_total:,} points")
            fig = functools.partial(figures.map_figure, coords, **args)  # the figure, made for a download only
            if mounted:
                with box:
                    map_chart.show_map(coords, key=map_key(kind, side, stage), **args)
            else:
                box.plotly_chart(fig(), key=chart_key(kind, side, stage, rev), on_select="rerun",
                                 selection_mode=("points", "box", "lasso"), width="stretch",
                                 config={"displaylogo": False})
            drawn[f"{'absolute' if kind == 'abs' else 'relative'}_{side}"] = (coords, fig)

    dims_differ = coll.dim(enc_a) != coll.dim(enc_b)
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

    def frame_note(kind):
        if kind == "abs" and frame == "A" and dims_differ:
            return f"(dims differ: {coll.dim(enc_a)} vs {coll.dim(enc_b)}, so B cannot be placed in A's frame)"
        return ""

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
                draw(kind, LA, LB, "pca", used, "pv",
                     f"· *PCA preview; {name} cancelled*" if kind in cancelled else f"· *preview while {name} computes*")
        else:
            LA, LB, used = results.layouts(*want[kind], should_stop=jobs.should_stop)
            draw(kind, LA, LB, method, used, "fin", frame_note(kind))
            if kind == "rel":
                remember_rel(LA, LB, used)
    if cancelled:
        rows_named = " and ".join("absolute" if k == "abs" else "relative" for k in cancelled)
        with status_slot.container():
            c = st.columns([4, 1], vertical_alignment="center")
            c[0].info(f"{name} of the {rows_named} maps cancelled: the maps show a preview. Press **Recompute** to "
                      f"start {name} again, or pick another layout.", icon=":material/pause_circle:")
            c[1].button("Recompute", key="btn_recompute_maps", on_click=jobs.resume,
                        args=tuple(want[k] for k in cancelled), icon=":material/replay:", width="stretch")
    if to_run and first_paint:
        # First maps of this session: give the browser time to fetch plotly.js (4.7 MB) and draw the previews before
        # the layout holds the interpreter: numba's first compile starves the web server (in a fresh venv, 1 s of grace
        # gave a first paint of 18 s, 3 s gave 7-9 s).
        time.sleep(FIRST_PAINT_GRACE_S)
    st.session_state["_maps_shown"] = True
    if to_run:
        line = jobs.ProgressLine(status_slot, label=f"Computing {name}", cancel_keys=[want[k] for k in to_run],
                                 key="btn_cancel_maps")
        for i, kind in enumerate(to_run):
            row = "absolute" if kind == "abs" else "relative"
            line.label = (f"Computing the {name} layout of the {row} maps ({i + 1}/{len(to_run)})"
                          + ("; the first UMAP in a fresh server also compiles it (~20-60 s)" if method == "umap" else ""))
            line(0, 1, "starting")
            try:
                LA, LB, used = results.layouts(*want[kind], progress=line, should_stop=jobs.should_stop)
            except CancelledError:
                status_slot.caption(f"{name} stopped: the maps show a preview.")
                return drawn
            except ValueError as exc:
                status_slot.error(text.md(f"Could not compute the {name} layout: {exc}. Showing the preview."))
                return drawn
            draw(kind, LA, LB, method, used, "fin", frame_note(kind))
            if kind == "rel":
                remember_rel(LA, LB, used)
        status_slot.empty()
    return drawn


@panels.isolated("Inspect")
def show_inspector(anchors: tuple) -> None:
    st.markdown("**Inspect**")
    shown = anchor_state.inspected()
    outcome = {}
    if shown and labelled and len(anchors) >= 2:  # per-sample predictions: only for samples on show
        ps = loaders.pair_stitching(source, enc_a, enc_b, anchors, "relative")
        names = np.asarray(coll.target_names, dtype=object) if coll.target_names else None
        for i, p, t in zip(ps.ids.tolist(), ps.y_pred.tolist(), ps.y_true.tolist()):
            pn = names[p] if names is not None else p
            outcome[i] = f"B → A predicts {pn} " + ("✓" if p == t else "✗")
    if not shown:
        st.caption("Click a point (or select several) to see the samples here: "
                   + ("the digit image" if coll.images is not None else "its text or feature values") + ", label and split.")
    for sid in shown[:4]:
        star = " ★ anchor" if sid in set(anchors) else ""
        inspector.show_sample(coll, sid, caption=(outcome.get(sid, "") + star).strip(), image_scale=12)
    if len(shown) > 4:
        st.caption(f"… and {len(shown) - 4} more selected.")


@panels.isolated("Downloads")
def show_downloads(anchors: tuple, drawn: dict) -> None:
    with st.expander("Download: anchors, coordinates, relative vectors, figures"):
        c = st.columns(4)
        with c[0]:
            share.download("Anchors (JSON)", lambda: json.dumps({"dataset": source, "anchors": list(anchors)}, indent=1),
                           f"anchors_{coll.name}.json", "application/json", key="dl_anchors")
        with c[1]:
            maps = {k: v[0] for k, v in drawn.items()}
            share.download("Map coordinates (CSV)", lambda: csv_bytes(layout_table(coll, maps)),
                           f"layout_{coll.name}_{method}.csv", "text/csv", key="dl_layout")
        with c[2]:
            if len(anchors) >= 1:
                share.download(f"Relative vectors of A (CSV)", lambda: loaders.relative_csv(source, enc_a, anchors),
                               f"relative_{enc_a}.csv", "text/csv", key="dl_rel_a")
                share.download(f"Relative vectors of B (parquet)", lambda: loaders.relative_parquet(source, enc_b, anchors),
                               f"relative_{enc_b}.parquet", "application/octet-stream", key="dl_rel_b")
        with c[3]:
            for name, (_, fig) in drawn.items():
                share.figure_download(fig, f"map_{name}", key=f"dl_fig_{name}", label=f"{name.replace('_', ' ')} (HTML)")


@panels.isolated("Anchor controls")
def show_anchor_controls(anchors: tuple) -> None:
    hist = anchor_state.history()
    with st.container(border=True):
        c = st.columns([1.0, 2.2, 0.8, 0.8, 2.6])
        c[0].metric("Anchors", len(anchors), help="Train samples whose similarities form the relative vectors.")
        c[1].radio("A map selection…", ("anchors", "highlight"), key="pick_mode", horizontal=True,
                   format_func={"anchors": "toggles anchors", "highlight": "highlights samples"}.get,
                   help="Toggle: click a point, or box/lasso several (modebar tools). A group with any non-anchor "
                        "is added; a group of anchors only is removed. Highlight: ring the selected samples in all maps.")
        c[2].button("Undo", on_click=on_undo, disabled=not hist.can_undo, key="btn_undo", icon=":material/undo:",
                    help=f"{hist.n_undo} step(s) to undo")
        c[3].button("Clear", on_click=on_clear, disabled=not anchors, key="btn_clear", icon=":material/delete:")
        with c[4]:
            t1, t2 = st.columns([3, 1.3], vertical_alignment="bottom")
            t1.text_input("Toggle ids", key="typed_ids", placeholder="e.g. 3, 17, 20-25")
            t2.button("Toggle", on_click=on_typed, key="btn_typed")
        s = st.columns([0.9, 0.9, 1.5] + [1.0] * len(STRATEGIES), vertical_alignment="bottom")
        st.session_state["n_anchors"] = max(1, min(int(st.session_state["n_anchors"]), anchor_state.n_train(coll)))
        s[0].number_input("n", min_value=1, max_value=anchor_state.n_train(coll), step=10, key="n_anchors",
                          help="How many anchors a strategy button picks.")
        s[1].number_input("seed", min_value=0, max_value=2**31 - 1, step=1, key="seed")
        s[2].radio("Strategy buttons", ("replace", "fill"), key="fill_mode", horizontal=True,
                   format_func={"replace": "replace", "fill": "fill up to n"}.get,
                   help="replace: the set becomes the strategy's n picks. fill: keep your anchors and add the "
                        "strategy's picks until there are n.")
        for col, strategy in zip(s[3:], STRATEGIES):
            col.button(strategy, on_click=on_strategy, args=(strategy,), key=f"btn_{strategy}",
                       help=STRATEGY_HELP.get(strategy), width="stretch")
        err = st.session_state.get(anchor_state.ERROR)
        if err:
            st.error(text.md(err))
        else:
            msg = st.session_state.get(anchor_state.MESSAGE, "")
            hl = anchor_state.highlight()
            line = msg + (f" · {len(hl)} highlighted" if hl else "")
            if line:
                st.caption(text.md(line))
        if anchor_state.highlight():
            st.button("Clear highlight", on_click=on_clear_highlight, key="btn_clear_hl")


@st.fragment
def workbench() -> None:
    """Anchor controls, readout and maps: a map click reruns only this part of the page.

    Each part is its own panel (:mod:`dashboard.panels`): an error in one is shown there
    and the others still draw.
    """
    with panels.panel("Map selection"):
        apply_map_selection()
    anchors = anchor_state.ids()
    show_anchor_controls(anchors)
    st.subheader("Stitching readout")
    show_readout(anchors)
    st.subheader("Maps")
    left, right = st.columns([4.2, 1])
    with right:  # first: it stays usable while a layout computes on the left
        show_inspector(anchors)
    with left:
        drawn = show_maps(anchors)
    show_downloads(anchors, drawn)
    share.sync_url()


workbench()
