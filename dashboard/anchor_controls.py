"""The anchor controls of Explore: the edits (buttons, typed ids, map selections) and their panel.

The edits are widget callbacks, so they run before the rerun that shows their result.
"""

import streamlit as st

from core.errors import StitchboardError
from core.methods.anchor_history import parse_ids
from core.methods.anchors import STRATEGIES
from dashboard import anchor_state, loaders, map_chart, panels, text
from dashboard.explore_maps import KINDS, SIDES, STAGES, chart_key, map_key
from dashboard.selection import selected_ids

#: Help of each strategy button.
STRATEGY_HELP = {
    "random": "uniform over the train split",
    "stratified": "class-balanced round robin (needs labels)",
    "kmeans": "the sample nearest each k-means centroid of A's space",
    "fps": "farthest-point sampling in A's space",
    "kdpp": "greedy k-DPP: diverse anchors in A's space (our own extension)",
}


def id_type(coll) -> type:
    """The type of the ids of ``coll`` as the user types or selects them: int or str."""
    return int if coll.ids.dtype.kind in "iu" else str


def train_flags(coll) -> dict:
    """Id -> whether the sample is in the train split (anchors come from it)."""
    return dict(zip(coll.ids.tolist(), (coll.split == "train").tolist()))


def describe_edit(old: tuple, new: tuple) -> str:
    """What changed between two anchor sets, for the status line ("added 3 (1, 2, 5)")."""
    added = [i for i in new if i not in set(old)]
    removed = [i for i in old if i not in set(new)]
    parts = []
    if added:
        parts.append(f"added {len(added)} ({', '.join(map(str, added[:8]))}{' …' if len(added) > 8 else ''})")
    if removed:
        parts.append(f"removed {len(removed)} ({', '.join(map(str, removed[:8]))}{' …' if len(removed) > 8 else ''})")
    return " and ".join(parts) if parts else "no change"


def on_strategy(strategy: str, *, source: str, enc_a: str) -> None:
    """Button callback: replace the anchors by (or fill them up with) a strategy's picks in A's space."""
    n, seed = int(st.session_state["n_anchors"]), int(st.session_state["seed"])
    fill = st.session_state.get("fill_mode") == "fill"
    try:
        picks = loaders.anchors(source, n, strategy, seed, enc_a)
    except (ValueError, TypeError, StitchboardError) as exc:
        anchor_state.fail(f"Could not pick {strategy} anchors: {exc}. Your anchors are unchanged.")
        return
    old = anchor_state.history()
    new = old.fill(picks, n_anchors=n) if fill else old.replace(picks)
    st.session_state["strategy"] = strategy
    verb = f"Filled up to {n}" if fill else f"Replaced by {n}"
    anchor_state.commit(new, f"{verb} {strategy} anchors (seed {seed}): {describe_edit(old.ids, new.ids)}.")


def on_typed(*, coll) -> None:
    """Button callback: toggle the typed ids (train samples of ``coll`` only)."""
    text = st.session_state.get("typed_ids", "")
    try:
        wanted = parse_ids(text, id_type(coll))
    except StitchboardError as exc:
        anchor_state.fail(f"{exc}. Your anchors are unchanged.")
        return
    if not wanted:
        anchor_state.fail("Type one or more ids first, e.g. 3, 17, 20-25.")
        return
    is_train = train_flags(coll)
    bad = [i for i in wanted if i not in is_train]
    test = [i for i in wanted if i in is_train and not is_train[i]]
    if bad or test:
        why = []
        if bad:
            why.append(f"{len(bad)} id(s) are not in this dataset: {bad[:10]}")
        if test:
            why.append(f"{len(test)} are test samples (anchors come from the train split): {test[:10]}")
        anchor_state.fail("; ".join(why) + ". Your anchors are unchanged.")
        return
    old = anchor_state.history()
    new = old.toggle(wanted)
    anchor_state.commit(new, f"Typed ids: {describe_edit(old.ids, new.ids)}.")
    anchor_state.set_inspected(wanted[:12])
    st.session_state["typed_ids"] = ""


def on_undo() -> None:
    old = anchor_state.history()
    new = old.undo()
    anchor_state.commit(new, f"Undo: {describe_edit(old.ids, new.ids)}.")


def on_clear() -> None:
    anchor_state.commit(anchor_state.history().clear(), "Cleared every anchor.")


def on_clear_highlight() -> None:
    anchor_state.set_highlight((), "Highlight cleared.")


def apply_map_selection(*, coll) -> None:
    """Act once on a new click/box/lasso selection in any map (keys carry the revision)."""
    rev = anchor_state.rev()
    ids_of = id_type(coll)
    for kind in KINDS:
        for side in SIDES:
            events = [st.session_state.get(chart_key(kind, side, stage, rev)) for stage in STAGES]
            events += [map_chart.selection(map_key(kind, side, stage)) for stage in STAGES]  # triggers: this run only
            for event in events:
                ids = selected_ids(event, id_type=ids_of)
                if not ids:
                    continue
                where = f"{'Absolute' if kind == 'abs' else 'Relative'} {side}"
                anchor_state.set_inspected(ids[:12])
                if st.session_state.get("pick_mode") == "highlight":
                    anchor_state.set_highlight(ids, f"Highlighted {len(ids)} sample(s) selected on {where} in every map.")
                    return
                is_train = train_flags(coll)
                picked = [i for i in ids if is_train.get(i)]
                n_test = len(ids) - len(picked)
                old = anchor_state.history()
                new = old.toggle(picked)
                note = f" {n_test} test sample(s) skipped: anchors come from the train split." if n_test else ""
                if picked:
                    anchor_state.commit(new, f"Selection on {where}: {describe_edit(old.ids, new.ids)}.{note}")
                else:
                    anchor_state.fail(f"Selection on {where}:{note} Nothing changed.")
                anchor_state.bump()  # fresh chart keys: this selection is never applied twice
                return


@panels.isolated("Anchor controls")
def show_anchor_controls(anchors: tuple, *, source: str, coll, enc_a: str) -> None:
    """The anchor count, undo / clear, typed ids, strategy buttons and the status line of the last edit."""
    hist = anchor_state.history()
    with st.container(border=True):
        c = st.columns([1.0, 2.2, 0.8, 0.8, 2.6])
        c[0].metric("Anchors", len(anchors), help="Train samples whose similarities form the relative vectors.")
        c[1].radio("A map selection…", ("anchors", "highlight"), key="pick_mode", horizontal=True,
                   format_func={"anchors": "toggles anchors", "highlight": "highlights samples"}.get,
                   help="Toggle: click a point, or box/lasso several (modebar tools). A group with any non-anchor "
                        "is added; a group of anchors only is removed. Highlight: ring the selected samples in all maps.")
        c[2].button("Undo", on_click=on_undo, disabled=not hist.can_undo, key="btn_undo", icon=":material/undo:",
                    help=f"{hist.n_undo} step(s) to undo")
        c[3].button("Clear", on_click=on_clear, disabled=not anchors, key="btn_clear", icon=":material/delete:")
        with c[4]:
            t1, t2 = st.columns([3, 1.3], vertical_alignment="bottom")
            t1.text_input("Toggle ids", key="typed_ids", placeholder="e.g. 3, 17, 20-25")
            t2.button("Toggle", on_click=on_typed, kwargs=dict(coll=coll), key="btn_typed")
        s = st.columns([0.9, 0.9, 1.5] + [1.0] * len(STRATEGIES), vertical_alignment="bottom")
        st.session_state["n_anchors"] = max(1, min(int(st.session_state["n_anchors"]), anchor_state.n_train(coll)))
        s[0].number_input("n", min_value=1, max_value=anchor_state.n_train(coll), step=10, key="n_anchors",
                          help="How many anchors a strategy button picks.")
        s[1].number_input("seed", min_value=0, max_value=2**31 - 1, step=1, key="seed")
        s[2].radio("Strategy buttons", ("replace", "fill"), key="fill_mode", horizontal=True,
                   format_func={"replace": "replace", "fill": "fill up to n"}.get,
                   help="replace: the set becomes the strategy's n picks. fill: keep your anchors and add the "
                        "strategy's picks until there are n.")
        for col, strategy in zip(s[3:], STRATEGIES):
            col.button(strategy, on_click=on_strategy, args=(strategy,), kwargs=dict(source=source, enc_a=enc_a),
                       key=f"btn_{strategy}", help=STRATEGY_HELP.get(strategy), width="stretch")
        err = st.session_state.get(anchor_state.ERROR)
        if err:
            st.error(text.md(err))
        else:
            msg = st.session_state.get(anchor_state.MESSAGE, "")
            hl = anchor_state.highlight()
            line = msg + (f" · {len(hl)} highlighted" if hl else "")
            if line:
                st.caption(text.md(line))
        if anchor_state.highlight():
            st.button("Clear highlight", on_click=on_clear_highlight, key="btn_clear_hl")
