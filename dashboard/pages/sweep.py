"""Anchor sweep: stitching accuracy of the A/B pair as the number of anchors grows, per strategy."""

import streamlit as st

from core.methods.anchors import STRATEGIES
from dashboard import (anchor_state, bootstrap, controls, figures, jobs, loaders, panels, results, score_figures,
                       share, tables)

bootstrap.prepare()
source, coll, enc_a, enc_b = controls.pair_setup()
controls.anchors_badge()

st.title("Anchor sweep")
share.show_url_error()
controls.what_note(
    "How many anchors does stitching need, and does it matter how they are picked? For each strategy and each "
    "anchor count, fresh anchors are picked, heads are trained, and the B → A stitched accuracy (solid: B fed to "
    "A's head) is plotted next to the non-stitched A on A (dotted). Relative: A's head on relative vectors; "
    "translated: A's absolute head on B mapped into A by an orthogonal map fitted on the anchors (Maiorca et al. "
    "advise at least as many anchors as latent dims; the sweep shows what this pair needs). The dashed grey line "
    "is absolute stitching of the same pair, which uses no anchors: the baseline the anchors have to beat."
)

if not controls.is_labelled(coll):
    st.info(controls.unlabelled_note(coll))
    share.sync_url()
    st.stop()

n_train = anchor_state.n_train(coll)
default_n = anchor_state.default_n(coll)  # the dataset's starting anchor count: always one of the counts
preset = sorted({c for c in (2, 5, 10, 20, 50, 100, 200, 500, 1000) if c <= n_train} | {default_n})
# another dataset gets its own counts, not the last one's (nor none when the page comes back: Streamlit drops the
# state of a widget on the runs of pages that do not draw it)
if st.session_state.get("_sw_source") != source or "sw_counts" not in st.session_state:
    st.session_state["_sw_source"] = source
    st.session_state["sw_counts"] = [p for p in preset if p in (5, 10, 20, 50, 100, 200) or p == default_n]
strategies = [s for s in STRATEGIES if s != "stratified" or coll.labels is not None]
c = st.columns([2, 3])
chosen = c[0].multiselect("Strategies", strategies, default=["random", "fps"], key="sw_strategies")
counts = c[1].multiselect("Anchor counts", preset, key="sw_counts",
                          help=f"Up to the {n_train:,} train samples; {default_n} is this dataset's starting anchor count.")
c = st.columns([1, 2, 2], vertical_alignment="bottom")
n_seeds = c[0].number_input("Seeds", 1, 5, 1, key="sw_seeds", help="Repeats with seeds 0..n-1 (kdpp is deterministic).")
mode_choice = c[1].radio("Vectors", ("relative", "translated"), key="sw_mode", horizontal=True)

total = len(chosen) * len(counts) * int(n_seeds)
run = st.button("Run the sweep", type="primary", key="sw_run", disabled=total == 0,
                help="Picks fresh anchors and trains heads for every strategy, count and seed chosen.")
st.caption(f"{total} anchor sets; for each, a relative head on A and one on B, and an orthogonal map each way for the "
           "absolute heads (trained once): both kinds of vectors, both directions, whichever is plotted.")
key = (source, enc_a, enc_b, tuple(sorted(counts)), tuple(chosen), tuple(range(int(n_seeds))))
job = ("sweep", *key)
done = st.session_state.setdefault("_sweep_done", set())


@panels.isolated("Sweep results")
def show_sweep() -> None:
    """Run (or reuse) the sweep under a progress line with a Cancel button, then plot it."""
    slot = st.empty()
    df = jobs.run_in_slot(slot, lambda **kw: results.sweep(*key, **kw), label=f"Sweeping {total} anchor sets",
                          job=job, key="sw_cancel", what="sweep")
    if df is None:
        return
    slot.caption(f"Done: {total} anchor sets.")
    done.add(key)
    d = df[df["mode"] == mode_choice]
    what = {(enc_a, enc_b): "stitched: B → A's head", (enc_a, enc_a): "A on A (no stitching)",
            (enc_b, enc_a): "stitched: A → B's head", (enc_b, enc_b): "B on B (no stitching)"}
    d = d.assign(what=[what[(h, s)] for h, s in zip(d["head_encoder"], d["space_encoder"])])
    d = d[d["what"].isin([what[(enc_a, enc_b)], what[(enc_a, enc_a)]])]
    agg = d.groupby(["strategy", "what", "n_anchors"], as_index=False)["accuracy"].agg(["mean", "std"])
    agg = agg.rename(columns={"mean": "accuracy"})
    agg = agg.sort_values("strategy", key=lambda c: c.map({k: i for i, k in enumerate(chosen)}), kind="stable")
    baseline, label, note = absolute_baseline()
    fig = score_figures.sweep_figure(agg, title=f"{mode_choice.capitalize()} stitching, {enc_b} → {enc_a}",
                                     baseline=baseline, baseline_label=label, note=note)
    st.plotly_chart(fig, key="sweep_fig", width="stretch", config=figures.PLOTLY_CONFIG)
    d1, d2 = st.columns(2)
    with d1:
        share.table_download(df, f"sweep_{enc_a}_{enc_b}", key="dl_sweep", label="Full sweep table (CSV)")
    with d2:
        share.figure_download(fig, f"sweep_{enc_a}_{enc_b}_{mode_choice}", key="dl_sweep_html")
    pivot = agg[agg["what"] == what[(enc_a, enc_b)]].pivot(index="n_anchors", columns="strategy", values="accuracy")
    tables.show(pivot[[s for s in chosen if s in pivot.columns]], index="Anchors")  # in the order picked
    st.caption(f"Stitched accuracy B → A, mean over {int(n_seeds)} seed(s), per anchor count (rows) and strategy "
               f"(columns); {int((coll.split == 'test').sum())} test samples. "
               + (f"Absolute baseline (no anchors): {baseline:.3f}." if baseline is not None else note))


def absolute_baseline() -> tuple:
    """The absolute stitching accuracy of the pair (None where the dims differ), its legend label, a note."""
    da, db = coll.dim(enc_a), coll.dim(enc_b)
    if da != db:
        return None, "", (f"No absolute baseline: A has {da} dims and B {db}, and absolute stitching needs equal "
                          "dims.")
    label = "absolute B → A (no anchors)" if enc_a != enc_b else "absolute A on A (no anchors)"
    return loaders.pair_stitching(source, enc_a, enc_b, (), "absolute").accuracy, label, ""


if not total:
    st.caption("Pick at least one strategy and one anchor count.")
else:
    jobs.start_or_explain(
        job, start=run or key in done, show=show_sweep,
        cancelled="The sweep was cancelled; nothing was kept. Press **Run the sweep** to start it again.",
        idle="The sweep picks every anchor set and trains its heads (A's and B's); press the button to run it "
             "(a progress bar with a Cancel button follows).")

share.sync_url()
