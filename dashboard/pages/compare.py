"""Compare spaces: how alike are A and B, in absolute and in relative coordinates, overall and per sample."""

import pandas as pd
import streamlit as st

from core.methods.neighbours import neighbour_overlap
from dashboard import anchor_state, bootstrap, controls, figures, inspector, loaders, panels, share, text

bootstrap.prepare()
source, coll, enc_a, enc_b = controls.pair_setup()
controls.anchors_badge()
anchors = anchor_state.ids()

st.title("Compare spaces")
share.show_url_error()
controls.what_note(
    "How similar are encoder A's and encoder B's spaces? *Coordinate* metrics (Jaccard, MRR, cosine) compare the "
    "vectors directly: near 0 for absolute spaces of different encoders, high for their relative spaces. "
    "*Geometry* metrics (CKA, mutual kNN, Procrustes, RSA) compare shapes and work across dims. Below, look one "
    "sample up and see its nearest neighbours in A and in B side by side: the overlap is what stitching relies on."
)

METRIC_HELP = {
    "jaccard": "overlap of x's top-k among B with y's top-k among B (needs equal dims)",
    "mrr": "MRR@5 (relreps): 1/rank of y_i when x_i is looked up among B, 0 outside the top 5 (needs equal dims)",
    "cosine": "mean cosine of x_i and y_i (needs equal dims)",
    "linear_cka": "linear CKA: 1 = same up to rotation and isotropic scale",
    "debiased_cka": "CKA with the unbiased HSIC estimator",
    "rbf_cka": "CKA with an RBF kernel, width = latentis's median distance",
    "mutual_knn": "share of each sample's k nearest neighbours found in both spaces",
    "procrustes": "orthogonal Procrustes distance (0 = identical shapes; lower is better)",
    "rsa": "Spearman correlation of the two dissimilarity matrices",
}

if len(anchors) < 2:
    st.warning(f"The relative columns need at least 2 anchors; you have {len(anchors)}. Add some on Explore & stitch.")
    st.stop()


@panels.isolated("Space metrics")
def show_metrics() -> None:
    k = st.slider("k (neighbourhood size of Jaccard and mutual kNN)", 1, min(50, coll.n_samples - 1), 10, key="cmp_k")
    with st.spinner(f"Comparing {coll.n_samples:,} samples of {enc_a} and {enc_b}…"):
        table = loaders.space_metrics(source, enc_a, enc_b, anchors, int(k))
    shown = table.copy()
    shown["what it measures"] = [METRIC_HELP.get(m, "") for m in table.index]
    left, right = st.columns([1.3, 1])
    with left:
        st.dataframe(shown.style.format({"absolute": "{:.3f}", "relative": "{:.3f}"}, na_rep="n/a: dims differ"),
                     width="stretch")
        share.table_download(table, f"metrics_{enc_a}_{enc_b}", key="dl_metrics")
        st.caption(f"All {coll.n_samples:,} samples; relative w.r.t. your {len(anchors)} anchors. "
                   "Procrustes is a distance (lower = more alike); every other metric is higher = more alike.")
    with right:
        mfig = figures.metrics_figure(table, title=f"{enc_a} vs {enc_b}")
        st.plotly_chart(mfig, key="metrics_fig", width="stretch", config={"displaylogo": False})
        share.figure_download(mfig, f"metrics_{enc_a}_{enc_b}", key="dl_metrics_html")


@panels.isolated("Nearest neighbours")
def show_neighbours() -> None:
    ids = coll.ids.tolist()
    inspected = [i for i in anchor_state.inspected() if i in set(ids)]
    if st.session_state.get("knn_query") not in ids:
        st.session_state["knn_query"] = inspected[0] if inspected else ids[0]
    c = st.columns([1.2, 1.2, 1.6])
    query = c[0].selectbox("Sample id", ids, key="knn_query",
                           help="Any sample; the last one you clicked on Explore is preselected.")
    kk = c[1].slider("k neighbours", 1, min(24, coll.n_samples - 1), 8, key="knn_k")
    which = c[2].radio("Vectors", ("absolute", "relative"), key="knn_space", horizontal=True,
                       help="Cosine neighbours among all samples, in each encoder's absolute or relative space.")
    rel_ids = anchors if which == "relative" else None
    na, sa = loaders.neighbours(source, enc_a, rel_ids, query, int(kk))
    nb, sb = loaders.neighbours(source, enc_b, rel_ids, query, int(kk))
    overlap = neighbour_overlap(na.tolist(), nb.tolist())
    q1, q2 = st.columns([1, 3])
    with q1:
        st.markdown("**Query**")
        inspector.show_sample(coll, query, image_scale=10)
    with q2:
        st.metric(f"Overlap of the {kk} neighbours in A and in B ({which})", f"{overlap:.0%}",
                  help="|N_A ∩ N_B| / k: the share of the sample's neighbours both encoders agree on.")
        shared = set(na.tolist()) & set(nb.tolist())
        for side, enc, nn, sims in (("A", enc_a, na, sa), ("B", enc_b, nb, sb)):
            st.markdown(f"**{side}: {text.code(enc)}** · {which} · shared neighbours marked ●")
            inspector.show_grid(coll, nn.tolist(),
                                captions=[f"{s:.2f}" + (" ●" if i in shared else "") for i, s in zip(nn.tolist(), sims)],
                                per_row=8, image_scale=6)
        knn_table = pd.DataFrame({"rank": range(1, len(na) + 1), f"A {enc_a}": na, "A cosine": sa, f"B {enc_b}": nb,
                                  "B cosine": sb})
        share.table_download(knn_table, f"neighbours_{query}_{which}", key="dl_knn")


st.subheader("Space metrics: absolute vs relative")
show_metrics()
st.subheader("Nearest neighbours of one sample")
show_neighbours()

share.sync_url()
