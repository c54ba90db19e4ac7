"""AppTest of Explore & stitch: maps, readout and every anchor control, with selections injected."""

import json

import pytest

from dashboard.text import unmd
from dashboard.figures import PLOTLY_CONFIG
from tests.dashboard.apphelp import (anchors_of, legend, maps, metric, n_points, no_errors, on_upload, plotly_array,
                                     select_on_map, start)

from core.methods.stitching import stitching_matrix
from core.spaces.zoo import Zoo

PCA = {"method": "pca"}
#: Clicks on a map edit the anchors only in this mode (the default, "inspect", changes nothing).
EDIT = {"pick_mode": "anchors"}


def expected_readout(digits, anchors, a="mlp-s0", b="mlp-s1") -> str:
    """B → A's relative head accuracy, computed by core for these anchors, as the page prints it."""
    tr, te = digits.part("train"), digits.part("test")
    R = stitching_matrix({a: tr[a], b: tr[b]}, {a: te[a], b: te[b]}, list(anchors), modes=("relative",)).scores["relative"]
    return f"{R[0, 1]:.3f}"


def delta(at, label: str) -> str:
    return next(m.delta for m in at.metric if m.label == label)


def map_specs(at) -> list[dict]:
    return [m["fig"] for m in maps(at)]


def trace_names(spec) -> list[str]:
    return [t.get("name", "") for t in spec["data"]]


def test_first_visit_is_a_ready_umap_view_with_every_point(digits):
    at = start()  # the bundled default: digits, UMAP
    no_errors(at)
    titles = [m.value for m in at.markdown if m.value.startswith(("**Absolute", "**Relative"))]
    assert len(titles) == 4 and all("UMAP" in t for t in titles), titles
    assert metric(at, "Anchors") == "100"
    rel = float(metric(at, "B → A's head · relative"))
    assert rel == float(expected_readout(digits, anchors_of(at))) and rel > 0.9
    assert float(metric(at, "B → A's head · absolute")) < 0.3
    assert len(maps(at)) == 4
    for m in maps(at):
        assert n_points(m["fig"]) == digits.n_samples  # nothing sampled
        assert {t["type"] for t in m["fig"]["data"]} == {"scattergl"}
        assert m["stars"] == 100  # a star per anchor
        assert m["fig"]["layout"]["showlegend"] is False  # one legend for the four maps, not one each
        assert m["config"] == PLOTLY_CONFIG  # no "Share chart" (Plotly Cloud) button in the modebar
    lg = legend(at)
    assert [e["key"] for e in lg["entries"]] == [str(i) for i in range(10)] and lg["title"] == "label"
    assert [o["label"] for o in lg["overlays"]] == ["anchors (100)"] and lg["isolate"] is None
    assert at.session_state["pick_mode"] == "inspect"  # a click inspects until the user asks to edit
    assert any("Every one of the 1,797 digits samples" in c.value for c in at.caption)
    assert at.query_params["dataset"] == "digits" and at.query_params["method"] == "umap"


def test_a_large_collections_readout_is_computed_after_an_edits_maps_and_still_right(digits, monkeypatch):
    """From READOUT_IN_BACKGROUND_FROM samples the readout is computed in a server thread and drawn after the maps
    (here from 0 samples, on digits): beside the session's first maps, but after an edit's maps are laid out (beside
    them it took half the CPU from the layouts). The same numbers, after an edit too."""
    from dashboard import explore_maps, loaders, readouts

    monkeypatch.setattr(readouts, "READOUT_IN_BACKGROUND_FROM", 0)
    submitted, events = [], []
    real = readouts._Background.get

    def spy(self, key, fn, *args, **kwargs):
        fut = real(self, key, fn, *args, **kwargs)
        submitted.append((key, fut, args))
        events.append("readout")
        return fut
    monkeypatch.setattr(readouts._Background, "get", spy)
    real_maps = explore_maps.show_maps

    def maps_spy(*args, **kwargs):
        events.append("maps")
        return real_maps(*args, **kwargs)
    monkeypatch.setattr(explore_maps, "show_maps", maps_spy)
    at = start(**PCA, **EDIT)
    no_errors(at)
    before = anchors_of(at)
    assert submitted and submitted[-1][0][-1] == before  # the readout came from the server thread
    first = submitted[-1][1]
    assert events.index("readout") < events.index("maps"), events  # the first maps: started beside them
    assert metric(at, "B → A's head · relative") == expected_readout(digits, before)
    assert len(maps(at)) == 4
    new = next(int(i) for i in digits.ids[digits.split == "train"] if int(i) not in before
               and expected_readout(digits, before + (int(i),)) != expected_readout(digits, before))
    events.clear()
    select_on_map(at, [new], kind="rel", side="B")
    no_errors(at)
    assert events.index("maps") < events.index("readout"), events  # an edit: started once the maps were drawn
    assert submitted[-1][0][-1] == before + (new,) and submitted[-1][1].done()
    # from the relative vectors the maps were laid out from: A's and B's rows are not projected again
    relative = submitted[-1][2][3]
    assert relative is not None and set(relative) == {"mlp-s0", "mlp-s1"}
    assert all(R is loaders.map_vectors("digits", e, before + (new,)) for e, R in relative.items())
    assert metric(at, "Anchors") == "101"
    assert metric(at, "B → A's head · relative") == expected_readout(digits, before + (new,))
    # back to the anchors before (an undo): that readout is there already, not computed again
    at.button(key="btn_undo").click().run()
    no_errors(at)
    assert anchors_of(at) == before
    assert metric(at, "B → A's head · relative") == expected_readout(digits, before)
    assert submitted[-1][0][-1] == before and submitted[-1][1] is first


def test_background_readouts_of_a_pair_drop_older_queued_edits_and_recover_from_errors():
    import threading

    from dashboard.readouts import _Background

    bg, gate = _Background(keep=3), threading.Event()
    first = bg.get(("s", "a", "b", (1, 2)), gate.wait, 30)  # holds the one thread
    queued = bg.get(("s", "a", "b", (1, 3)), lambda: "old edit")
    other_pair = bg.get(("s", "a", "c", (1, 3)), lambda: "other pair")
    latest = bg.get(("s", "a", "b", (1, 4)), lambda: "latest")
    assert queued.cancelled() and not other_pair.cancelled() and not first.cancelled()
    gate.set()
    assert latest.result(timeout=30) == "latest" and other_pair.result(timeout=30) == "other pair"
    assert bg.get(("s", "a", "b", (1, 4)), lambda: "again") is latest  # a finished one is reused

    def boom():
        raise ValueError("broken")
    failed = bg.get(("s", "x", "y", (1,)), boom)
    with pytest.raises(ValueError, match="broken"):
        failed.result(timeout=30)
    assert bg.get(("s", "x", "y", (1,)), lambda: "retried").result(timeout=30) == "retried"


def test_click_on_a_map_toggles_one_anchor_and_the_readout_follows(digits):
    at = start(**PCA, **EDIT)
    before = anchors_of(at)
    new = next(int(i) for i in digits.ids[digits.split == "train"] if int(i) not in before
               and expected_readout(digits, before + (int(i),)) != expected_readout(digits, before))
    select_on_map(at, [new], kind="rel", side="B")
    no_errors(at)
    assert anchors_of(at) == before + (new,)
    assert metric(at, "Anchors") == "101"
    assert metric(at, "B → A's head · relative") == expected_readout(digits, before + (new,))
    assert metric(at, "Anchors") == "101"
    assert [m["stars"] for m in maps(at)] == [101] * 4
    # the same click again removes it; a list-shaped customdata works as well
    select_on_map(at, [new], kind="abs", side="A", as_dict=False)
    assert anchors_of(at) == before
    # the selection is acted on once: a rerun without a new selection changes nothing
    at.run()
    assert anchors_of(at) == before


def test_box_selection_adds_several_and_skips_test_samples(digits):
    at = start(**PCA, **EDIT)
    before = anchors_of(at)
    train = [int(i) for i in digits.ids[digits.split == "train"] if int(i) not in before][:5]
    test = [int(i) for i in digits.ids[digits.split == "test"]][:2]
    select_on_map(at, train + test + [before[0]], box=True)
    no_errors(at)
    assert anchors_of(at) == before + tuple(train)
    assert any("2 test sample(s) skipped" in unmd(c.value) for c in at.caption)
    # a group made only of anchors is removed as a group
    select_on_map(at, train, box=True)
    assert anchors_of(at) == before
    # only test samples: an error, anchors unchanged
    select_on_map(at, test)
    assert anchors_of(at) == before
    assert any("test sample" in unmd(e.value) for e in at.error)


def test_highlight_mode_rings_the_same_ids_in_all_maps():
    at = start(pick_mode="highlight", **PCA)
    before = anchors_of(at)
    select_on_map(at, [0, 1, 2], kind="abs", side="B")
    no_errors(at)
    assert anchors_of(at) == before
    assert at.session_state["highlight_ids"] == (0, 1, 2)
    assert [m["rings"] for m in maps(at)] == [3] * 4
    at.button(key="btn_clear_hl").click().run()
    assert [m["rings"] for m in maps(at)] == [0] * 4


@pytest.mark.parametrize("strategy", ["random", "stratified", "kmeans", "fps", "kdpp"])
def test_strategy_buttons_replace_or_fill(strategy, digits):
    at = start(seed=3, **PCA)
    at.number_input(key="n_anchors").set_value(30)
    at.button(key=f"btn_{strategy}").click().run()
    no_errors(at)
    ids = anchors_of(at)
    assert len(ids) == 30 and all(digits.split[i] == "train" for i in ids)
    assert at.session_state["strategy"] == strategy
    assert metric(at, "B → A's head · relative") == expected_readout(digits, ids)
    at.number_input(key="n_anchors").set_value(40)
    at.radio(key="fill_mode").set_value("fill")
    at.button(key=f"btn_{strategy}").click().run()
    filled = anchors_of(at)
    assert len(filled) == 40 and filled[:30] == ids


def test_pressing_a_strategy_again_draws_another_set_with_the_next_seed(digits):
    """The default set is random's picks for seed 0: pressing random asks for another set, so seed 1 is used
    (and shown); a fill that has nothing to add says so once, and what to do."""
    from core.methods.anchors import select_anchors

    at = start(**PCA)
    before = anchors_of(at)
    at.button(key="btn_random").click().run()
    no_errors(at)
    after = anchors_of(at)
    assert after != before and len(after) == len(before)
    train_a = digits.part("train")["mlp-s0"]
    assert after == tuple(select_anchors(train_a, len(before), strategy="random", random_state=1).tolist())
    assert at.number_input(key="seed").value == 1  # the seed box shows the seed used
    said = " ".join(unmd(c.value) for c in at.caption)  # as read: markdown escapes undone
    assert "random anchors (seed 1; seed 0's are your anchors already)" in said
    at.button(key="btn_random").click().run()  # seed 1 is typed now: the same press draws seed 2's set
    assert at.number_input(key="seed").value == 2 and anchors_of(at) != after
    at.number_input(key="n_anchors").set_value(len(before))
    at.radio(key="fill_mode").set_value("fill")
    at.button(key="btn_kmeans").click().run()
    said = " ".join(unmd(c.value) for c in at.caption)
    assert len(anchors_of(at)) == len(before) and "Raise n to add kmeans picks" in said
    assert said.count("no change") == 1 and at.number_input(key="seed").value == 2  # a fill keeps the seed
    at.radio(key="fill_mode").set_value("replace")
    at.button(key="btn_kdpp").click().run()
    picked = anchors_of(at)
    at.button(key="btn_kdpp").click().run()  # kdpp ignores the seed: nothing else to draw, and the seed stays
    said = " ".join(unmd(c.value) for c in at.caption)
    assert anchors_of(at) == picked and at.number_input(key="seed").value == 2
    assert "kdpp picks the same set for every seed" in said and said.count("no change") == 1


def test_strategy_parameters_are_a_form_so_typing_them_reruns_nothing():
    at = start(**PCA)
    form = at.button(key="btn_random").proto.form_id
    assert form, "the strategy buttons submit a form"
    assert at.number_input(key="n_anchors").proto.form_id == form
    assert at.number_input(key="seed").proto.form_id == form
    assert at.radio(key="fill_mode").proto.form_id == form
    assert at.text_input(key="typed_ids").proto.form_id == "", "Toggle ids is not one of the strategies' parameters"


def test_typed_ids_undo_and_clear(digits):
    at = start(**PCA)
    before = anchors_of(at)
    train = [int(i) for i in digits.ids[digits.split == "train"] if int(i) not in before]
    a, b = train[0], train[1]
    at.text_input(key="typed_ids").input(f"{a}, {b}")
    at.button(key="btn_typed").click().run()
    assert anchors_of(at) == before + (a, b)
    assert at.text_input(key="typed_ids").value == ""
    # bad input: an error and nothing changes
    test_id = int(digits.ids[digits.split == "test"][0])
    for text, msg in (("x", "not an integer id"), (str(test_id), "test samples"), ("99999", "not in this dataset")):
        at.text_input(key="typed_ids").input(text)
        at.button(key="btn_typed").click().run()
        assert anchors_of(at) == before + (a, b)
        assert any(msg in unmd(e.value) for e in at.error), (text, [e.value for e in at.error])
    at.button(key="btn_clear").click().run()
    assert anchors_of(at) == () and metric(at, "Anchors") == "0"
    assert metric(at, "B → A's head · relative") == "n/a" and delta(at, "B → A's head · relative") == "needs ≥ 2 anchors"
    assert not at.exception
    at.button(key="btn_undo").click().run()
    assert anchors_of(at) == before + (a, b)
    at.button(key="btn_undo").click().run()
    assert anchors_of(at) == before


def test_colour_by_stitching_outcome_and_continuous_column():
    at = start(color_by="stitched correctly?", **PCA)
    no_errors(at)
    names = trace_names(map_specs(at)[0])
    assert {"correct", "wrong", "train (not scored)"} <= set(names)
    at = start(source="wine", color_by="alcohol", **PCA)
    no_errors(at)
    spec = map_specs(at)[0]
    assert spec["data"][0]["marker"]["colorbar"]["title"]["text"] == "alcohol"
    assert len(plotly_array(spec["data"][0]["marker"]["color"])) == 178


FAIR = "Absolute B has its own layout"


def test_tsne_layout_and_dims_differ(digits):
    at = start(method="tsne", source="wine", perplexity=20.0)
    no_errors(at)
    titles = [m.value for m in at.markdown if m.value.startswith(("**Absolute", "**Relative"))]
    assert len(titles) == 4 and all("t-SNE" in t for t in titles), titles
    # t-SNE always gives B its own layout: the map says so, and why it can look as tidy as Relative B
    assert "not A's frame" in titles[1] and "not A's frame" not in titles[0] + titles[2] + titles[3]
    assert any(f"{FAIR} (t-SNE cannot place new points)" in unmd(c.value) for c in at.caption)
    assert at.radio(key="frame").disabled  # "Place B in A's frame" cannot apply
    at = start(enc_b="mlp-wide-s0", **PCA)
    no_errors(at)
    assert not at.radio(key="frame").disabled
    assert metric(at, "B → A's head · absolute") == "n/a"
    assert delta(at, "B → A's head · absolute") == f"dims differ ({digits.dim('mlp-wide-s0')} vs {digits.dim('mlp-s0')})"
    titles = [m.value for m in at.markdown if m.value.startswith(("**Absolute", "**Relative"))]
    assert "not A's frame" in titles[1] and "not A's frame" not in titles[0] + titles[2] + titles[3]
    assert any(f"{FAIR} (its dims differ from A's)" in unmd(c.value) for c in at.caption)
    # the same encoders in A's frame with PCA: a fair picture, no note
    at = start(**PCA)
    assert not any(FAIR in c.value for c in at.caption)


def test_every_bundled_dataset_and_an_unlabelled_upload(unlabelled_source):
    for dataset in ("wine", "breast_cancer", "text"):
        at = start(source=dataset, **PCA)
        no_errors(at)
        assert len(maps(at)) == 4, dataset
        # the strategy buttons' n is the dataset's default set size (35 wines, 60 sentences...), not 100
        n_train = int((Zoo(dataset).collection().split == "train").sum())
        assert at.session_state["n_anchors"] == len(anchors_of(at)) == min(100, n_train // 4), dataset
        rel = float(metric(at, "B → A's head · relative"))
        n_classes = len(set(Zoo(dataset).collection().labels.tolist()))
        assert 1.5 / n_classes < rel <= 1.0, (dataset, rel)  # clearly better than chance
        # a click shows the sample itself in the inspector: the sentence, or the row's values
        samples = Zoo(dataset).collection().samples
        at.session_state["pick_mode"] = "highlight"
        select_on_map(at, [int(samples["id"].iloc[0])])
        no_errors(at)
        if dataset == "text":
            assert any(str(samples["text"].iloc[0]) in unmd(m.value) for m in at.markdown)
        else:
            col = samples.columns[3]  # the first feature
            assert any(f"`{col}` {samples[col].iloc[0]:.4g}" in unmd(m.value) for m in at.markdown), col
    at = start(**on_upload(unlabelled_source), **PCA)
    no_errors(at)
    assert len(maps(at)) == 4
    assert any("no labels" in i.value for i in at.info)
    assert metric(at, "Anchors") == "80"  # a quarter of the 320 train samples
    before = anchors_of(at)
    at.button(key="btn_stratified").click().run()  # needs labels: an error, the anchors stay
    assert anchors_of(at) == before
    assert any("stratified" in unmd(e.value) and "labels" in unmd(e.value) for e in at.error)
    at.button(key="btn_kmeans").click().run()
    # n follows the dataset's starting count (80 here), not another dataset's 100
    assert not at.exception and len(anchors_of(at)) == 80 and anchors_of(at) != before


def test_inspector_says_what_the_stitched_head_predicts_for_a_selected_test_sample():
    samples = Zoo("digits").collection().samples
    test_id = int(samples.loc[samples["split"] == "test", "id"].iloc[0])
    at = start(pick_mode="highlight", **PCA)
    no_errors(at)
    texts = [unmd(c.value) for c in (*at.caption, *at.markdown)]
    assert not any("head predicts" in t for t in texts)  # nothing inspected yet: no per-sample predictions
    select_on_map(at, [test_id])
    no_errors(at)
    texts = [unmd(c.value) for c in (*at.caption, *at.markdown)]
    assert any("B → A's relative head predicts" in t and ("✓" in t or "✗" in t) for t in texts), texts[-8:]


def test_without_the_shipped_plotly_js_the_maps_are_plotly_charts(monkeypatch, digits):
    """If the plotly package does not ship plotly.min.js (map_chart cannot load it), the maps are drawn
    by st.plotly_chart: every point, the stars as a trace, and a click still toggles an anchor."""
    from dashboard import map_chart

    monkeypatch.setattr(map_chart, "available", lambda: False)
    at = start(**PCA, **EDIT)
    no_errors(at)
    assert not maps(at)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(specs) == 4
    for chart, spec in zip(at.get("plotly_chart"), specs):
        assert sum(len(plotly_array(t["x"])) for t in spec["data"] if not t["name"].startswith("anchors")) == digits.n_samples
        assert "anchors (100)" in trace_names(spec)
        assert json.loads(chart.proto.config) == PLOTLY_CONFIG  # no "Share chart" (Plotly Cloud) button
    before = anchors_of(at)
    new = next(int(i) for i in digits.ids[digits.split == "train"] if int(i) not in before)
    sel = {"points": [{"customdata": [new]}], "point_indices": [0], "box": [], "lasso": []}
    at.session_state[f"map_rel_A_fin_{at.session_state['anchor_rev']}"] = {"selection": sel}
    at.run()
    no_errors(at)
    assert anchors_of(at) == before + (new,)
    assert all("anchors (101)" in trace_names(json.loads(c.proto.spec)) for c in at.get("plotly_chart"))


def _preloads(at) -> int:
    return sum(1 for c in at.get("bidi_component")
               if c.proto.component_name == "stitchboard_plotly_preload" and json.loads(c.proto.json).get("preload"))


def test_a_first_visit_previews_as_images_while_plotly_js_loads(monkeypatch):
    """A first visit's previews are snapshot images, not charts (the browser draws the final maps alone), and
    plotly.js loads meanwhile; a preview that stays (the layout stopped) becomes a chart on the next run."""
    from dashboard import jobs

    monkeypatch.setattr(jobs, "rerun_requested", lambda: True)  # the layout stops at once: the previews stay
    at = start(source="wine", method="tsne", perplexity=26.0)  # a setting no other test computes
    no_errors(at)
    titles = [m.value for m in at.markdown if m.value.startswith(("**Absolute", "**Relative"))]
    assert len(titles) == 4 and all("preview while t-SNE computes" in t for t in titles), titles
    assert maps(at) == [] and _preloads(at) == 1
    images = [h.proto.body for h in at.get("html") if "data:image/png;base64" in h.proto.body]
    assert len(images) == 4 and all("the interactive map comes with t-SNE" in b for b in images)
    monkeypatch.undo()
    at.run()
    no_errors(at)
    assert len(maps(at)) == 4 and _preloads(at) == 0


def test_an_edit_keeps_a_large_collections_readout_on_screen_until_the_new_one(digits, monkeypatch, sent_deltas):
    """The readout of a large collection is drawn in a place held for it: the last readout stays until then.
    An st.empty() there blanked it for the whole edit (at 1M rows, half a minute)."""
    from dashboard import readouts

    monkeypatch.setattr(readouts, "READOUT_IN_BACKGROUND_FROM", 0)
    at = start(**PCA, **EDIT)
    no_errors(at)
    before = anchors_of(at)
    new = next(int(i) for i in digits.ids[digits.split == "train"] if int(i) not in before)
    sent_deltas.clear()
    select_on_map(at, [new], kind="rel", side="B")
    no_errors(at)
    assert metric(at, "B → A's head · relative") == expected_readout(digits, before + (new,))
    blanked = [p for i, (p, what) in enumerate(sent_deltas) if what == "empty"
               and any(q == p for q, _ in sent_deltas[i + 1:])]  # an empty first, then what fills the place
    assert sent_deltas and not blanked, blanked


def test_waiting_for_a_large_readout_gives_way_to_a_newer_interaction(monkeypatch):
    """The run waits for the server thread's readout by polling: a newer interaction's run starts at once."""
    import threading
    import time

    from dashboard import loaders, readouts

    gate = threading.Event()
    bg = readouts._Background()
    monkeypatch.setattr(readouts, "_background", lambda: bg)
    monkeypatch.setattr(readouts, "readout_in_background", lambda source, anchor_ids: True)
    monkeypatch.setattr(loaders, "_pair_inputs", lambda *a: ({}, {}))
    monkeypatch.setattr(readouts, "stitching_matrix", lambda *a, **k: gate.wait(30))
    asked = []
    t0 = time.perf_counter()
    assert not readouts.wait_relative_readout("s", "a", "b", (1, 2), should_stop=lambda: asked.append(1) or len(asked) > 2)
    assert time.perf_counter() - t0 < 5 and len(asked) == 3  # gave up when asked, the readout still running
    gate.set()
    assert readouts.wait_relative_readout("s", "a", "b", (1, 2), should_stop=lambda: False)
    assert readouts.finished_relative_readout("s", "a", "b", (1, 2)) is not None
