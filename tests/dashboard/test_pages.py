"""AppTest of the analysis pages: each runs on the digits default and on an unlabelled upload, and reacts."""

import json

import numpy as np
import pytest

from core.methods.metrics import compare_spaces
from core.methods.pair_stitching import stitch_pair
from core.methods.relative import relative_projection
from tests.dashboard.apphelp import anchors_of, metric, no_errors, on_upload, plotly_array, start, table

PCA = {"method": "pca"}


# ---------------------------------------------------------------- Stitching
def test_stitching_page_heatmaps_and_drill_down(digits):
    at = start("pages/stitching.py", **PCA)
    no_errors(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [a["text"] for a in spec["layout"]["annotations"]][:3] == [
        "Absolute", "Relative (100 anchors)", "Translated (Procrustes on 100 anchors)"]
    assert plotly_array(spec["data"][0]["z"]).size == len(digits.names) ** 2
    anchors = anchors_of(at)
    tr, te = digits.part("train"), digits.part("test")
    for mode in ("relative", "translated", "absolute"):
        at.radio(key="drill_mode").set_value(mode).run()
        no_errors(at)
        ps = stitch_pair(tr, te, anchors, head_encoder="mlp-s0", space_encoder="mlp-s1", mode=mode)
        assert metric(at, "Test accuracy") == f"{ps.accuracy:.3f}", mode
        assert metric(at, "Wrong") == f"{int((~ps.correct).sum())} of 360"
        shown = [i for i in at.get("image")]
        assert len(shown) >= min(12, int((~ps.correct).sum())), mode
    at.slider(key="n_worst").set_value(24).run()
    assert len(at.get("image")) == min(24, int((~ps.correct).sum()))


def test_stitching_page_autoencoder_gallery():
    at = start("pages/stitching.py", **PCA)
    at.selectbox(key="rec_decoder").set_value("ae-s1").run()
    at.button(key="btn_rec").click().run()
    no_errors(at)
    shown = table(at, -1)  # drawn readably: human headers, numbers as text
    assert list(shown.columns) == ["Space fed in", "Absolute MSE", "Relative MSE"]
    frame = shown.set_index("Space fed in").astype(float).rename(columns=lambda c: c.split()[0].lower())
    # fed its own space, both decoders redraw; fed the other autoencoder, only the relative one does
    assert frame.loc["ae-s1", "relative"] < 0.03 and frame.loc["ae-s0", "relative"] < 0.05
    assert frame.loc["ae-s0", "absolute"] > 2 * frame.loc["ae-s0", "relative"]
    # 1 original row + 2 encoders x 2 modes, 8 images each, plus the worst-stitched grid above
    assert len(at.get("image")) >= 5 * 8


def test_stitching_page_without_labels(unlabelled_source):
    at = start("pages/stitching.py", **on_upload(unlabelled_source), **PCA)
    no_errors(at)
    assert any("no labels" in i.value for i in at.info)


# ---------------------------------------------------------------- Compare
def test_compare_page_metrics_and_neighbours(digits):
    at = start("pages/compare.py", **PCA)
    no_errors(at)
    anchors = list(anchors_of(at))
    A, B = digits.spaces["mlp-s0"], digits.spaces["mlp-s1"]
    table = at.dataframe[0].value
    want = compare_spaces(relative_projection(A.vectors, A.take(anchors)), relative_projection(B.vectors, B.take(anchors)), k=10)
    assert table.loc["jaccard", "relative"] == pytest.approx(want["jaccard"])
    assert table.loc["jaccard", "absolute"] < 0.1 < table.loc["jaccard", "relative"]
    at.slider(key="cmp_k").set_value(5).run()
    assert at.dataframe[0].value.loc["mutual_knn", "relative"] != table.loc["mutual_knn", "relative"]
    label = "Overlap of the 8 neighbours in A and in B (absolute)"
    at.selectbox(key="knn_query").set_value(42).run()
    no_errors(at)
    before = metric(at, label)
    at.radio(key="knn_space").set_value("relative").run()
    after = metric(at, "Overlap of the 8 neighbours in A and in B (relative)")
    assert before.endswith("%") and after.endswith("%")
    assert len(at.get("image")) == 1 + 2 * 8  # the query and 8 neighbours per space


def test_compare_page_without_labels(unlabelled_source):
    at = start("pages/compare.py", **on_upload(unlabelled_source), **PCA)
    no_errors(at)
    assert at.dataframe[0].value.loc["linear_cka", "absolute"] > 0
    assert any(m.label.startswith("Overlap of the 8 neighbours") for m in at.metric)


# ---------------------------------------------------------------- Invariance playground
def test_playground_rotation_keeps_relative_and_breaks_absolute():
    at = start("pages/playground.py", **PCA)
    no_errors(at)
    rel = "B's head (mlp-s1) on B · relative"
    absol = "B's head (mlp-s1) on B · absolute"
    at.selectbox(key="pg_kind").set_value("none").run()
    rel0, abs0 = metric(at, rel), metric(at, absol)
    at.selectbox(key="pg_kind").set_value("rotation").run()
    at.slider(key="pg_strength_rotation").set_value(120.0).run()
    no_errors(at)
    assert metric(at, rel) == rel0
    assert float(metric(at, absol)) < float(abs0) - 0.5
    assert metric(at, "Relative vectors: mean cosine(before, after)") == "1.000"
    assert any("are invariant" in m.value for m in at.markdown)
    # translation: relative vectors move unless centred on the anchors
    at.selectbox(key="pg_kind").set_value("translation").run()
    at.slider(key="pg_strength_translation").set_value(3.0).run()
    assert float(metric(at, "Relative vectors: mean cosine(before, after)")) < 0.9
    assert any("*not* invariant" in m.value for m in at.markdown)
    at.checkbox(key="pg_center").check().run()
    assert metric(at, "Relative vectors: mean cosine(before, after)") == "1.000"
    assert len(at.get("plotly_chart")) == 4  # the playground's maps stay plain plotly charts


def test_playground_without_labels(unlabelled_source):
    at = start("pages/playground.py", **on_upload(unlabelled_source), **PCA)
    no_errors(at)
    assert metric(at, "Relative vectors: mean cosine(before, after)") == "1.000"
    assert any("no labels" in i.value for i in at.info)


# ---------------------------------------------------------------- Anchor sweep
def test_sweep_page_runs_with_progress_and_matches_core(digits):
    from core.methods.sweep import anchor_sweep

    at = start("pages/sweep.py", **PCA)
    no_errors(at)
    assert not at.get("plotly_chart")  # nothing runs before the button
    at.multiselect(key="sw_strategies").set_value(["random", "kdpp"])
    at.multiselect(key="sw_counts").set_value([5, 50])
    at.button(key="sw_run").click().run()
    no_errors(at)
    assert len(at.get("plotly_chart")) == 1
    shown = table(at, 0)  # drawn readably: "Anchors" then one column per strategy, 3 decimals
    assert list(shown.columns) == ["Anchors", "random", "kdpp"]
    pivot = shown.set_index(shown["Anchors"].astype(int)).drop(columns="Anchors").astype(float)
    want = anchor_sweep(digits.part("train"), digits.part("test"), [5, 50], pairs=[("mlp-s0", "mlp-s1")],
                        strategies=("kdpp",), modes=("relative",))
    assert pivot.loc[50, "kdpp"] == pytest.approx(want[want.n_anchors == 50].accuracy.iloc[0], abs=5e-4)
    assert pivot.loc[50, "random"] > pivot.loc[5, "random"]


def test_sweep_page_without_labels(unlabelled_source):
    at = start("pages/sweep.py", **on_upload(unlabelled_source))
    no_errors(at)
    assert any("no labels" in i.value for i in at.info)


# ---------------------------------------------------------------- Share & export
def test_export_page_shows_session_and_link(unlabelled_source):
    at = start("pages/export.py", **PCA)
    no_errors(at)
    assert any(c.value.startswith("?dataset=digits&enc_a=mlp-s0") for c in at.code)
    labels = [b.label for b in at.get("download_button")]
    assert "Save session (JSON)" in labels and "CSV" in labels and "Parquet" in labels
    assert any("All-pairs relative stitching" in lab for lab in labels)
    at = start("pages/export.py", **on_upload(unlabelled_source), **PCA)
    no_errors(at)
    assert not any("All-pairs" in b.label for b in at.get("download_button"))
