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


def test_stitching_page_explains_absolute_stitching_across_dims(digits):
    """mlp-s0 (64 dims) and ae-s0 (32): absolute stitching is the method's limit, said as such, not an error box."""
    assert digits.spaces["mlp-s0"].n_dims != digits.spaces["ae-s0"].n_dims
    at = start("pages/stitching.py", **PCA)
    at.selectbox(key="enc_b").set_value("ae-s0").run()
    at.radio(key="drill_mode").set_value("absolute").run()
    no_errors(at)
    note = [i.value for i in at.info if "No absolute stitching" in i.value]
    assert note and "64 dims" in note[0] and "32" in note[0] and "relative or translated" in note[0]
    assert not [m for m in at.metric if m.label == "Test accuracy"]
    at.radio(key="drill_mode").set_value("relative").run()
    no_errors(at)
    assert metric(at, "Test accuracy") is not None


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
def _relative(space, anchors):
    return relative_projection(space.vectors, space.take(anchors))


def test_compare_page_metrics_match_compare_spaces_at_every_k(digits):
    at = start("pages/compare.py", **PCA)
    no_errors(at)
    anchors = list(anchors_of(at))
    A, B = digits.spaces["mlp-s0"], digits.spaces["mlp-s1"]
    for k in (10, 5):
        if k != 10:
            at.slider(key="cmp_k").set_value(k).run()
            no_errors(at)
        table = at.dataframe[0].value
        assert list(table.columns) == ["Absolute", "Relative"]
        assert "Jaccard@k" in table.index and "jaccard" not in table.index  # human names
        for kind, (X, Y) in (("Absolute", (A.vectors, B.vectors)), ("Relative", (_relative(A, anchors), _relative(B, anchors)))):
            want = compare_spaces(X, Y, k=k)
            for name, key in (("Jaccard@k", "jaccard"), ("Mutual kNN@k", "mutual_knn"), ("RSA", "rsa"),
                              ("Debiased CKA", "debiased_cka"), ("MRR@5", "mrr")):
                # float32 neighbour lists may order a near-tie (cosines equal to ~1e-7) differently
                assert table.loc[name, kind] == pytest.approx(want[key], abs=2e-3), (kind, name, k)
    assert table.loc["Jaccard@k", "Absolute"] < 0.1 < table.loc["Jaccard@k", "Relative"]


def test_compare_page_dims_differ_reads_na(digits):
    at = start("pages/compare.py", enc_b="ae-s0", **PCA)
    no_errors(at)
    table = at.dataframe[0].value
    assert table[["Absolute"]].loc[["Jaccard@k", "MRR@5", "Mean cosine"]].isna().all().all()
    assert at.dataframe[0].proto.placeholder == "n/a"  # what the browser shows for them (not "None")
    assert table["Relative"].notna().all() and table.loc["Linear CKA", "Absolute"] > 0
    assert any("dims differ" in c.value or "64 dims and B 32" in c.value for c in at.caption)
    assert any("A has 64 dims and B 32" in i.value for i in at.info)  # the absolute lookup is n/a


def test_compare_page_leaves_out_the_all_pairs_metrics_of_large_datasets(monkeypatch):
    from dashboard import loaders

    monkeypatch.setattr(loaders, "PAIRWISE_UP_TO", 1000)  # digits has 1,797 samples
    loaders._space_metrics_without_k.clear()  # the bound is not a cache key: no table of another test
    at = start("pages/compare.py", **PCA)
    loaders._space_metrics_without_k.clear()
    no_errors(at)
    table = at.dataframe[0].value
    pairwise = ["MRR@5", "Debiased CKA", "RBF CKA", "RSA"]
    assert table.loc[pairwise].isna().all().all()
    assert table.drop(index=pairwise).notna().all().all()
    assert any("n/a above 1,000 samples" in c.value for c in at.caption)


def test_compare_page_lookup_is_the_papers_retrieval(digits):
    """x_i of A looked up among B: far down the ranking in absolute terms, near the top in relative ones."""
    at = start("pages/compare.py", **PCA)
    at.selectbox(key="knn_query").set_value(42).run()
    no_errors(at)
    anchors = list(anchors_of(at))
    A, B = digits.spaces["mlp-s0"], digits.spaces["mlp-s1"]
    q = int(A.positions([42])[0])

    def rank(X, Y):
        s = (X[q] / np.linalg.norm(X[q])) @ (Y / np.linalg.norm(Y, axis=1, keepdims=True)).T
        return 1 + int((s > s[q]).sum())

    ranks = [m.value for m in at.metric if m.label == "Rank in B"]
    want = [rank(A.vectors, B.vectors), rank(_relative(A, anchors), _relative(B, anchors))]
    assert ranks == [f"{r:,}" for r in want]
    assert want[1] < 20 < want[0]
    cosines = [m.value for m in at.metric if m.label == "Cosine"]
    assert float(cosines[0]) < 0.5 < 0.9 < float(cosines[1])
    assert len(at.get("image")) >= 1 + 2 * 8  # the query and the 8 found per row
    # within each space, 3 decimals and human headers; no None cells
    within = at.dataframe[1].value
    assert list(within.columns)[:3] == ["Rank", "A absolute", "cos in A (abs.)"]
    assert not within.isna().any().any()
    assert [m.label for m in at.metric if m.label.startswith("Overlap,")] == ["Overlap, absolute", "Overlap, relative"]


def test_compare_page_lists_the_least_agreeing_samples(digits):
    from core.methods.agreement import sample_agreement

    at = start("pages/compare.py", **PCA)
    no_errors(at)
    anchors = list(anchors_of(at))
    want = sample_agreement(digits.spaces["mlp-s0"], digits.spaces["mlp-s1"], anchors, k=10)
    images = at.get("image")
    worst = want["relative_cosine"].sort_values(kind="stable").head(16)
    captions = [i.proto.imgs[0].caption for i in images][-16:]
    assert captions == [f"id {i} · {v:.3f}" for i, v in worst.items()]
    at.selectbox(key="cmp_worst_by").set_value("agreement: absolute cosine").run()
    at.slider(key="cmp_worst_n").set_value(8).run()
    no_errors(at)
    worst = want["absolute_cosine"].sort_values(kind="stable").head(8)
    assert [i.proto.imgs[0].caption for i in at.get("image")][-8:] == [f"id {i} · {v:.3f}" for i, v in worst.items()]
    assert not at.get("page_link")
    at.button(key="btn_worst_highlight").click().run()
    no_errors(at)
    assert at.session_state["highlight_ids"] == tuple(worst.index)
    # the click says it worked, where it was made, and leads to the maps
    assert [p.proto.label for p in at.get("page_link")] == ["8 samples ringed on Explore's maps: open Explore & stitch"]


def test_compare_page_text_lists_sentences():
    at = start("pages/compare.py", source="text", **PCA)
    no_errors(at)
    table = at.dataframe[-1].value
    assert list(table.columns)[:4] == ["Rank", "Id", "Label", "relative cosine"] and "text" in table.columns
    assert not table.isna().any().any()
    assert table["relative cosine"].is_monotonic_increasing


def test_compare_page_without_labels(unlabelled_source):
    at = start("pages/compare.py", **on_upload(unlabelled_source), **PCA)
    no_errors(at)
    assert at.dataframe[0].value.loc["Linear CKA", "Absolute"] > 0
    assert any(m.label == "Rank in B" for m in at.metric)


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
    deltas = {m.label: m.proto.delta for m in at.metric}
    assert deltas[rel] == "same as before" and deltas[absol].endswith(" vs before")  # no arrow for +0.000
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


def test_playground_transforms_without_a_strength_say_what_they_draw():
    at = start("pages/playground.py", **PCA)
    at.selectbox(key="pg_kind").set_value("permutation").run()
    no_errors(at)
    said = [c.value for c in at.caption]
    assert "A random permutation of the axes, drawn from the seed; no strength to set." in said
    assert not [c for c in said if c.lower().startswith("unused")]


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
