"""Presenter: the paper's result in four steps, in type a room can read, on the bundled default.

The step lives in the session and in the URL (``?step=2``), so a reload opens the same step.
"""

import html

import streamlit as st

from core.errors import CancelledError, InvalidInputError
from dashboard import anchor_state, bootstrap, controls, figures, jobs, loaders, panels, results, slide_export, snapshot
from dashboard import story, text

bootstrap.prepare()

STEP_KEY, FOLLOW_KEY, ROTATION_KEY = "presenter_step", "presenter_follow", "presenter_rotation"
METHOD, FRAME = "umap", "A"
#: Large type, scoped to the story's container: a projector at the back of a room.
CSS = """<style>
.st-key-presenter h1 {font-size: 3.1rem; line-height: 1.15; padding-top: 0;}
.st-key-presenter-lead p {font-size: 1.75rem; line-height: 1.35;}
.st-key-presenter [data-testid="stMetricValue"] {font-size: clamp(2.4rem, 4vw, 4.2rem); line-height: 1.1;}
.st-key-presenter [data-testid="stMetricLabel"] p {font-size: 1.35rem;}
.st-key-presenter [data-testid="stMarkdownContainer"] h3 {font-size: 1.6rem; padding: 0.2rem 0;}
.st-key-presenter [data-testid="stImage"] img {max-height: 48vh; object-fit: contain;}
.st-key-presenter-step4 [data-testid="stImage"] img {max-height: 23vh;}
[data-testid="stMainBlockContainer"] {padding-top: 4rem;}
.st-key-pr_back button p, .st-key-pr_next button p, .st-key-pr_follow button p, .st-key-pr_rotate button p
  {font-size: 1.25rem;}
.st-key-presenter [data-testid="stPageLink"] p {font-size: 1.3rem;}
</style>"""


def current_step() -> int:
    """The step of the URL (a reload, a link), else of the session; written back to both."""
    step = int(st.session_state.get(STEP_KEY, 1))
    raw = st.query_params.get(story.STEP_PARAM)
    if raw is not None:
        try:
            step = story.parse_step(raw)
        except InvalidInputError as exc:
            st.error(text.md(f"{exc}. Showing step {step}."), icon=":material/error:")
    st.session_state[STEP_KEY] = step
    if st.query_params.get(story.STEP_PARAM) != str(step):
        st.query_params[story.STEP_PARAM] = str(step)
    return step


def go(step: int) -> None:
    st.session_state[STEP_KEY] = step
    st.query_params[story.STEP_PARAM] = str(step)


def follow_next(categories: tuple) -> None:
    st.session_state[FOLLOW_KEY] = story.next_follow(st.session_state.get(FOLLOW_KEY), categories)


def rotate() -> None:
    st.session_state[ROTATION_KEY] = int(st.session_state.get(ROTATION_KEY) or 0) + 1


st.html(CSS)
coll = loaders.collection(story.SOURCE)
enc_a, enc_b = coll.names[0], coll.names[1]
# Explore's first-visit anchors: the story's links open the same picture on a fresh session
anchors = loaders.anchors(story.SOURCE, min(anchor_state.default_n(coll), anchor_state.n_train(coll)),
                          anchor_state.DEFAULT_STRATEGY, anchor_state.DEFAULT_SEED)
params = dict(n_neighbors=int(controls.DEFAULTS["n_neighbors"]), min_dist=float(controls.DEFAULTS["min_dist"]))
labels = coll.samples["label"].astype(str).to_numpy()
coloring = figures.Coloring("digit", labels, categories=tuple(str(t) for t in coll.target_names))
readout = slide_export.readout(story.SOURCE, enc_a, enc_b, anchors)
chance = slide_export.chance(coll)
with st.sidebar:
    st.caption(f"The story: bundled **{coll.name}**, encoders **{enc_a}** (A) and **{enc_b}** (B), "
               f"{len(anchors)} random anchors. ← and → move between steps; « above hides this sidebar for more room.")


def layouts(kind: str, slot) -> tuple:
    """The UMAP maps of one row (absolute or relative), with a PCA preview in ``slot`` while they compute."""
    key_args = (story.SOURCE, enc_a, enc_b, None if kind == "abs" else anchors)
    want = results.layout_key(*key_args, METHOD, FRAME, **params)
    if results.has_layouts(*want):
        return results.layouts(*want)[:2] + ("UMAP",)
    preview = results.layouts(*key_args, "pca", FRAME)[:2] + ("PCA preview",)
    if jobs.is_cancelled(want):
        c = slot.columns([4, 1], vertical_alignment="center")
        c[0].caption("UMAP cancelled: PCA maps shown.")
        c[1].button("Recompute", key=f"pr_recompute_{kind}", on_click=jobs.resume, args=(want,))
        return preview
    return preview + (want,)


def map_image(coords, *, follow=None, stars: bool = False, height: int = 520) -> bytes:
    return snapshot.map_png(coords, ids=coll.ids, coloring=story.follow_coloring(coloring, follow),
                            anchor_ids=anchors if stars else (), width=round(height * 1.45), height=height,
                            scale=2.0, marker_size=7.0)


def legend(col: figures.Coloring, *, stars: bool = False) -> None:
    """One legend line for the maps below it, in large type."""
    items = [f"<span style='white-space:nowrap;margin-right:1.1em'><span style='color:{col.color_of(c)};font-size:1.5em'>●</span> "
             f"{html.escape(str(c))}</span>" for c in col.categories]
    if stars:
        items.append(f"<span style='white-space:nowrap'><span style='color:{figures.ANCHOR_COLOR};font-size:1.3em'>★</span> anchors</span>")
    st.html(f"<div class='sb-legend' style='font-size:1.35rem;line-height:1.5'>{' '.join(items)}</div>")


def show_maps(kind: str, *, follow, stars: bool) -> None:
    """A's and B's map of one row side by side, large; UMAP once computed (PCA meanwhile)."""
    legend(story.follow_coloring(coloring, follow), stars=stars)
    status = st.empty()
    cols = st.columns(2, gap="large")
    row = "absolute" if kind == "abs" else "relative"
    slots = [c.empty() for c in cols]

    def draw(LA, LB, how):
        for slot, side, enc, L in zip(slots, "AB", (enc_a, enc_b), (LA, LB)):
            with slot.container():
                where = " in A's map" if side == "B" and kind == "abs" else ""
                st.markdown(f"### {side}: {text.code(enc)}{where}")
                st.image(map_image(L, follow=follow, stars=stars), width="stretch",
                         caption=f"{how} · all {coll.n_samples:,} digits" + (f" · ★ {len(anchors)} anchors" if stars else ""))

    out = layouts(kind, status)
    draw(*out[:3])
    if len(out) == 4:  # UMAP still to compute: the preview stays until it is done
        line = jobs.ProgressLine(status, label=f"Computing the UMAP maps ({row}; once per server)",
                                 cancel_keys=[out[3]], key=f"pr_cancel_{kind}")
        try:
            LA, LB, _ = results.layouts(*out[3], progress=line, should_stop=jobs.should_stop)
        except CancelledError:
            status.caption("UMAP stopped: PCA maps shown.")
            return
        status.empty()
        draw(LA, LB, "UMAP")


def follow_button() -> str | None:
    follow = st.session_state.get(FOLLOW_KEY)
    label = ("Follow a digit" if follow is None
             else "Another digit" if follow != coloring.categories[-1] else "All digits")
    # no tooltip on the story's actions: on a projector it would cover the sentence above
    st.button(label, key="pr_follow", on_click=follow_next, args=(coloring.categories,), icon=":material/visibility:",
              wrap=True)
    return follow


def step_absolute() -> None:
    c = st.columns([5, 1.7], gap="large")
    with c[1]:
        follow = follow_button()
        st.metric("A reads B", f"{readout[0].absolute:.3f}",
                  help="Test accuracy of a classifier trained on A's absolute vectors, fed B's.")
        if chance is not None:
            st.metric("chance", f"{chance:.3f}", help="Always guessing the most frequent test digit.")
    with c[0]:
        show_maps("abs", follow=follow, stars=False)


def step_relative() -> None:
    c = st.columns([5, 1.7], gap="large")
    with c[1]:
        follow = follow_button()
        st.metric("A reads B", f"{readout[0].relative:.3f}",
                  help="A head trained on A's relative vectors, fed B's relative vectors: no retraining.")
        ps = loaders.pair_relative_stitching(story.SOURCE, enc_a, enc_b, anchors)
        ja = ps.encoders.index(enc_a)
        st.metric("A reads A", f"{ps.scores['relative'][ja, ja]:.3f}", help="The same head on its own encoder.")
    with c[0]:
        show_maps("rel", follow=follow, stars=True)


def step_stitching() -> None:
    fig = story.stitching_bars(readout, chance=chance, height=450)
    st.plotly_chart(fig, key="pr_bars", width="stretch", config={**figures.PLOTLY_CONFIG, "displayModeBar": False})


@panels.isolated("Rotation of B")
def step_rotation() -> None:
    seed = st.session_state.get(ROTATION_KEY)
    res = loaders.playground(story.SOURCE, enc_a, enc_b, anchors, "rotation", story.ROTATION_DEGREES,
                             int(seed or 0), False)
    sc = res["scores"].loc[f"B's head ({enc_b}) on B"]
    top = st.columns([1, 3], vertical_alignment="center")
    top[0].button("Rotate B" if seed is None else "Rotate B again", key="pr_rotate", on_click=rotate, type="primary",
                  icon=":material/rotate_right:")
    with top[1]:
        legend(coloring)
    head = st.columns([2, 2, 1.6], gap="large")
    head[0].markdown("### B before")
    head[1].markdown("### B after rotation" + (f" {seed}" if seed else ""))
    head[2].markdown("### B's own classifier")
    for row in ("absolute", "relative"):
        c = st.columns([2, 2, 1.6], gap="large", vertical_alignment="center")
        c[0].image(map_image(res["maps"][f"{row}_before"], height=280), width="stretch")
        before = f"{sc[f'{row} before']:.3f}"
        if seed is None:
            c[1].markdown("### Press **Rotate B**")
            c[2].metric(f"on {row} vectors", before)
        else:
            c[1].image(map_image(res["maps"][f"{row}_after"], height=280), width="stretch")
            c[2].metric(f"on {row} vectors", f"{sc[f'{row} after']:.3f}", f"was {before}", delta_color="off",
                         delta_arrow="off")
    if seed is not None:
        geo = {k: f"{v:.6f}".replace("-0.000000", "0.000000") for k, v in res["geometry"].items()}
        st.caption(f"Rotation {seed}: {story.ROTATION_DEGREES:.0f}° in every plane of a random basis. Mean cosine of "
                   f"each vector of B with its rotated self: absolute {geo['absolute']}, relative {geo['relative']}. "
                   "Maps: PCA of B before the rotation; the rotated vectors are placed in the same frame.")


def slide_maps() -> tuple[dict, str]:
    """The four maps for the slide download and their layout: UMAP once both rows are computed, else PCA (instant)."""
    rows = {"absolute": (story.SOURCE, enc_a, enc_b, None), "relative": (story.SOURCE, enc_a, enc_b, anchors)}
    umap = all(results.has_layouts(*results.layout_key(*k, METHOD, FRAME, **params)) for k in rows.values())
    out = {}
    for kind, key_args in rows.items():
        LA, LB, _ = (results.layouts(*results.layout_key(*key_args, METHOD, FRAME, **params)) if umap
                     else results.layouts(*key_args, "pca", FRAME))
        out[f"{kind}_A"], out[f"{kind}_B"] = LA, LB
    return out, "UMAP" if umap else "PCA"


step = current_step()
n = len(story.STEPS)
info = story.STEPS[step - 1]
with st.container(key="presenter"):
    top = st.columns([8, 1.2, 1.2], vertical_alignment="center")
    top[0].caption(f"Step {step} of {n} · {coll.name}: {enc_a} (A) and {enc_b} (B)")
    # the shortcuts show as ← and → on the buttons: no icons besides
    top[1].button("Back", key="pr_back", on_click=go, args=(step - 1,), disabled=step == 1, width="stretch",
                  shortcut="Left")
    top[2].button("Next", key="pr_next", on_click=go, args=(step + 1,), disabled=step == n, width="stretch",
                  type="primary", shortcut="Right")
    st.title(f"{step}. {info.title}")
    with st.container(key="presenter-lead"):
        st.markdown(info.lead.format(n_anchors=len(anchors)))
    with st.container(key=f"presenter-step{step}"):
        (step_absolute, step_relative, step_stitching, step_rotation)[step - 1]()
    bottom = st.columns([4, 1], vertical_alignment="center")
    page = st.session_state.get("_explore_page", info.page) if info.page == "pages/explore.py" else info.page
    with bottom[0]:
        st.page_link(page, label=info.link, icon=":material/open_in_new:")
        if st.session_state.get("source") not in (None, story.SOURCE):
            st.caption(f"That page shows your own session ({text.md(st.session_state['source'])}), not the story's data.")
    with bottom[1]:
        maps, how = slide_maps()
        slide_export.slide_downloads(maps, source=story.SOURCE, coll=coll, enc_a=enc_a, enc_b=enc_b, anchors=anchors,
                                     coloring=coloring, method=how, key="pr_slide")
