"""Long work survives faults: a failing panel stays in its panel; long layouts stop and stay stopped."""

import json

from core.methods.pair_stitching import stitch_pair
from dashboard import jobs, loaders, panels, results, score_figures
from tests.dashboard.apphelp import anchors_of, maps, metric, no_errors, start
from tests.dashboard.test_explore import expected_readout

PCA = {"method": "pca"}
READOUT = "B → A's head · relative"
#: markdown, HTML and a link in an error message: must be shown literally
NASTY = "layout exploded <b>bold</b> [click](http://example.com) ![img](http://example.com/x.png) **x** $y$"


def boom(*args, **kwargs):
    raise RuntimeError(NASTY)


def map_titles(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith(("**Absolute", "**Relative"))]


def panel_errors(at) -> list[str]:
    return [e.value for e in at.error]


def test_a_failing_layout_is_reported_in_the_maps_panel_only(monkeypatch, digits):
    at = start(**PCA)
    no_errors(at)
    anchors = anchors_of(at)
    readout = metric(at, READOUT)
    assert readout == expected_readout(digits, anchors) and len(maps(at)) == 4

    monkeypatch.setattr(results, "layouts", boom)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = panel_errors(at)
    assert len(errors) == 1, errors
    assert errors[0].startswith("**Maps** could not be shown: ") and panels.HINT in errors[0]
    # the message is one code span: its markdown/HTML is shown, not rendered
    assert f"`RuntimeError: {NASTY}`" in errors[0]
    assert any("Traceback" in c.value and "RuntimeError" in c.value for c in at.code)  # in the collapsed expander
    assert [e.label for e in at.expander if e.label.startswith("Details")] == ["Details (traceback)"]
    assert at.button(key="panel_retry_maps").label == "Retry"
    # the rest of the page: readout (same values), anchor controls, inspector, downloads; the session is intact
    assert metric(at, READOUT) == readout and metric(at, "Anchors") == "100"
    assert anchors_of(at) == anchors
    assert not maps(at) and not map_titles(at)
    assert any(h.value == "Inspect" for h in at.subheader)
    assert any(e.label.startswith("Download:") for e in at.expander)
    # anchor edits still work while the maps are broken, and the readout follows
    at.button(key="btn_clear").click().run()
    assert anchors_of(at) == () and metric(at, READOUT) == "n/a"
    assert next(m.delta for m in at.metric if m.label == READOUT) == "needs ≥ 2 anchors"
    at.button(key="btn_undo").click().run()
    assert anchors_of(at) == anchors and metric(at, READOUT) == readout
    # other pages still work
    at.switch_page("pages/stitching.py").run()
    no_errors(at)
    assert len(at.get("plotly_chart")) >= 2 and anchors_of(at) == anchors

    # the fault goes away: back on Explore, the maps are back
    monkeypatch.undo()
    at.switch_page("pages/explore.py").run()
    no_errors(at)
    assert len(maps(at)) == 4 and len(map_titles(at)) == 4
    assert all("PCA" in t for t in map_titles(at))
    assert anchors_of(at) == anchors and metric(at, READOUT) == readout


def test_retry_reruns_the_failed_panel(monkeypatch):
    at = start(**PCA)
    monkeypatch.setattr(results, "layouts", boom)
    at.run()
    assert at.button(key="panel_retry_maps")
    monkeypatch.undo()
    at.button(key="panel_retry_maps").click().run()
    no_errors(at)
    assert len(maps(at)) == 4


def test_a_failing_heatmap_leaves_the_drill_down_and_gallery(monkeypatch, digits):
    at = start("pages/stitching.py", **PCA)
    no_errors(at)
    anchors = anchors_of(at)
    monkeypatch.setattr(score_figures, "heatmaps_figure", boom)
    at.run()
    assert not at.exception
    errors = panel_errors(at)
    assert len(errors) == 1 and errors[0].startswith("**All encoder pairs** could not be shown"), errors
    # no heatmaps, but the drill-down below still has its numbers and chart, and the autoencoder section is there
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(specs) == 1 and "Confusion" in specs[0]["layout"]["title"]["text"]
    tr, te = digits.part("train"), digits.part("test")
    ps = stitch_pair(tr, te, anchors, head_encoder="mlp-s0", space_encoder="mlp-s1", mode="relative")
    assert metric(at, "Test accuracy") == f"{ps.accuracy:.3f}"
    assert any(s.value == "Autoencoders: reconstruction stitching" for s in at.subheader)
    assert anchors_of(at) == anchors
    monkeypatch.undo()
    at.button(key="panel_retry_all_encoder_pairs").click().run()
    no_errors(at)
    assert len(at.get("plotly_chart")) == 2


def test_a_known_error_keeps_its_message_without_a_traceback(monkeypatch):
    from core.errors import MismatchError

    def mismatch(*a, **k):
        raise MismatchError("XA has 10 rows but XB has 12; pass parallel spaces")

    at = start("pages/compare.py", **PCA)
    monkeypatch.setattr(loaders, "space_metrics", mismatch)
    at.run()
    assert not at.exception
    errors = panel_errors(at)
    assert errors == [f"**Space metrics** could not be shown: `XA has 10 rows but XB has 12; pass parallel spaces`"
                      f"\n\n{panels.HINT}"]
    assert not any("Traceback" in c.value for c in at.code)
    assert any(m.label == "Rank in B" for m in at.metric)  # the next panel drew


def test_the_sweep_can_be_shown_again_after_it_ran(digits):
    """A finished sweep reruns from its store (it used to fail: st.cache_data replayed its progress bar)."""
    at = start("pages/sweep.py", **PCA)
    at.multiselect(key="sw_strategies").set_value(["random"])
    at.multiselect(key="sw_counts").set_value([5, 20])
    at.button(key="sw_run").click().run()
    no_errors(at)
    at.radio(key="sw_mode").set_value("translated").run()
    no_errors(at)
    assert len(at.get("plotly_chart")) == 1 and "Translated" in json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    assert any(c.value == "Done: 2 anchor sets." for c in at.caption)


def test_a_cancelled_sweep_is_not_restarted_and_keeps_nothing(monkeypatch):
    at = start("pages/sweep.py", **PCA)
    at.multiselect(key="sw_strategies").set_value(["kmeans"])
    at.multiselect(key="sw_counts").set_value([5, 10])
    monkeypatch.setattr(jobs, "rerun_requested", lambda: True)  # the user acted while it ran
    at.button(key="sw_run").click().run()
    no_errors(at)
    assert any(c.value == "The sweep stopped; nothing was kept." for c in at.caption) and not at.get("plotly_chart")
    key = ("digits", "mlp-s0", "mlp-s1", (5, 10), ("kmeans",), (0,))
    assert key not in results._sweep_results()
    at.session_state[jobs.CANCELLED] = {("sweep", *key)}  # what the Cancel button's callback records
    at.run()
    assert any("The sweep was cancelled" in i.value for i in at.info)
    monkeypatch.undo()
    at.button(key="sw_run").click().run()
    no_errors(at)
    assert len(at.get("plotly_chart")) == 1


WINE_TSNE = {"source": "wine", "method": "tsne", "perplexity": 21.0}


def test_a_stopped_layout_keeps_the_preview_and_stores_nothing(monkeypatch):
    """While t-SNE runs, any interaction stops it (jobs.should_stop): the page keeps the PCA
    preview, nothing half-done is stored, and the same settings compute normally later."""
    monkeypatch.setattr(jobs, "rerun_requested", lambda: True)
    at = start(**WINE_TSNE)
    no_errors(at)
    anchors = anchors_of(at)
    titles = map_titles(at)
    assert len(titles) == 4 and all("preview while t-SNE computes" in t for t in titles), titles
    assert any(c.value == "t-SNE stopped: the maps show a preview." for c in at.caption)
    assert not results.has_layouts("wine", "mlp-s0", "mlp-s1", None, "tsne", "A", 15, 0.1, 21.0)
    monkeypatch.undo()
    at.run()
    no_errors(at)
    assert all("t-SNE" in t and "preview" not in t for t in map_titles(at)), map_titles(at)
    assert anchors_of(at) == anchors


def test_a_cancelled_layout_shows_the_preview_until_recompute(monkeypatch):
    at = start(source="wine", method="tsne", perplexity=22.0, n_neighbors=15)
    no_errors(at)
    anchors = anchors_of(at)
    abs_key = results.layout_key("wine", "mlp-s0", "mlp-s1", None, "tsne", "A", 15, 0.1, 22.0)
    assert results.has_layouts(*abs_key)
    # a new setting whose layouts the user cancelled (what the Cancel button's callback records)
    keys = {results.layout_key("wine", "mlp-s0", "mlp-s1", ids, "tsne", "A", 15, 0.1, 23.0) for ids in (None, anchors)}
    at.session_state[jobs.CANCELLED] = keys
    monkeypatch.setattr(results, "layout_pair", boom)  # a cancelled job must not start at all
    monkeypatch.setattr(results, "layout_pair_in_worker", boom)
    at.slider(key="perplexity").set_value(23.0).run()
    no_errors(at)
    titles = map_titles(at)
    assert len(titles) == 4 and all("PCA preview; t-SNE cancelled" in t for t in titles), titles
    info = [m.value for m in at.markdown]  # the cancelled line beside its Recompute button
    assert any("t-SNE of the absolute and relative maps cancelled" in i and "Recompute" in i for i in info), info
    assert anchors_of(at) == anchors and metric(at, "Anchors") == str(len(anchors))
    # another setting is another job: it runs (here: PCA, at once)
    at.radio(key="method").set_value("pca").run()
    no_errors(at)
    assert all("PCA" in t and "cancelled" not in t for t in map_titles(at))
    # back to the cancelled one: still cancelled; Recompute runs it
    at.radio(key="method").set_value("tsne").run()
    assert all("t-SNE cancelled" in t for t in map_titles(at))
    monkeypatch.undo()
    at.button(key="btn_recompute_maps").click().run()
    no_errors(at)
    assert all("t-SNE" in t and "preview" not in t for t in map_titles(at)), map_titles(at)
    assert not (at.session_state[jobs.CANCELLED] & keys)
