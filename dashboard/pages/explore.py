"""Explore & stitch: pick anchors on the 2x2 maps and watch zero-shot stitching respond."""

import functools
import json

import numpy as np
import streamlit as st

from core.io.export import csv_bytes, layout_table
from core.maps.layout import LAYOUT_METHODS
from dashboard import (anchor_controls, anchor_state, bootstrap, controls, copy_link, explore_maps, inspector, jobs,
                       loaders, map_chart, map_legend, panels, places, readouts, share, text)
from dashboard.explore_maps import METHOD_NAMES
from dashboard.slide_export import explore_slide_downloads

#: The status line under the toolbar keeps one height whatever it says (an error included), so the maps never move;
#: a long caption ends in an ellipsis rather than scrolling out of sight.
#: (The room above the title is every page's: ``bootstrap.PAGE_TOP_CSS``.)
PAGE_CSS = """<style>
div.st-key-sb-status {height: 2rem !important; overflow-y: auto !important; flex: none !important;}
div.st-key-sb-status [data-testid='stAlertContainer'] {padding: 0.3rem 0.75rem !important;}
div.st-key-sb-status [data-testid='stCaptionContainer'] p {white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
""" + map_chart.POINTS_CSS + "</style>"
#: Nearest neighbours listed for an inspected sample, in each of the four spaces.
K_NEIGHBOURS = 8

bootstrap.prepare()
source, coll, enc_a, enc_b = controls.pair_setup()
labelled = controls.is_labelled(coll)
n_total = coll.n_samples

# ---------------------------------------------------------------- sidebar: how the maps are drawn
with st.sidebar:
    st.header("Maps")
    method = st.radio("Layout", LAYOUT_METHODS, key="method", horizontal=True, format_func=METHOD_NAMES.get)
    frame = st.radio(
        "Place B", ("A", "own"), key="frame", disabled=method == "tsne",  # t-SNE always lays B out on its own
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
                                 "'stitched correctly?': the test samples A's head classifies right from B's "
                                 "vectors: the absolute maps with A's absolute head, the relative maps with A's "
                                 "relative head.")
    with st.expander("Encoders"):
        st.dataframe(coll.encoders, hide_index=True)

params = {
    "n_neighbors": int(st.session_state["n_neighbors"]) if method == "umap" else 15,
    "min_dist": float(st.session_state["min_dist"]) if method == "umap" else 0.1,
    "perplexity": float(st.session_state["perplexity"]) if method == "tsne" else 30.0,
}

st.html(PAGE_CSS)
with st.container(horizontal=True, vertical_alignment="center"):
    st.title("Explore & stitch")
    copy_link.show_copy_link()
    if not st.session_state.get("_maps_shown") and map_chart.available():
        map_chart.preload()  # the first maps of a session: plotly.js loads while they are computed
share.show_url_error()
# two lines at 1280 x 800: every line here pushes the maps down (what a click does: the toolbar's Click help)
controls.what_note(
    "Top: each encoder's own vectors; bottom: *relative* vectors, each sample's cosines to the **anchors** ★ "
    "(Moschella et al., ICLR 2023). A and B agree there, so A's head reads B: the readout is its test accuracy."
)


# ---------------------------------------------------------------- the workbench's panels (maps: explore_maps)
def metric_value(v: float) -> str:
    return "n/a" if np.isnan(v) else f"{v:.3f}"


@panels.isolated("Stitching readout")
def show_readout(anchors: tuple) -> None:
    """The anchor count and the four stitching accuracies, in one row (values short enough never to be cut)."""
    if not labelled:
        c = st.columns([0.7, 4.3], vertical_alignment="center")
        c[0].metric("Anchors", len(anchors), help="Train samples whose similarities form the relative vectors.")
        c[1].info(controls.unlabelled_note(coll) + " The maps still compare the absolute and relative geometry.")
        return
    abs_res = loaders.absolute_stitching(source)
    A = abs_res.scores["absolute"]
    n_test = int((coll.split == "test").sum())
    head, *cols = st.columns([0.7, 1, 1, 1, 1])
    head.metric("Anchors", len(anchors), help="Train samples whose similarities form the relative vectors.")
    R = None
    if len(anchors) >= 2:
        rel = readouts.relative_readout(source, enc_a, enc_b, anchors)
        R, rel_names = rel.scores["relative"], rel.encoders
    for col, (h, x, kind) in zip(cols, ((enc_a, enc_b, "relative"), (enc_a, enc_b, "absolute"),
                                       (enc_b, enc_a, "relative"), (enc_b, enc_a, "absolute"))):
        who = ("B → A", "A on A") if h == enc_a else ("A → B", "B on B")
        label = f"{who[0]}'s head · {kind}"
        about = (f"Accuracy on the {n_test:,} test samples of a ridge head trained on the train split of "
                 f"{who[1][-1]}'s {kind} vectors, fed {who[0][0]}'s" + (f" (relative to the {len(anchors)} anchors)"
                                                                        if kind == "relative" else "")
                 + ". All pairs: the Stitching page.")
        if kind == "relative" and R is None:
            col.metric(label, "n/a", "needs ≥ 2 anchors", delta_color="off", delta_arrow="off", help=about)
            continue
        M, names = (R, rel_names) if kind == "relative" else (A, abs_res.encoders)
        i, j = names.index(h), names.index(x)
        v = M[i, j]
        if np.isnan(v):
            col.metric(label, "n/a", f"dims differ ({coll.dim(x)} vs {coll.dim(h)})", delta_color="off",
                       delta_arrow="off", help="Absolute stitching needs equal dims: the other encoder's vectors "
                                               "cannot even be fed to this head.")
        else:
            col.metric(label, metric_value(v), f"{v - M[i, i]:+.3f} vs {who[1]}", delta_color="off", help=about)


def outcomes(anchors: tuple) -> dict:
    """Test id -> what B → A's relative and absolute heads predict for it (✓ / ✗), for the inspector's tables."""
    out: dict = {}
    if not labelled:
        return out
    names = np.asarray(coll.target_names, dtype=object) if coll.target_names else None
    runs = []
    if len(anchors) >= 2:
        runs.append(("relative", loaders.pair_stitching(source, enc_a, enc_b, anchors, "relative")))
    if coll.dim(enc_a) == coll.dim(enc_b):
        runs.append(("absolute", loaders.pair_stitching(source, enc_a, enc_b, (), "absolute")))
    for mode, ps in runs:
        for i, p, t in zip(ps.ids.tolist(), ps.y_pred.tolist(), ps.y_true.tolist()):
            out.setdefault(i, {})[mode] = f"{names[p] if names is not None else p} " + ("✓" if p == t else "✗")
    return out


def show_neighbours(sid, anchors: tuple) -> None:
    """The nearest samples of ``sid`` in the four spaces, laid out like the maps (absolute on top, A on the left)."""
    lists = {}
    for kind, ids in (("abs", None), ("rel", anchors if len(anchors) >= 2 else None)):
        if kind == "rel" and ids is None:
            continue
        for side, enc in (("A", enc_a), ("B", enc_b)):
            lists[(kind, side)] = loaders.neighbours(source, enc, ids, sid, K_NEIGHBOURS)
    shared = {kind: len(set(lists[(kind, "A")][0].tolist()) & set(lists[(kind, "B")][0].tolist()))
              for kind in ("abs", "rel") if (kind, "A") in lists}
    st.markdown(f"**Nearest neighbours of id {text.md(sid)}** :small[(cosine, {K_NEIGHBOURS} each)]")
    st.caption("A and B share " + " and ".join(
        f"**{n} of {K_NEIGHBOURS}** neighbours in {'absolute' if k == 'abs' else 'relative'} space"
        for k, n in shared.items()) + ("" if "rel" in shared else " (relative: pick at least 2 anchors)")
               + ". ● a neighbour in both A's and B's list.")
    for kind in ("abs", "rel"):
        if (kind, "A") not in lists:
            continue
        cols = st.columns(2)
        for col, side in zip(cols, ("A", "B")):
            ids, sims = lists[(kind, side)]
            other = set(lists[(kind, "B" if side == "A" else "A")][0].tolist())
            with col:
                st.markdown(f":small[**{'Absolute' if kind == 'abs' else 'Relative'} {side}** "
                            f"{text.code(enc_a if side == 'A' else enc_b)}]")
                inspector.show_table(coll, ids.tolist(), key=f"nn_{kind}_{side}", split=False,
                                     extra={**inspector.similarity_column(sims),
                                            "both": ["●" if i in other else "" for i in ids.tolist()]})


@panels.isolated("Inspect")
def show_inspector(anchors: tuple) -> None:
    st.subheader("Inspect")
    shown = list(anchor_state.inspected())
    hl = list(anchor_state.highlight())
    if not shown and not hl:
        st.caption("Click a point on a map (or box / lasso several) to see the sample here: "
                   + ("its digit image" if coll.images is not None else "its text or feature values")
                   + ", label, what the stitched heads predict, and its nearest neighbours in all four spaces. "
                     "Search above the maps lists its matches here too.")
        return
    outcome = outcomes(anchors)
    star = set(anchors)

    def extra(ids):
        cols = {"anchor": ["★" if i in star else "" for i in ids]}
        if labelled:
            cols["B → A relative"] = [outcome.get(i, {}).get("relative", "—") for i in ids]
            cols["B → A absolute"] = [outcome.get(i, {}).get("absolute", "—") for i in ids]
        return cols

    tabs = st.tabs([f"Selection ({len(shown)})", f"Highlighted ({len(hl)})"])
    with tabs[0]:
        if not shown:
            st.caption("Nothing selected: click a point on a map, or box / lasso several.")
            focus = hl[0] if hl else None
        else:
            st.caption("Click a row to read that sample and its neighbours below.")
            # keyed by the revision: a new selection starts without a picked row
            row = inspector.show_table(coll, shown, key=f"sel_table_{anchor_state.rev()}", extra=extra(shown),
                                       height=min(38 + 35 * len(shown), 320), selectable=True)
            focus = shown[row if row is not None else 0]
    with tabs[1]:
        if hl:
            inspector.show_table(coll, hl, key="hl_table", extra=extra(hl), height=min(38 + 35 * len(hl), 320))
        else:
            st.caption("Nothing highlighted: search above the maps, or click in *highlight* mode.")
    if focus is None:
        return
    left, right = st.columns([1, 3.2], gap="medium")
    with left:
        st.markdown(f"**Sample {text.md(focus)}**")
        o = outcome.get(focus, {})
        cap = " · ".join(f"B → A's {m} head predicts {v}" for m, v in o.items())
        inspector.show_sample(coll, focus, caption=(cap + (" · ★ anchor" if focus in star else "")).strip(" ·"),
                              image_scale=12)
    with right:
        show_neighbours(focus, anchors)


@panels.isolated("Downloads")
def show_downloads(anchors: tuple, drawn: dict) -> None:
    # Its buttons are made only while it is open: closed, an anchor edit's rerun does not send them again
    box = st.expander("Download: anchors, coordinates, relative vectors, figures", key=share.EXPLORE_DOWNLOADS_OPEN,
                      on_change="rerun")
    if not box.open:
        return
    with box:
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
                share.download("Relative vectors of A (CSV)", lambda: loaders.relative_csv(source, enc_a, anchors),
                               f"relative_{enc_a}.csv", "text/csv", key="dl_rel_a")
                share.download("Relative vectors of B (parquet)", lambda: loaders.relative_parquet(source, enc_b, anchors),
                               f"relative_{enc_b}.parquet", "application/octet-stream", key="dl_rel_b")
        with c[3]:
            for name, (_, fig, _) in drawn.items():
                share.figure_download(fig, f"map_{name}", key=f"dl_fig_{name}", label=f"{name.replace('_', ' ')} (HTML)")
            explore_slide_downloads(drawn, source=source, coll=coll, enc_a=enc_a, enc_b=enc_b, anchors=anchors,
                                    color_by=color_by)


@st.fragment
def workbench() -> None:
    """Readout, toolbar, maps and inspector: a map click reruns only this part of the page.

    Each part is its own panel (:mod:`dashboard.panels`): an error in one is shown there
    and the others still draw.
    """
    with panels.panel("Map selection"):
        anchor_controls.apply_map_selection(coll=coll)
        map_legend.apply_click()
    anchors = anchor_state.ids()
    # A large collection's readout is computed in a server thread and drawn after the maps; until then the last one
    # stays on screen. For an edit it starts once the maps are laid out (beside them it took half the CPU from the
    # layouts); for the session's first maps, minutes at 1M rows, it starts now: it is the first answer the page
    # gives. One computed already (an undo) is drawn before the layouts start.
    later = labelled and readouts.readout_in_background(source, anchors)
    if later and not st.session_state.get("_maps_shown"):
        readouts.start_relative_readout(source, enc_a, enc_b, anchors)
    readout_box = st.container()
    if not later:  # drawn now, in place: the readout on screen is updated, never removed and redrawn
        with readout_box:
            show_readout(anchors)
    else:
        readout_slot = places.reserve(readout_box)
        if not st.session_state.get("_readout_drawn"):
            readout_slot.caption(":material/hourglass_top: Stitching readout: computing while the maps are drawn…")

    def draw_readout(*, wait: bool = True) -> None:
        nonlocal later
        if not later or not (wait or readouts.finished_relative_readout(source, enc_a, enc_b, anchors)):
            return
        if not readouts.wait_relative_readout(source, enc_a, enc_b, anchors, should_stop=jobs.should_stop):
            return  # a newer interaction: its run draws the readout
        later = False  # drawn once
        with readout_slot.container():
            show_readout(anchors)

    st.session_state["_readout_drawn"] = True
    anchor_controls.show_anchor_controls(anchors, source=source, coll=coll, enc_a=enc_a)
    drawn = explore_maps.show_maps(anchors, source=source, coll=coll, enc_a=enc_a, enc_b=enc_b, method=method,
                                   frame=frame, params=params, color_by=color_by,
                                   anchor_look=st.session_state.get("anchor_look") or "show",
                                   before_layouts=functools.partial(draw_readout, wait=False))
    draw_readout()
    show_inspector(anchors)
    show_downloads(anchors, drawn)
    share.sync_url()


workbench()
