"""Invariance playground: transform space B live and watch absolute vs relative stitching."""

import html

import numpy as np
import streamlit as st

from core.methods.transforms import TRANSFORM_HELP, TRANSFORMS
from core.methods.playground import MOVED_BY, effect_summary
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
    # core's help says "unused: ..." of the strength parameter; here there is no slider to be unused
    what = TRANSFORM_HELP[kind][0].removeprefix("unused").lstrip(": ")
    c[1].caption(f"{what[:1].upper()}{what[1:]}, drawn from the seed; no strength to set." if what
                 else "No transform: B as it is.")
seed = c[2].number_input("seed", 0, 10_000, 0, key="pg_seed", help="Seed of the random basis, direction, factors or noise.")
center = c[3].checkbox("Centre on anchors", key="pg_center",
                       help="Subtract the anchors' mean before the cosines: relative vectors become translation invariant.")
invariant = TRANSFORM_HELP[kind][1] or (kind == "translation" and center)
if invariant:
    theory = (":material/check_circle: **In theory, cosine relative vectors are invariant to this transform**"
              + (" once centred on the anchors." if kind == "translation" else "."))
else:
    theory = (":material/warning: **In theory, cosine relative vectors are *not* invariant to this transform**"
              + (" (tick *Centre on anchors* to make them so)." if kind == "translation" else "."))
st.markdown(theory + " What the heads do with that is measured below.")


@panels.isolated("Transform of B")
def compute_effect():
    with st.spinner("Transforming B and re-running the heads…"):
        return loaders.playground(source, enc_a, enc_b, anchors, kind, float(strength), int(seed), bool(center))


def num(v: float) -> str:
    return f"{v:.3f}".replace("-0.000", "0.000")


def _signed(v: float) -> str:
    return f"{v:+.3f}".replace("-", "−").replace("−0.000", "+0.000")


def _line(mode: str, part: dict, *, extra: str = "") -> str:
    """One line of the banner: what happened to the vectors of ``mode``, then to each of its readouts."""
    if part["unchanged"]:
        vectors = f"vectors unchanged (mean cosine before/after {num(part['cosine'])})"
    else:
        vectors = f"vectors changed (mean cosine before/after {num(part['cosine'])}"
        vectors += (f"; {num(part['standardised'])} once each is standardised, as the relative heads read them)"
                    if "standardised" in part else ")")
    heads = [f"{text.md(r['readout'].split(' (')[0])} {'moved' if r['moved'] else 'stayed'} {num(r['before'])} → "
             f"{num(r['after'])} ({_signed(r['delta'])})" for r in part["readouts"]]
    return f"**{mode.capitalize()}:** " + "; ".join([vectors, *heads, *([extra] if extra else [])]) + "."


def measured(summary: dict, *, absent: str = "") -> tuple[str, str]:
    """The banner over the readout, every claim read off the measured numbers: (kind of box, markdown).

    ``absent`` names the absolute readouts that do not apply, and why.
    """
    rel = summary["relative"]
    if rel["moved"] is None:
        verdict, box = "no labels here, so no readout: only the vectors are compared", "info"
    elif rel["moved"]:
        verdict, box = f"the relative readout moved (by more than {MOVED_BY:.2f})", "warning"
    else:
        verdict, box = f"the relative readout stayed within {MOVED_BY:.2f}", "success"
        if not rel["unchanged"]:
            verdict += ", although the relative vectors changed"
    lines = [f"**Measured: {verdict}.**", _line("relative", rel), _line("absolute", summary["absolute"], extra=absent)]
    return box, "  \n".join(lines)


@panels.isolated("Readout")
def show_readout(res: dict) -> None:
    summary = effect_summary(res)
    n_rows = 0 if res["scores"] is None else len(res["scores"])
    absent = (f"A's head n/a (A has {coll.dim(enc_a)} dims, B has {coll.dim(enc_b)})"
              if len(summary["absolute"]["readouts"]) < n_rows else "")
    kind_, banner = measured(summary, absent=absent)
    getattr(st, kind_)(banner, icon=":material/straighten:")
    geo = res["geometry"]
    g = st.columns(2)
    g[0].metric("Absolute vectors: mean cosine(B, transformed B)", num(geo['absolute']),
                help="1.000: every vector points where it did.")
    g[1].metric("Relative vectors: mean cosine(before, after)", num(geo['relative']),
                help="1.000: the relative representation is unchanged. The relative heads standardise each vector "
                     "first, so a change that shifts or scales a whole relative vector is invisible to them.")
    scores = res["scores"]
    if scores is None:
        st.info(controls.unlabelled_note(coll) + " The geometry above and the maps below still show the invariance.")
        return
    for label, row in scores.iterrows():
        m = st.columns(2)
        for col, mode in zip(m, ("absolute", "relative")):
            before, after = row[f"{mode} before"], row[f"{mode} after"]
            if np.isnan(after):
                col.metric(f"{label} · {mode}", "n/a")
                col.caption(f"n/a: absolute stitching needs equal dims; A has {coll.dim(enc_a)}, B has {coll.dim(enc_b)}.")
            else:
                same = f"{after:.3f}" == f"{before:.3f}"  # no arrow for a change the three decimals do not show
                col.metric(f"{label} · {mode}", f"{after:.3f}", "same as before" if same else f"{after - before:+.3f} vs before",
                           delta_color="off", delta_arrow="off" if same else "auto")
    st.caption(
        f"Test accuracy ({int((coll.split == 'test').sum())} test samples). *B's head on B*: B's own head (trained on "
        "the untransformed B) fed the transformed B: the transform alone. *A's head on B*: stitching B → A. "
        "Heads standardise each input vector, so a uniform rescaling never hurts either head."
    )
    share.table_download(scores, f"playground_{kind}_{enc_b}", key="dl_pg")


def shared_legend(coloring, *, n_anchors: int) -> str:
    """One legend line for the four maps (HTML, every label escaped): a swatch per class, then the anchors' star."""
    present = set(np.asarray(coloring.values).astype(str).tolist())
    entries = [f"<span style='white-space:nowrap'><span style='color:{coloring.color_of(c)}'>●</span> "
               f"{html.escape(str(c))}</span>" for c in coloring.categories if c in present]
    fill, edge = figures.ANCHOR_MARKER.get("color", "#ffd400"), figures.ANCHOR_MARKER.get("line", {}).get("color", "#333")
    entries.append(f"<span style='white-space:nowrap'><span style='color:{fill};-webkit-text-stroke:0.6px {edge}'>★"
                   f"</span> anchors ({n_anchors})</span>")
    return (f"<div style='font-size:13px;line-height:1.6'><b>{html.escape(coloring.name.capitalize())}:</b> &nbsp;"
            + " &nbsp; ".join(entries) + "</div>")


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
    st.html(shared_legend(coloring, n_anchors=len(anchors)))
    for row_name, keys in (("Absolute", ("absolute_before", "absolute_after")),
                           ("Relative", ("relative_before", "relative_after"))):
        cols = st.columns(2)
        for col, key in zip(cols, keys):
            with col:
                when = "before" if key.endswith("before") else f"after {NAMES[kind]}"
                st.markdown(f"**{row_name} B: {text.code(enc_b)}** · {when}")
                fig = figures.map_figure(maps[key], ids=coll.ids, coloring=coloring, hover=hover, anchor_ids=anchors,
                                         height=340, note=f"{coll.n_samples:,} points")
                fig.update_layout(showlegend=False, margin=dict(t=30))  # one legend above all four; the modebar's row
                st.plotly_chart(fig, key=f"pg_{key}", width="stretch", config=figures.PLOTLY_CONFIG)


st.subheader("Readout: before → after")
res = compute_effect()  # None when it failed: its panel says why
if res is not None:
    show_readout(res)
    st.subheader("Maps of B: before and after")
    show_maps(res)

share.sync_url()
