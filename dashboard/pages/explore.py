"""Explore & stitch: pick anchors on the 2x2 maps and watch zero-shot stitching respond."""

import json

import numpy as np
import streamlit as st

from core.io.export import csv_bytes, layout_table
from core.maps.layout import LAYOUT_METHODS
from dashboard import anchor_controls, anchor_state, bootstrap, controls, explore_maps, inspector, loaders, panels, share
from dashboard.explore_maps import METHOD_NAMES
from dashboard.slide_export import explore_slide_downloads

bootstrap.prepare()
source, coll, enc_a, enc_b = controls.pair_setup()
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


# ---------------------------------------------------------------- the workbench's panels (maps: explore_maps)
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
            explore_slide_downloads(drawn, source=source, coll=coll, enc_a=enc_a, enc_b=enc_b, anchors=anchors,
                                    color_by=color_by, method=method)


@st.fragment
def workbench() -> None:
    """Anchor controls, readout and maps: a map click reruns only this part of the page.

    Each part is its own panel (:mod:`dashboard.panels`): an error in one is shown there
    and the others still draw.
    """
    with panels.panel("Map selection"):
        anchor_controls.apply_map_selection(coll=coll)
    anchors = anchor_state.ids()
    anchor_controls.show_anchor_controls(anchors, source=source, coll=coll, enc_a=enc_a)
    st.subheader("Stitching readout")
    show_readout(anchors)
    st.subheader("Maps")
    left, right = st.columns([4.2, 1])
    with right:  # first: it stays usable while a layout computes on the left
        show_inspector(anchors)
    with left:
        drawn = explore_maps.show_maps(anchors, source=source, coll=coll, enc_a=enc_a, enc_b=enc_b, method=method,
                                       frame=frame, params=params, color_by=color_by)
    show_downloads(anchors, drawn)
    share.sync_url()


workbench()
