"""Explore & stitch: the 2x2 absolute/relative x A/B maps and the live stitching readout."""

import numpy as np
import pandas as pd
import streamlit as st

from core.anchors import STRATEGIES
from dashboard import figures, loaders, state

st.title("Stitchboard")
st.caption(
    "Relative representations (Moschella et al., ICLR 2023): describe every sample by its cosine similarity "
    "to a fixed set of **anchor** samples. Encoders that disagree in absolute coordinates then agree, and a "
    "classifier head trained on one encoder works on another with no training (zero-shot stitching)."
)

# ---------------------------------------------------------------- controls
with st.sidebar:
    st.header("Setup")
    dataset = state.source_selector()
    coll = loaders.collection(dataset)
    names = coll.names
    enc_a = st.selectbox("Encoder A", names, index=0, key="enc_a")
    enc_b = st.selectbox("Encoder B", names, index=min(1, len(names) - 1), key="enc_b")
    n_train = int((coll.split == "train").sum())
    n_anchors = st.slider("Number of anchors", 2, min(500, n_train), 100, key="n_anchors")
    strategy = st.selectbox(
        "Anchor strategy", STRATEGIES, key="strategy",
        help="random: uniform over the train split. stratified: class-balanced round robin. kmeans: the sample "
             "nearest each k-means centroid. fps: farthest-point sampling. kdpp: greedy k-DPP, diverse anchors "
             "(our own extension).",
    )
    seed = st.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="seed")
    st.header("Maps")
    method = st.radio("Layout", ("umap", "pca"), horizontal=True, key="method",
                      format_func=lambda m: {"umap": "UMAP", "pca": "PCA"}[m])
    frame = st.radio(
        "Place B", ("A", "own"), key="frame",
        format_func=lambda f: {"A": "in A's frame (what A's head sees)", "own": "own layout, aligned to A"}[f],
        help="In A's frame, the layout is fitted on A and B's vectors are placed by the same fitted map: "
             "B looks like A only if B's coordinates mean what A's mean. 'Own layout' fits B separately "
             "and rotates it onto A (orthogonal Procrustes).",
    )
    with st.expander("UMAP parameters"):
        n_neighbors = st.slider("n_neighbors", 5, 100, 15, key="n_neighbors")
        min_dist = st.slider("min_dist", 0.0, 0.99, 0.3, step=0.01, key="min_dist")
    with st.expander("Encoders"):
        st.dataframe(coll.encoders, hide_index=True)

try:
    anchor_ids = loaders.anchors(dataset, int(n_anchors), strategy, int(seed))
except ValueError as exc:
    st.error(f"Could not pick anchors: {exc}")
    st.stop()

# ---------------------------------------------------------------- readout
st.subheader("Stitching readout")
readout = st.container()

# ---------------------------------------------------------------- maps
st.subheader("Maps")
n_total = coll.n_samples
n_train_total = int((coll.split == "train").sum())
st.caption(
    f"Every one of the {n_total:,} {coll.name} samples is drawn in each map ({n_train_total:,} train + "
    f"{n_total - n_train_total:,} test); nothing is sampled. Colour: true label. ★: the {len(anchor_ids)} anchors "
    "(train samples, the same ids in every space). Top row: absolute latent vectors. Bottom row: relative "
    "vectors (cosine to each anchor)."
)
status_slot = st.empty()
row_abs = st.columns(2)
row_rel = st.columns(2)
slots = {
    ("abs", "A"): row_abs[0].container(), ("abs", "B"): row_abs[1].container(),
    ("rel", "A"): row_rel[0].container(), ("rel", "B"): row_rel[1].container(),
}
slot_fill = {k: v.empty() for k, v in slots.items()}

dims_a = coll.dim(enc_a)
dims_b = coll.dim(enc_b)


def draw(kind: str, coords_a, coords_b, frame_used: str, method_used: str, note: str = "") -> None:
    space_word = "absolute" if kind == "abs" else "relative"
    for side, enc, coords in (("A", enc_a, coords_a), ("B", enc_b, coords_b)):
        box = slot_fill[(kind, side)].container()
        if side == "A" and kind == "rel":
            where = f"{method_used.upper()} fitted on A" + (", started from" if method_used == "umap" else ", oriented like") + " A's absolute map"
        elif side == "A":
            where = f"{method_used.upper()} fitted on A"
        elif frame_used == "A":
            where = f"placed in A's {method_used.upper()} frame"
        else:
            where = f"own {method_used.upper()} layout, Procrustes-aligned to A"
        box.markdown(f"**{space_word.capitalize()} {side}: `{enc}`** · {where} {note}")
        box.plotly_chart(
            figures.map_figure(
                coords, ids=coll.ids, labels=coll.labels, target_names=coll.target_names,
                split=coll.split, anchor_ids=anchor_ids,
            ),
            key=f"map_{kind}_{side}_{method_used}", width="stretch", config={"displaylogo": False},
        )


def frame_note(kind: str) -> str:
    if kind == "abs" and frame == "A" and dims_a != dims_b:
        return f"(dims differ: {dims_a} vs {dims_b}, so B cannot be placed in A's frame)"
    return ""


keys = {
    "abs": (dataset, enc_a, enc_b, None),
    "rel": (dataset, enc_a, enc_b, anchor_ids),
}
done_layouts = loaders.computed_layouts()
want = {k: (*keys[k], method, frame, int(n_neighbors), float(min_dist)) for k in keys}
pending = [k for k in ("abs", "rel") if method == "umap" and want[k] not in done_layouts]

# 1) rows whose layout is cached are drawn at once; the others get an instant PCA preview
for kind in ("abs", "rel"):
    if kind in pending:
        LA, LB, used = loaders.layouts(*keys[kind], "pca", frame, 15, 0.1)
        draw(kind, LA, LB, used, "pca", "· *preview while UMAP computes*")
    else:
        LA, LB, used = loaders.layouts(*want[kind])
        done_layouts.add(want[kind])
        draw(kind, LA, LB, used, method, frame_note(kind))

# 2) stitching readout (cached per anchor set)
labelled = coll.labels is not None and len(np.unique(coll.labels)) > 1
if not labelled:
    readout.info(
        "Classification stitching is unavailable: " + ("these spaces have no labels. " if coll.labels is None else
        "every sample has the same label. ") + "Upload a label column (CSV/parquet) or a `labels` array (npz) to "
        "see it. The maps below still compare the absolute and relative geometry."
    )


def show_readout():
    with st.spinner("Training heads for every encoder pair…"):
        abs_res = loaders.absolute_stitching(dataset)
        rel_res = loaders.relative_stitching(dataset, anchor_ids)
    ia, ib = abs_res.encoders.index(enc_a), abs_res.encoders.index(enc_b)

    def fmt(v):
        return "n/a: dims differ" if np.isnan(v) else f"{v:.3f}"

    A, R = abs_res.scores["absolute"], rel_res.scores["relative"]
    cols = st.columns(4)
    cols[0].metric("B → A's head · relative", fmt(R[ia, ib]), f"{R[ia, ib] - R[ia, ia]:+.3f} vs A on A", delta_color="off")
    cols[1].metric("B → A's head · absolute", fmt(A[ia, ib]),
                   None if np.isnan(A[ia, ib]) else f"{A[ia, ib] - A[ia, ia]:+.3f} vs A on A", delta_color="off")
    cols[2].metric("A → B's head · relative", fmt(R[ib, ia]), f"{R[ib, ia] - R[ib, ib]:+.3f} vs B on B", delta_color="off")
    cols[3].metric("A → B's head · absolute", fmt(A[ib, ia]),
                   None if np.isnan(A[ib, ia]) else f"{A[ib, ia] - A[ib, ib]:+.3f} vs B on B", delta_color="off")
    table = pd.DataFrame(
        {
            "absolute": [fmt(A[ia, ia]), fmt(A[ia, ib]), fmt(A[ib, ib]), fmt(A[ib, ia])],
            "relative": [fmt(R[ia, ia]), fmt(R[ia, ib]), fmt(R[ib, ib]), fmt(R[ib, ia])],
        },
        index=[
            f"A's head on A's test space (no stitching): {enc_a}",
            f"A's head on B's test space (stitched): {enc_a} ← {enc_b}",
            f"B's head on B's test space (no stitching): {enc_b}",
            f"B's head on A's test space (stitched): {enc_b} ← {enc_a}",
        ],
    )
    st.dataframe(table, width="stretch")
    st.caption(
        f"Test accuracy ({int((coll.split == 'test').sum())} test samples). Heads: row-standardised ridge "
        f"classifiers trained on each encoder's train split, absolute or relative to the {len(anchor_ids)} anchors. "
        f"All-pairs means: non-stitched {rel_res.non_stitched_mean('relative'):.3f} (relative), "
        f"stitched absolute {abs_res.stitched_mean('absolute'):.3f}, stitched relative {rel_res.stitched_mean('relative'):.3f}."
    )
    return abs_res, rel_res, ia, ib, A, R


if labelled:
    with readout:
        abs_res, rel_res, ia, ib, A, R = show_readout()

# 3) the UMAP layouts not cached yet
if pending:
    with status_slot.status("Computing UMAP layouts…", expanded=False) as status:
        for i, kind in enumerate(pending):
            row = "absolute" if kind == "abs" else "relative"
            status.update(label=f"Computing the UMAP layout of the {row} row ({i + 1}/{len(pending)}); "
                                "the first one in a fresh server also compiles UMAP (~20 s)…")
            LA, LB, used = loaders.layouts(*want[kind])
            done_layouts.add(want[kind])
            draw(kind, LA, LB, used, method, frame_note(kind))
        status.update(label="UMAP layouts ready", state="complete")
    status_slot.empty()

# ---------------------------------------------------------------- all pairs
if labelled:
    st.subheader("All encoder pairs")
    st.caption(
        "Cell (i, j): accuracy of the head trained on encoder i (row) when fed encoder j's test space (column). "
        "The diagonal is non-stitched. Red boxes: the A/B pair above. n/a: absolute stitching does not type-check "
        "when latent dims differ."
    )
    hl = [(ia, ib), (ib, ia)]
    h1, h2, h3 = st.columns(3)
    h1.plotly_chart(figures.heatmap_figure(A, encoders=abs_res.encoders, title="Absolute stitching", highlight=hl),
                    key="heat_abs", width="stretch")
    h2.plotly_chart(figures.heatmap_figure(R, encoders=rel_res.encoders, title=f"Relative stitching ({len(anchor_ids)} anchors)", highlight=hl),
                    key="heat_rel", width="stretch")
    with h3:
        with st.spinner("Fitting translations…"):
            T = loaders.translated_stitching(dataset, anchor_ids).scores["translated"]
        st.plotly_chart(
            figures.heatmap_figure(T, encoders=rel_res.encoders, title=f"Translated (Procrustes on {len(anchor_ids)} anchors)", highlight=hl),
            key="heat_tr", width="stretch",
        )
    st.caption(
        "Translated: encoder j's test vectors mapped into encoder i's space by an orthogonal map fitted on the anchors "
        "(Maiorca et al., 2023; zero-padded when dims differ), then fed to i's ORIGINAL absolute head."
    )
