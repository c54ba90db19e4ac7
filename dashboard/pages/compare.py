"""Compare spaces: how alike are A and B, in absolute and in relative coordinates, overall and per sample."""

import numpy as np
import pandas as pd
import streamlit as st

from core.spaces.describe import metadata_columns
from dashboard import agreement_view, anchor_state, bootstrap, controls, figures, inspector, loaders, panels, share, text
from dashboard.agreement_view import MAP_K

bootstrap.prepare()
source, coll, enc_a, enc_b = controls.pair_setup()
controls.anchors_badge()
anchors = anchor_state.ids()
n = coll.n_samples
dim_a, dim_b = coll.dim(enc_a), coll.dim(enc_b)

st.title("Compare spaces")
share.show_url_error()
controls.what_note(
    "How similar are encoder A's and encoder B's spaces, and where do they differ? *Coordinate* metrics (Jaccard, "
    "MRR, cosine) compare the vectors directly: near 0 for the absolute spaces of two encoders, high for their "
    "relative spaces. *Geometry* metrics (CKA, mutual kNN, Procrustes, RSA) compare shapes and work across dims. "
    "Below, look one sample's vector of A up among B's vectors, as the paper does, then see which samples the two "
    "encoders agree on least."
)

#: metric -> (table name, what it measures)
METRICS = {
    "jaccard": ("Jaccard@k", "x_i's top-k among B vs y_i's own top-k in B (needs equal dims)"),
    "mrr": ("MRR@5", "1/rank of y_i when x_i is looked up among B, 0 outside the top 5 (needs equal dims)"),
    "cosine": ("Mean cosine", "mean cosine of x_i and y_i (needs equal dims)"),
    "linear_cka": ("Linear CKA", "1 = same up to rotation and isotropic scale"),
    "debiased_cka": ("Debiased CKA", "CKA with the unbiased HSIC estimator"),
    "rbf_cka": ("RBF CKA", "CKA with an RBF kernel, width = latentis's median distance"),
    "mutual_knn": ("Mutual kNN@k", "share of each sample's k nearest neighbours found in both spaces"),
    "procrustes": ("Procrustes distance", "orthogonal Procrustes distance (0 = identical shapes; lower is better)"),
    "rsa": ("RSA", "Spearman correlation of the two dissimilarity matrices"),
}

if len(anchors) < 2:
    st.warning(f"The relative columns need at least 2 anchors; you have {len(anchors)}. Add some on Explore & stitch.")
    st.stop()


@st.fragment
@panels.isolated("Space metrics")
def show_metrics() -> None:
    k = st.slider("k (neighbourhood size of Jaccard and mutual kNN)", 1, min(loaders.K_MAX, n - 1), 10, key="cmp_k")
    with st.spinner(f"Comparing {n:,} samples of {enc_a} and {enc_b}…"):
        table = loaders.space_metrics(source, enc_a, enc_b, anchors, int(k))
    named = table.rename(index={m: METRICS[m][0] for m in table.index})
    shown = pd.DataFrame({"Absolute": named["absolute"], "Relative": named["relative"]}, index=named.index)
    left, right = st.columns([1, 1.3])
    with left:
        st.dataframe(shown.style.format("{:.3f}", na_rep="n/a"), width="stretch", placeholder="n/a")
        st.caption(f"All {n:,} samples; relative w.r.t. your {len(anchors)} anchors. Procrustes is a distance (lower = "
                   "more alike); every other metric is higher = more alike."
                   + (f" n/a: A has {dim_a} dims and B {dim_b}, so their absolute coordinates cannot be compared "
                      "directly." if dim_a != dim_b else "")
                   + (f" MRR, debiased and RBF CKA and RSA compare all n² pairs of samples: n/a above "
                      f"{loaders.PAIRWISE_UP_TO:,} samples. Neighbours are looked up in an inverted-file index "
                      "(most true neighbours, not all)." if n > loaders.PAIRWISE_UP_TO else ""))
        with st.expander("What each metric measures"):
            st.markdown("\n".join(f"- **{name}**: {text.md(what)}" for name, what in METRICS.values()))
        share.table_download(table, f"metrics_{enc_a}_{enc_b}", key="dl_metrics")
    with right:
        mfig = figures.metrics_figure(named, title=f"{enc_a} vs {enc_b}")
        st.plotly_chart(mfig, key="metrics_fig", width="stretch", config=figures.PLOTLY_CONFIG)
        share.figure_download(mfig, f"metrics_{enc_a}_{enc_b}", key="dl_metrics_html")


def samples_table(ids: list, values: dict, *, per_row: int, image_scale: int) -> None:
    """Samples in rank order with some values each: digit images captioned with them, or a table of the
    values and the samples' text / feature values."""
    (first, numbers), *more = values.items()
    if coll.images is not None:
        captions = [" ".join([f"{v:.3f}"] + [str(m[i]) for _, m in more]).strip() for i, v in enumerate(numbers)]
        inspector.show_grid(coll, ids, captions=captions, per_row=per_row, image_scale=image_scale)
        return
    rows = coll.samples.iloc[coll.spaces[enc_a].positions(ids)]
    table = pd.DataFrame({"Rank": np.arange(1, len(ids) + 1), "Id": [str(i) for i in ids]})
    if "label" in rows.columns:
        table["Label"] = rows["label"].astype(str).to_numpy()
    for name, column in values.items():
        table[name or "Mark"] = column
    for c in metadata_columns(coll)[:12]:
        table[c] = rows[c].to_numpy()
    st.dataframe(table, hide_index=True, width="stretch", placeholder="n/a",
                 column_config={first: st.column_config.NumberColumn(format="%.3f")})


def _marks(found, query, own) -> list[str]:
    return ["= query ✓" if i == query else ("●" if i in own else "") for i in found]


@st.fragment
@panels.isolated("Cross-space lookup")
def show_lookup() -> None:
    ids = coll.ids.tolist()
    inspected = [i for i in anchor_state.inspected() if i in set(ids)]
    if st.session_state.get("knn_query") not in ids:
        st.session_state["knn_query"] = inspected[0] if inspected else ids[0]
    c = st.columns([1.2, 1.2, 2.6], vertical_alignment="bottom")
    query = c[0].selectbox("Sample id", ids, key="knn_query",
                           help="Any sample; the last one you clicked on Explore is preselected.")
    kk = int(c[1].slider("k", 1, min(24, n - 1), 8, key="knn_k", help="Samples of B listed."))
    c[2].caption(f"Sample {text.md(query)}'s vector in A is compared by cosine with **all {n:,} vectors of B**. "
                 "If A and B mean the same by each coordinate, the nearest is the same sample's vector in B. "
                 "✓ the query itself; ● one of its nearest neighbours within B.")
    with st.spinner(f"Finding the nearest neighbours of {n:,} samples in A and in B…"):
        agree = loaders.agreement(source, enc_a, enc_b, anchors, MAP_K)
    q_col, *cols = st.columns([0.9, 2, 2])
    with q_col:
        st.markdown("**Query**")
        inspector.show_sample(coll, query, image_scale=10)
    for col, kind, rel in ((cols[0], "absolute", None), (cols[1], "relative", anchors)):
        with col:
            st.markdown(f"**{kind.capitalize()}**" + (f" · {len(anchors)} anchors" if rel else ""))
            found = loaders.cross_lookup(source, enc_a, enc_b, rel, query, kk)
            if found is None:
                st.info(f"n/a: A has {dim_a} dims and B {dim_b}, so A's absolute vector cannot be compared with B's. "
                        f"Both relative vectors have {len(anchors)} coordinates, one per anchor.")
                continue
            got, sims, rank = found
            own, _ = loaders.neighbours(source, enc_b, rel, query, max(1, kk - 1))
            own = {query} | set(own.tolist()[: kk - 1])
            m = st.columns(2)
            m[0].metric("Rank in B", f"{rank:,}", help=f"Rank of sample {query}'s own vector of B among all {n:,} "
                        "vectors of B (1 = found first).")
            m[1].metric("Cosine", f"{agree.loc[query, f'{kind}_cosine']:.3f}",
                        help="cos(x_i in A, x_i in B): the sample's agreement (a colour on Explore).")
            jac = len(set(got.tolist()) & own) / len(set(got.tolist()) | own)
            st.caption(f"Jaccard@{kk} with its own {kk} nearest in B (itself included): {jac:.2f}")
            samples_table(got.tolist(), {"Cosine": sims, "": _marks(got.tolist(), query, own)}, per_row=4,
                          image_scale=5)
    with st.expander("Neighbours within each space: absolute vs relative"):
        show_within(query, kk)


def show_within(query, kk: int) -> None:
    """The query's neighbours inside A and inside B: relative vectors keep them (about the same overlap)."""
    cols, overlaps = {}, {}
    for kind, rel in (("absolute", None), ("relative", anchors)):
        na, sa = loaders.neighbours(source, enc_a, rel, query, kk)
        nb, sb = loaders.neighbours(source, enc_b, rel, query, kk)
        shared = set(na.tolist()) & set(nb.tolist())
        overlaps[kind] = len(shared) / kk
        for side, nn, sims in (("A", na, sa), ("B", nb, sb)):
            cols[f"{side} {kind}"] = [f"{i}{' ●' if i in shared else ''}" for i in nn.tolist()]
            cols[f"cos in {side} ({kind[:3]}.)"] = sims
    m = st.columns(4)
    m[0].metric("Overlap, absolute", f"{overlaps['absolute']:.0%}", help="|N_A ∩ N_B| / k with absolute vectors.")
    m[1].metric("Overlap, relative", f"{overlaps['relative']:.0%}", help="|N_A ∩ N_B| / k with relative vectors.")
    m[2].caption("Within one space, relative vectors keep each sample's neighbours, so the overlap is about the same. "
                 "What they change is the coordinates: only relative vectors can be looked up across spaces (above).")
    table = pd.DataFrame({"Rank": np.arange(1, kk + 1), **cols})
    st.dataframe(table, hide_index=True, width="stretch", placeholder="n/a",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in cols if c.startswith("cos")})
    st.caption("● a neighbour found in both A and B. cos: the cosine with the query in that space (3 decimals: relative "
               "vectors of nearby samples are all very close to each other).")
    share.table_download(table, f"neighbours_{query}", key="dl_knn")


@st.fragment
@panels.isolated("Per-sample agreement")
def show_agreement() -> None:
    df = loaders.agreement(source, enc_a, enc_b, anchors, MAP_K)
    st.plotly_chart(agreement_view.distribution_figure(df, k=MAP_K), key="agreement_fig", width="stretch",
                    config=figures.PLOTLY_CONFIG)
    med = {c: np.median(df[c]) if df[c].notna().any() else None for c in df.columns}
    st.caption(f"Each of the {n:,} samples: the cosine of its two vectors (median relative {med['relative_cosine']:.3f}, "
               + ("absolute n/a: dims differ" if med["absolute_cosine"] is None else f"absolute {med['absolute_cosine']:.3f}")
               + f") and the overlap of its {MAP_K} nearest neighbours in A and in B (median relative "
               f"{med['relative_overlap']:.2f}, absolute {med['absolute_overlap']:.2f}). Colour Explore's maps by "
               "these (*Colour by → agreement: …*) to see where the encoders disagree.")
    available = {label: col for label, (col, _, _) in agreement_view.MEASURES.items()
                 if df[col].notna().any()}
    c = st.columns([2, 1.4, 3], vertical_alignment="bottom")
    label = c[0].selectbox("Least agreeing by", list(available), key="cmp_worst_by",
                           format_func=lambda s: s.removeprefix("agreement: "),
                           help="Samples ranked by this agreement, lowest first.")
    many = int(c[1].slider("How many", 4, min(48, n), min(16, n), step=4, key="cmp_worst_n"))
    column = available[label]
    c[2].caption(agreement_view.EXPLAIN[column][0].upper() + agreement_view.EXPLAIN[column][1:] + ".")
    show_least_agreeing(df, column=column, label=label.removeprefix("agreement: "), many=many)


def show_least_agreeing(df: pd.DataFrame, *, column: str, label: str, many: int) -> None:
    """The least-agreeing samples: digit images in a grid, or a table of their text / feature values."""
    worst = agreement_view.least_agreeing(df, column, many)
    ids = worst.index.tolist()
    values = worst[column].to_numpy(dtype=float)
    samples_table(ids, {label: values}, per_row=8, image_scale=6)
    c = st.columns([1, 2, 3], vertical_alignment="center")
    with c[0]:
        share.table_download(worst.rename(columns=agreement_view.HEADERS), f"least_agreeing_{column}", key="dl_worst")
    c[1].button("Highlight them on Explore", key="btn_worst_highlight", icon=":material/my_location:",
                on_click=anchor_state.set_highlight,
                args=(tuple(ids), f"Highlighted the {len(ids)} samples A and B agree on least ({label})."),
                help="Ring these samples on Explore's four maps.")
    if ids and tuple(anchor_state.highlight()) == tuple(ids):  # done: say so where the button is, and lead there
        c[2].page_link(st.session_state.get("_explore_page", "pages/explore.py"), icon=":material/check_circle:",
                       label=f"{len(ids)} samples ringed on Explore's maps: open Explore & stitch")


st.subheader("Space metrics: absolute vs relative")
metrics_slot = st.container()
with metrics_slot:
    pending = st.empty()
    pending.caption(f"Computing the metrics on all {n:,} samples…")
st.subheader("Look a sample of A up among B's vectors")
show_lookup()
st.subheader("Where A and B disagree, sample by sample")
show_agreement()
with metrics_slot:  # drawn last, in its place at the top: a first visit computes them for seconds, the rest meanwhile
    pending.empty()
    show_metrics()

share.sync_url()
