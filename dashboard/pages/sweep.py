"""Anchor sweep: stitching accuracy of the A/B pair as the number of anchors grows, per strategy."""

import streamlit as st

from core.methods.anchors import STRATEGIES
from core.errors import CancelledError
from dashboard import anchor_state, bootstrap, controls, figures, jobs, panels, results, share, text

bootstrap.prepare()
source, coll, enc_a, enc_b = controls.pair_setup()
controls.anchors_badge()

st.title("Anchor sweep")
share.show_url_error()
controls.what_note(
    "How many anchors does stitching need, and does it matter how they are picked? For each strategy and each "
    "anchor count, fresh anchors are picked, heads are trained, and the A ← B stitched accuracy (solid) is "
    "plotted next to the non-stitched A on A (dotted). Relative: A's head on relative vectors; translated: A's "
    "absolute head on B mapped into A by an orthogonal map fitted on the anchors (needs about as many anchors "
    "as dimensions)."
)

if not controls.is_labelled(coll):
    st.info(controls.unlabelled_note(coll))
    share.sync_url()
    st.stop()

n_train = anchor_state.n_train(coll)
preset = [c for c in (2, 5, 10, 20, 50, 100, 200, 500, 1000) if c <= n_train]
strategies = [s for s in STRATEGIES if s != "stratified" or coll.labels is not None]
c = st.columns([2, 3, 1, 1.3])
chosen = c[0].multiselect("Strategies", strategies, default=["random", "fps"], key="sw_strategies")
counts = c[1].multiselect("Anchor counts", preset, default=[p for p in preset if p in (5, 10, 20, 50, 100, 200)],
                          key="sw_counts")
n_seeds = c[2].number_input("Seeds", 1, 5, 1, key="sw_seeds", help="Repeats with seeds 0..n-1 (kdpp is deterministic).")
mode_choice = c[3].radio("Vectors", ("relative", "translated"), key="sw_mode", horizontal=False)

total = len(chosen) * len(counts) * int(n_seeds)
run = st.button("Run the sweep", type="primary", key="sw_run", disabled=total == 0,
                help="Picks fresh anchors and trains heads for every strategy, count and seed chosen.")
st.caption(f"{total} anchor sets, 4 relative heads each (A and B, both directions).")
key = (source, enc_a, enc_b, tuple(sorted(counts)), tuple(chosen), tuple(range(int(n_seeds))))
job = ("sweep", *key)
done = st.session_state.setdefault("_sweep_done", set())


@panels.isolated("Sweep results")
def show_sweep() -> None:
    """Run (or reuse) the sweep under a progress line with a Cancel button, then plot it."""
    slot = st.empty()
    line = jobs.ProgressLine(slot, label=f"Sweeping {total} anchor sets", cancel_keys=[job], key="sw_cancel")
    try:
        df = results.sweep(*key, progress=line, should_stop=jobs.should_stop)
    except CancelledError:
        slot.caption("The sweep stopped.")
        return
    except ValueError as exc:
        slot.error(text.md(f"The sweep failed: {exc}"))
        return
    slot.caption(f"Done: {total} anchor sets.")
    done.add(key)
    d = df[df["mode"] == mode_choice]
    what = {(enc_a, enc_b): f"stitched: A's head ← B", (enc_a, enc_a): "A on A (no stitching)",
            (enc_b, enc_a): "stitched: B's head ← A", (enc_b, enc_b): "B on B (no stitching)"}
    d = d.assign(what=[what[(h, s)] for h, s in zip(d["head_encoder"], d["space_encoder"])])
    d = d[d["what"].isin([what[(enc_a, enc_b)], what[(enc_a, enc_a)]])]
    agg = d.groupby(["strategy", "what", "n_anchors"], as_index=False)["accuracy"].agg(["mean", "std"])
    agg = agg.rename(columns={"mean": "accuracy"})
    fig = figures.sweep_figure(agg, title=f"{mode_choice.capitalize()} stitching, {enc_a} ← {enc_b}")
    st.plotly_chart(fig, key="sweep_fig", width="stretch", config=figures.PLOTLY_CONFIG)
    d1, d2 = st.columns(2)
    with d1:
        share.table_download(df, f"sweep_{enc_a}_{enc_b}", key="dl_sweep", label="Full sweep table (CSV)")
    with d2:
        share.figure_download(fig, f"sweep_{enc_a}_{enc_b}_{mode_choice}", key="dl_sweep_html")
    pivot = agg[agg["what"] == what[(enc_a, enc_b)]].pivot(index="n_anchors", columns="strategy", values="accuracy")
    st.dataframe(pivot.style.format("{:.3f}"), width="stretch")
    st.caption(f"Stitched accuracy, mean over {int(n_seeds)} seed(s), per anchor count and strategy; "
               f"{int((coll.split == 'test').sum())} test samples.")


if not total:
    st.caption("Pick at least one strategy and one anchor count.")
elif run or key in done:
    jobs.resume(job)
    show_sweep()
elif jobs.is_cancelled(job):
    st.info("The sweep was cancelled; nothing was kept. Press **Run the sweep** to start it again.",
            icon=":material/pause_circle:")
else:
    st.caption("The sweep picks every anchor set and trains its heads (A's and B's); press the button to run it "
               "(a progress bar with a Cancel button follows).")

share.sync_url()
