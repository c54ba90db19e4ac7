"""The anchor controls of Explore: the edits (buttons, typed ids, map selections) and their panel.

The edits are widget callbacks, so they run before the rerun that shows their result.
"""

import streamlit as st

from core.errors import StitchboardError
from core.methods.anchor_history import parse_ids
from core.methods.anchors import SEEDLESS, STRATEGIES
from core.spaces.search import search_samples
from dashboard import anchor_state, figures, loaders, map_chart, panels, text
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


#: How many seeds after the typed one a strategy button tries when the typed seed's picks are the anchors already.
RESEED_TRIES = 5


def on_strategy(strategy: str, *, source: str, enc_a: str) -> None:
    """Button callback: replace the anchors by (or fill them up with) a strategy's picks in A's space.

    Pressing a button again asks for another set: when the typed seed picks the anchors the
    user has (the default set is random's picks for seed 0), the next seeds are tried, and
    the seed box then shows the one used. ``kdpp`` ignores the seed: it is not retried.
    """
    n, seed = int(st.session_state["n_anchors"]), int(st.session_state["seed"])
    fill = st.session_state.get("fill_mode") == "fill"
    old = anchor_state.history()
    typed = seed
    for seed in range(typed, typed + (1 if fill or strategy in SEEDLESS else RESEED_TRIES + 1)):
        try:
            picks = loaders.anchors(source, n, strategy, seed, enc_a)
        except (ValueError, TypeError, StitchboardError) as exc:
            anchor_state.fail(f"Could not pick {strategy} anchors: {exc}. Your anchors are unchanged.")
            return
        new = old.fill(picks, n_anchors=n) if fill else old.replace(picks)
        if new.ids != old.ids:
            break
    st.session_state["strategy"] = strategy
    if new.ids == old.ids:  # say why, and what to do
        if fill:
            why = f"Fill up to {n}: you have {len(old.ids)} anchors already, no change. Raise n to add {strategy} picks."
        elif strategy in SEEDLESS:
            why = (f"Your {len(old.ids)} anchors are {strategy}'s picks already, no change: {strategy} picks the same "
                   "set for every seed. Change n for another set.")
        else:
            why = (f"{strategy} picks your {len(old.ids)} anchors for seeds {typed} to {seed}, no change. "
                   "Change n for another set.")
        anchor_state.note(why)
        return
    st.session_state["seed"] = seed
    again = f"; seed {typed}'s are your anchors already" if seed != typed else ""
    verb = f"Filled up to {n}" if fill else f"Replaced by {n}"
    anchor_state.commit(new, f"{verb} {strategy} anchors (seed {seed}{again}): {describe_edit(old.ids, new.ids)}.")


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
    st.session_state[SEARCH] = ""


#: Widget key of the search box, and the most samples a search rings on the maps (each ring is an SVG shape).
SEARCH = "search_query"
MAX_RINGS = 500
#: What a click, box or lasso on a map does (widget ``pick_mode``); "inspect" leaves the experiment as it is.
PICK_MODES = {"inspect": ":material/info: inspect", "anchors": ":material/star: edit anchors",
              "highlight": ":material/radio_button_unchecked: highlight"}
#: What each click mode does (the help of the "Click on a map" control).
PICK_HELP = ("inspect: show the samples under the maps (the experiment stays as it is). edit anchors: a click, box or "
             "lasso toggles train samples as anchors (a group with any non-anchor is added; a group of anchors only is "
             "removed). highlight: ring the samples in all four maps.")


def on_search(*, coll) -> None:
    """Search box callback: ring the matches on every map and list them (an empty box clears the search)."""
    query = str(st.session_state.get(SEARCH, "")).strip()
    if not query:
        anchor_state.set_highlight((), "Search cleared.")
        return
    try:
        found = search_samples(coll.samples, query, limit=MAX_RINGS)
    except StitchboardError as exc:
        anchor_state.fail(f"Search {query!r}: {exc}")
        return
    by = ", ".join(f"{n} by {k}" for k, n in found.counts.items() if n)
    more = f" (the first {MAX_RINGS} ringed)" if found.n_found > MAX_RINGS else ""
    anchor_state.set_highlight(tuple(found.ids.tolist()),
                               f"Search {query!r}: {found.n_found} match(es){' — ' + by if by else ''}{more}; "
                               "ringed on every map and listed under the maps.")
    anchor_state.set_inspected(tuple(found.ids.tolist()[:12]))


def apply_map_selection(*, coll) -> None:
    """Act once on a new click/box/lasso selection in any map (keys carry the revision).

    What it does depends on the click mode (``pick_mode``): *inspect* (the default) only
    shows the samples under the maps; *edit anchors* toggles them as anchors; *highlight*
    rings them on every map.
    """
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
                anchor_state.set_inspected(ids[:500])
                mode = st.session_state.get("pick_mode", "inspect")
                if mode == "highlight":
                    anchor_state.set_highlight(ids, f"Highlighted {len(ids)} sample(s) selected on {where} in every map.")
                    return
                if mode != "anchors":
                    anchor_state.note(("Inspecting " + (f"id {ids[0]}" if len(ids) == 1 else f"{len(ids)} samples"))
                                      + f" from {where}: details and nearest neighbours under the maps. "
                                        "Anchors unchanged.")
                    anchor_state.bump()
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


def _strategy_controls(*, source: str, coll, enc_a: str) -> None:
    """The strategy buttons with their n / seed / replace-or-fill, and the typed ids (in the "Pick anchors" popover)."""
    n_train = anchor_state.n_train(coll)
    st.session_state["n_anchors"] = max(1, min(int(st.session_state["n_anchors"]), n_train))
    # A form: n, seed and replace-or-fill are the buttons' parameters, so typing them reruns nothing (a rerun redrew
    # the whole workbench). Enter does not submit: it would run the first strategy.
    with st.form("strategy_form", border=False, enter_to_submit=False):
        c = st.columns([1, 1, 1.6], vertical_alignment="bottom")
        c[0].number_input("n", min_value=1, max_value=n_train, step=10, key="n_anchors",
                          help="How many anchors a strategy button picks (the dataset's default set on a new dataset).")
        c[1].number_input("seed", min_value=0, max_value=2**31 - 1, step=1, key="seed")
        c[2].radio("Strategy buttons", ("replace", "fill"), key="fill_mode", horizontal=True,
                   format_func={"replace": "replace", "fill": "fill up to n"}.get,
                   help="replace: the set becomes the strategy's n picks. fill: keep your anchors and add the "
                        "strategy's picks until there are n.")
        with st.container(horizontal=True, gap="small"):
            for strategy in STRATEGIES:
                st.form_submit_button(strategy, on_click=on_strategy, args=(strategy,),
                                      kwargs=dict(source=source, enc_a=enc_a), key=f"btn_{strategy}",
                                      help=STRATEGY_HELP.get(strategy))
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        st.text_input("Toggle ids", key="typed_ids", placeholder="e.g. 3, 17, 20-25", width=220,
                      help="Add these train samples as anchors (or remove those that are anchors already).")
        st.button("Toggle", on_click=on_typed, kwargs=dict(coll=coll), key="btn_typed")


@panels.isolated("Anchor controls")
def show_anchor_controls(anchors: tuple, *, source: str, coll, enc_a: str) -> None:
    """The toolbar above the maps: click mode, stars, undo / clear, strategies, search; then the status
    line of the last action (one height whatever it says: the maps below never move).

    One wrapping row: on a narrow page the controls move to a second line instead of
    being squeezed (a squeezed button cuts its label: "U…" for Undo).
    """
    hist = anchor_state.history()
    with st.container(key="sb-toolbar"):
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.markdown("Click:", width="content", help=PICK_HELP)
            st.segmented_control("Click on a map", tuple(PICK_MODES), key="pick_mode", required=True,
                                 format_func=PICK_MODES.get, label_visibility="collapsed")
            st.markdown("Stars:", width="content", help="The anchors on all four maps: shown, faint (the clusters "
                                                        "show through) or hidden.")
            st.segmented_control("Stars", figures.ANCHOR_LOOKS, key="anchor_look", required=True,
                                 label_visibility="collapsed")
            with st.container(horizontal=True, gap="small", width="content"):  # wraps as one group
                st.button("Undo", on_click=on_undo, disabled=not hist.can_undo, key="btn_undo", icon=":material/undo:",
                          help=f"{hist.n_undo} step(s) to undo")
                st.button("Clear", on_click=on_clear, disabled=not anchors, key="btn_clear", icon=":material/delete:",
                          help="Remove every anchor.")
                # no help tooltip: it shows on focus, after the popover closes, over the controls beside it
                with st.popover("Pick anchors", icon=":material/auto_awesome:"):
                    _strategy_controls(source=source, coll=coll, enc_a=enc_a)
            with st.container(horizontal=True, gap="small", width="content", vertical_alignment="center"):
                st.text_input("Search", key=SEARCH, on_change=on_search, kwargs=dict(coll=coll), width=236,
                              placeholder="Search: id (3, 20-25), label, words", label_visibility="collapsed",
                              help="Rings the matching samples on every map and lists them under the maps. Prefix "
                                   "with id:, label: or text: to search one field only.")
                st.button("Clear highlight", on_click=on_clear_highlight, key="btn_clear_hl", icon=":material/close:",
                          disabled=not anchor_state.highlight())
    with st.container(key="sb-status"):
        err = st.session_state.get(anchor_state.ERROR)
        if err:
            st.error(text.md(err))
        else:
            msg = st.session_state.get(anchor_state.MESSAGE, "")
            hl = anchor_state.highlight()
            # the count first: a long message (an edit's ids) ends in an ellipsis on one line
            st.caption(text.md(" · ".join(p for p in (f"{len(hl)} highlighted" if hl else "", msg) if p)) or "\u00a0")
