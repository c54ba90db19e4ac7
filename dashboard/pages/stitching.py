"""Stitching: every encoder pair at once, then one pair in detail (confusions, worst samples, reconstructions)."""

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import (anchor_state, bootstrap, controls, figures, inspector, loaders, panels, score_figures, share,
                       tables, text)

bootstrap.prepare()
source, coll, enc_a, enc_b = controls.pair_setup()
controls.anchors_badge()
anchors = anchor_state.ids()

st.title("Stitching")
share.show_url_error()
controls.what_note(
    "Zero-shot stitching: a classifier head trained on encoder *i*'s space is fed encoder *j*'s space, with no "
    "retraining. The heatmaps show every ordered pair (rows: head, columns: space fed in; diagonal: no stitching) "
    "for absolute vectors, relative vectors (w.r.t. your current anchors) and translated vectors (B mapped into "
    "A's space by an orthogonal map fitted on the anchors). Below, drill into the A/B pair chosen in the sidebar: "
    "which classes get confused and which samples fail worst."
)

if not controls.is_labelled(coll):
    st.info(controls.unlabelled_note(coll) + " The Compare and Invariance pages work without labels.")
    tables.show(coll.encoders.drop(columns=["spec"], errors="ignore"))
    share.sync_url()
    st.stop()
if len(anchors) < 2:
    st.warning(f"Relative and translated stitching need at least 2 anchors; you have {len(anchors)}. "
               "Add some on Explore & stitch. Only absolute stitching is shown.")

# ---------------------------------------------------------------- all pairs
@panels.isolated("All encoder pairs")
def show_all_pairs() -> None:
    with st.spinner("Training heads for every encoder…"):
        abs_res = loaders.absolute_stitching(source)
        rel_res = loaders.relative_stitching(source, anchors) if len(anchors) >= 2 else None
        tr_res = loaders.translated_stitching(source, anchors) if len(anchors) >= 2 else None
    names = abs_res.encoders
    ia, ib = names.index(enc_a), names.index(enc_b)
    hl = [(ia, ib), (ib, ia)]
    panels_ = [("absolute", "Absolute", abs_res)]
    if rel_res is not None:
        panels_ += [("relative", f"Relative ({len(anchors)} anchors)", rel_res),
                    ("translated", f"Translated (Procrustes on {len(anchors)} anchors)", tr_res)]
    fig = score_figures.heatmaps_figure({title: res.scores[mode] for mode, title, res in panels_}, encoders=names,
                                        highlight=hl)
    st.plotly_chart(fig, key="heatmaps", width="stretch", config=figures.PLOTLY_CONFIG)
    d = st.columns(len(panels_) + 1)
    for col, (mode, title, res) in zip(d, panels_):
        with col:
            share.table_download(pd.DataFrame(res.scores[mode], index=names, columns=names), f"stitching_{mode}",
                                 key=f"dl_heat_csv_{mode}", label=f"{mode} (CSV)")
    with d[-1]:
        share.figure_download(fig, "stitching_heatmaps", key="dl_heat_html", label="Heatmaps (HTML)")
    summary = pd.DataFrame(
        {mode: {"non-stitched (diagonal)": res.non_stitched_mean(mode), "stitched (off-diagonal)": res.stitched_mean(mode)}
         for mode, _, res in panels_}
    )
    st.caption(
        "Red boxes: the A/B pair of the sidebar. Every panel uses the same 0-1 colour scale (the bar on the right), "
        "so equal colours are equal accuracies. n/a: absolute stitching needs equal latent dims, and these differ. "
        "Means over all pairs: "
        + "; ".join(f"{m} {summary.loc['non-stitched (diagonal)', m]:.3f} non-stitched vs "
                    f"{summary.loc['stitched (off-diagonal)', m]:.3f} stitched" for m in summary.columns) + "."
    )


# ---------------------------------------------------------------- one pair
@panels.isolated("Drill-down")
def show_drill_down() -> None:
    modes = ["relative", "translated", "absolute"] if len(anchors) >= 2 else ["absolute"]
    if st.session_state.get("drill_mode") not in modes:
        st.session_state["drill_mode"] = modes[0]
    mode = st.radio("Vectors", modes, key="drill_mode", horizontal=True,
                    help="relative: A's relative head on B's relative vectors. translated: A's absolute head on B's "
                         "vectors mapped into A's space. absolute: A's absolute head on B's raw vectors.")
    if mode == "absolute" and coll.dim(enc_a) != coll.dim(enc_b):  # the method's limit, not a failure
        others = " or ".join(m for m in modes if m != "absolute")
        st.info(text.md(f"No absolute stitching for this pair: {enc_a} has {coll.dim(enc_a)} dims and {enc_b} "
                        f"{coll.dim(enc_b)}, so A's absolute head cannot even read B's vectors. "
                        + (f"Choose {others} above: those vectors do not depend on the dims." if others else
                           "Add at least 2 anchors for relative or translated vectors, which do not depend on the dims.")),
                icon=":material/info:")
        return
    try:
        ps = loaders.pair_stitching(source, enc_a, enc_b, anchors, mode)
    except ValueError as exc:
        st.error(text.md(f"{mode.capitalize()} stitching of this pair is not possible: {exc}"))
        return
    class_names = [str(coll.target_names[c]) if coll.target_names else str(c) for c in ps.classes]
    m1, m2, m3 = st.columns(3)
    m1.metric("Test accuracy", f"{ps.accuracy:.3f}")
    m2.metric("Wrong", f"{int((~ps.correct).sum())} of {len(ps.ids)}")
    m3.metric("Anchors", len(anchors) if mode != "absolute" else "unused")
    left, right = st.columns([1, 1.2])
    with left:
        cfig = score_figures.confusion_figure(ps.confusion(), class_names=class_names,
                                              title=f"Confusion matrix ({mode})")
        st.plotly_chart(cfig, key="confusion", width="stretch", config=figures.PLOTLY_CONFIG)
        st.caption("Cells: numbers of test samples. Colour: their share of the true class (row), 0-1.")
        share.figure_download(cfig, f"confusion_{enc_a}_{enc_b}_{mode}", key="dl_conf_html")
    with right:
        def name(c):
            return str(coll.target_names[c]) if coll.target_names else str(c)

        n_wrong = int((~ps.correct).sum())
        if n_wrong == 0:
            st.markdown(f"**No test sample is stitched wrongly**: all {len(ps.ids)} are classified correctly, so there "
                        "are no failures to show.")
        else:
            # the slider keeps the user's choice from pair to pair; a pair with fewer failures shows them all
            n_worst = (st.slider("Worst-stitched samples shown", 4, 48, 12, step=4, key="n_worst")
                       if n_wrong > 4 else n_wrong)
            worst = ps.worst(n_worst)
            what = (f"The {len(worst)} most confidently wrong of the {n_wrong} wrong test samples" if len(worst) < n_wrong
                    else f"All {n_wrong} wrong test samples" if n_wrong > 1 else "The one wrong test sample")
            st.markdown(f"**{what}** (predicted class score minus true class score, largest first)")
            inspector.show_grid(coll, ps.ids[worst],
                                captions=[f"true {name(ps.y_true[r])} → {name(ps.y_pred[r])}" for r in worst], per_row=6)
        table = pd.DataFrame({"id": ps.ids, "true": [name(c) for c in ps.y_true], "predicted": [name(c) for c in ps.y_pred],
                              "correct": ps.correct})
        share.table_download(table, f"predictions_{enc_a}_{enc_b}_{mode}", key="dl_pred", label="All predictions (CSV)")


# ---------------------------------------------------------------- autoencoders: reconstruction stitching
@panels.isolated("Reconstruction stitching")
def show_reconstruction(aes: list) -> None:
    if len(anchors) < 2:
        st.info("Add at least 2 anchors to compare relative reconstructions.")
        return
    decoder = st.selectbox("Decoder trained on", aes, key="rec_decoder")
    key = (source, decoder, anchors, tuple(aes))
    done = st.session_state.setdefault("_rec_done", set())
    if key not in done and not st.button("Train the decoders", key="btn_rec", type="primary"):
        st.caption(f"Two decoders are trained on demand on {decoder}'s train vectors (absolute and relative, "
                   "60 epochs each, about 10-30 s).")
        return
    with st.status(f"Training decoders on {decoder}'s absolute and relative train vectors…", expanded=False) as status:
        rec = loaders.reconstruction(source, decoder, anchors, tuple(aes))
        status.update(label="Decoders ready", state="complete")
    done.add(key)
    n_show = 8
    side = coll.images.shape[1:]
    rows = [("original", rec.original)]
    for e in aes:
        for mode_r in ("relative", "absolute"):
            rows.append((f"{mode_r} · fed {e}" + (" (own)" if e == decoder else " (stitched)"),
                         rec.reconstructions[mode_r][e]))
    for label, arr in rows:
        c = st.columns([2.4] + [1] * n_show, vertical_alignment="center")  # wide enough for "absolute · fed ae-s1"
        c[0].markdown(f"**{label}**")
        for k in range(n_show):
            img = np.asarray(arr[k]).reshape(side)
            if np.isnan(img).any():
                c[k + 1].caption("n/a")
                continue
            img = np.clip(img, 0, 1)
            c[k + 1].image(np.kron(1.0 - img, np.ones((8, 8))), clamp=True)
    mse = pd.DataFrame(rec.mse).rename_axis("space fed in")
    tables.show(mse, index="Space fed in", headers={"relative": "Relative MSE", "absolute": "Absolute MSE"})
    share.table_download(mse, f"reconstruction_mse_{decoder}", key="dl_rec_mse", label="MSE (CSV)")


st.subheader("All encoder pairs")
show_all_pairs()
st.subheader(f"Drill-down: A's head ({text.code(enc_a)}) fed B's space ({text.code(enc_b)})")
show_drill_down()
arch = coll.encoders["arch"] if "arch" in coll.encoders.columns else pd.Series([""] * len(coll.encoders))
aes = [n for n, a in zip(coll.encoders["name"], arch) if a == "ae"]
if coll.images is not None and aes:
    st.subheader("Autoencoders: reconstruction stitching")
    st.caption(
        "A decoder learns to redraw the digit from one autoencoder's vectors; then it is fed the *other* "
        "autoencoder's vectors of unseen test digits. From relative vectors it still redraws them; from absolute "
        "vectors it draws noise. Each row: originals, then the decoder's output per input space."
    )
    show_reconstruction(aes)

share.sync_url()
