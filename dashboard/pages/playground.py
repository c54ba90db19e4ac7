"""Invariance playground: transform space B live and watch absolute vs relative stitching."""

import numpy as np
import streamlit as st

from core.methods.transforms import TRANSFORM_HELP, TRANSFORMS
from dashboard import anchor_state, bootstrap, controls, figures, loaders, panels, share, text

bootstrap.prepare()
source, coll, enc_a, enc_b = controls.pair_setup()
controls.anchors_badge()
anchors = anchor_state.ids()

st.title("Invariance playground")
share.show_url_error()
controls.what_note(
    "Apply a transform to **every vector of encoder B** (its anchors included, as if B had been retrained to a "
    "rotated or rescaled space) and compare before with after. A head reading **absolute** vectors breaks as soon "
    "as the coordinates move. A head reading **relative** vectors (cosines to the anchors) does not notice a "
    "rotation, reflection, axis permutation or uniform rescaling, because angles between vectors do not change. "
    "Translation, stretching some axes more than others, and noise *do* change angles, so relative vectors move "
    "too (centring on the anchor mean removes the translation effect)."
)

NAMES = {
    "none": "none", "rotation": "rotation (angle)", "random_orthogonal": "random orthogonal map",
    "isotropic_scale": "isotropic scale", "translation": "translation", "anisotropic_scale": "anisotropic scale",
    "permutation": "permute the axes", "noise": "Gaussian noise",
}
#: slider (min, max, default, step) of ``strength`` per transform; None: no strength.
LABELS = {
    "rotation": "angle (degrees)", "isotropic_scale": "scale factor", "translation": "shift (× mean vector norm)",
    "anisotropic_scale": "largest axis factor", "noise": "noise (× RMS)",
}
SLIDERS = {
    "rotation": (0.0, 180.0, 90.0, 5.0), "isotropic_scale": (0.1, 10.0, 3.0, 0.1), "translation": (0.0, 5.0, 1.0, 0.1),
    "anisotropic_scale": (1.0, 20.0, 5.0, 0.5), "noise": (0.0, 2.0, 0.3, 0.05),
}

if len(anchors) < 2:
    st.warning(f"Relative vectors need at least 2 anchors; you have {len(anchors)}. Add some on Explore & stitch.")
    st.stop()

c = st.columns([1.6, 2, 0.8, 1.4], vertical_alignment="bottom")
kind = c[0].selectbox("Transform of B", TRANSFORMS, index=1, key="pg_kind", format_func=NAMES.get)
if kind in SLIDERS:
    lo, hi, default, step = SLIDERS[kind]
    strength = c[1].slider(LABELS[kind], lo, hi, default, step=step, key=f"pg_strength_{kind}",
                           help=TRANSFORM_HELP[kind][0].capitalize() + ".")
else:
    strength = 1.0
    c[1].caption(TRANSFORM_HELP[kind][0].capitalize())
seed = c[2].number_input("seed", 0, 10_000, 0, key="pg_seed", help="Seed of the random basis, direction, factors or noise.")
center = c[3].checkbox("Centre on anchors", key="pg_center",
                       help="Subtract the anchors' mean before the cosines: relative vectors become translation invariant.")
invariant = TRANSFORM_HELP[kind][1] or (kind == "translation" and center)
st.markdown(
    (":material/check_circle: **Relative vectors are invariant to this transform**" if invariant else
     ":material/warning: **Relative vectors are *not* invariant to this transform**")
    + f" (cosine similarity{', centred on the anchors' if center else ''}). Expected: the relative readout "
    + ("stays put while the absolute one " + ("changes." if kind not in ("none", "isotropic_scale") else "also stays (nothing or only the scale changed).")
       if invariant else "moves, more or less depending on the strength.")
)


@panels.isolated("Transform of B")
def compute_effect():
    with st.spinner("Transforming B and re-running the heads…"):
        return loaders.playground(source, enc_a, enc_b, anchors, kind, float(strength), int(seed), bool(center))


def num(v: float) -> str:
    return f"{v:.3f}".replace("-0.000", "0.000")


@panels.isolated("Readout")
def show_readout(res: dict) -> None:
    geo = res["geometry"]
    g = st.columns(2)
    g[0].metric("Absolute vectors: mean cosine(B, transformed B)", num(geo['absolute']),
                help="1.000: every vector points where it did.")
    g[1].metric("Relative vectors: mean cosine(before, after)", num(geo['relative']),
                help="1.000: the relative representation is unchanged.")
    scores = res["scores"]
    if scores is None:
        st.info(controls.unlabelled_note(coll) + " The geometry above and the maps below still show the invariance.")
        return
    for label, row in scores.iterrows():
        m = st.columns(2)
        for col, mode in zip(m, ("absolute", "relative")):
            before, after = row[f"{mode} before"], row[f"{mode} after"]
            if np.isnan(after):
                col.metric(f"{label} · {mode}", "n/a: dims differ")
            else:
                col.metric(f"{label} · {mode}", f"{after:.3f}", f"{after - before:+.3f} vs before", delta_color="off")
    st.caption(
        f"Test accuracy ({int((coll.split == 'test').sum())} test samples). *B's head on B*: B's own head (trained on "
        "the untransformed B) fed the transformed B: the transform alone. *A's head on B*: stitching A ← B. "
        "Heads standardise each input vector, so a uniform rescaling never hurts either head."
    )
    share.table_download(scores, f"playground_{kind}_{enc_b}", key="dl_pg")


@panels.isolated("Maps of B")
def show_maps(res: dict) -> None:
    st.caption(
        f"All {coll.n_samples:,} samples. PCA fitted on the untransformed vectors; the transformed ones are placed in "
        "the same frame, so a map that changes shows a representation that changed. Colour: "
        + ("label." if "label" in coll.samples.columns else "split (no labels).")
    )
    coloring_vals = (coll.samples["label"].astype(str).to_numpy() if "label" in coll.samples.columns
                     else coll.split.astype(str))
    cats = tuple(str(t) for t in coll.target_names) if coll.target_names else tuple(sorted(set(coloring_vals.tolist())))
    coloring = figures.Coloring("label" if "label" in coll.samples.columns else "split", coloring_vals, categories=cats)
    hover = loaders.hover_text(source)
    maps = res["maps"]
    for row_name, keys in (("Absolute", ("absolute_before", "absolute_after")),
                           ("Relative", ("relative_before", "relative_after"))):
        cols = st.columns(2)
        for col, key in zip(cols, keys):
            with col:
                when = "before" if key.endswith("before") else f"after {NAMES[kind]}"
                st.markdown(f"**{row_name} B: {text.code(enc_b)}** · {when}")
                fig = figures.map_figure(maps[key], ids=coll.ids, coloring=coloring, hover=hover, anchor_ids=anchors,
                                         height=340, note=f"{coll.n_samples:,} points")
                st.plotly_chart(fig, key=f"pg_{key}", width="stretch", config=figures.PLOTLY_CONFIG)


st.subheader("Readout: before → after")
res = compute_effect()  # None when it failed: its panel says why
if res is not None:
    show_readout(res)
    st.subheader("Maps of B: before and after")
    show_maps(res)

share.sync_url()
