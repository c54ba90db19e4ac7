"""AppTest of what a first-time viewer reads on Stitching, Playground, Sweep and Data (issue 22).

Colour bars on the heatmaps, a playground banner that says what the numbers show, the
zero-wrong case, the anchor-count fields following the dataset, an absolute baseline in
the sweep, upload boxes that list only what is read, and tables with human headers.
Every expectation is computed here from core, independently of the page.
"""

import json
import pickle

import numpy as np
import pytest

from core.io.embeddings import EMBEDDING_FORMATS
from core.io.files import PICKLE_SUFFIXES
from core.io.models import MODEL_FORMATS
from core.methods.pair_stitching import stitch_pair
from core.methods.playground import transform_effect
from core.methods.transforms import transform_space
from core.spaces.zoo import Zoo
from dashboard.text import unmd
from tests.dashboard.apphelp import anchors_of, no_errors, plotly_array, start, table

PCA = {"method": "pca"}


@pytest.fixture(scope="module")
def zoo():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = Zoo(name).collection()
        return cache[name]

    return get


def _charts(at) -> list[tuple[dict, dict]]:
    """(figure spec, config) of each plotly chart on the page."""
    return [(json.loads(c.proto.spec), json.loads(c.proto.config)) for c in at.get("plotly_chart")]


def _start_n(coll) -> int:
    """The dataset's starting anchor count: a quarter of the train split, at most 100."""
    return max(2, min(100, int((coll.split == "train").sum()) // 4))


# ---------------------------------------------------------------- heatmaps and confusion: colour bars
def test_heatmaps_share_one_accuracy_colour_bar_and_confusion_colours_shares(zoo):
    digits = zoo("digits")
    at = start("pages/stitching.py", **PCA)
    no_errors(at)
    (heat, heat_config), (conf, conf_config) = _charts(at)[:2]
    traces = [t for t in heat["data"] if t["type"] == "heatmap"]
    assert len(traces) == 3 and all(t["coloraxis"] == "coloraxis" for t in traces)
    assert not any(t.get("showscale") or "colorbar" in t for t in traces)  # one bar, the shared axis's
    axis = heat["layout"]["coloraxis"]
    assert (axis["cmin"], axis["cmax"]) == (0, 1) and axis["colorbar"]["title"]["text"] == "test accuracy"
    # the "Share chart" (Plotly Cloud upload) button is off on every chart
    assert heat_config["showSendToCloud"] is False and conf_config["showSendToCloud"] is False

    ps = stitch_pair(digits.part("train"), digits.part("test"), anchors_of(at), head_encoder="mlp-s0",
                     space_encoder="mlp-s1", mode="relative")
    counts = ps.confusion()
    (trace,) = conf["data"]
    np.testing.assert_array_equal(plotly_array(trace["text"]).reshape(counts.shape).astype(int), counts)
    np.testing.assert_allclose(plotly_array(trace["z"]).reshape(counts.shape), counts / counts.sum(1, keepdims=True))
    assert (trace["zmin"], trace["zmax"]) == (0, 1) and trace["colorbar"]["title"]["text"] == "share of the true class"


# ---------------------------------------------------------------- drill-down without failures
def test_a_pair_without_failures_says_so(zoo):
    wine = zoo("wine")
    at = start("pages/stitching.py", source="wine", **PCA)
    no_errors(at)
    ps = stitch_pair(wine.part("train"), wine.part("test"), anchors_of(at), head_encoder="mlp-s0",
                     space_encoder="mlp-s1", mode="relative")
    assert int((~ps.correct).sum()) == 0  # the case under test: every test sample right
    texts = [m.value for m in at.markdown]
    assert any(t.startswith(f"**No test sample is stitched wrongly**: all {len(ps.ids)}") for t in texts)
    assert not any("The 0" in t for t in texts) and not at.get("image") and not at.slider


# ---------------------------------------------------------------- the anchor-count fields follow the dataset
def test_the_n_field_follows_the_dataset_until_the_user_sets_it(zoo):
    at = start("pages/explore.py", source="text", **PCA)
    no_errors(at)
    assert at.number_input(key="n_anchors").value == _start_n(zoo("text")) == len(anchors_of(at))
    at.selectbox(key="dataset").set_value("wine").run()
    assert at.number_input(key="n_anchors").value == _start_n(zoo("wine")) == len(anchors_of(at))
    at.number_input(key="n_anchors").set_value(20)
    at.button(key="btn_random").click().run()  # n is a strategy button's parameter: set once pressed
    assert len(anchors_of(at)) == 20
    at.selectbox(key="dataset").set_value("digits").run()
    no_errors(at)
    assert at.number_input(key="n_anchors").value == 20  # the user's count is kept


def test_a_link_with_the_starting_count_still_follows_the_dataset(zoo):
    at = start("pages/explore.py", query={"dataset": "text", "n_anchors": str(_start_n(zoo("text")))}, **PCA)
    no_errors(at)
    at.selectbox(key="dataset").set_value("wine").run()
    assert at.number_input(key="n_anchors").value == _start_n(zoo("wine"))
    chosen = start("pages/explore.py", query={"dataset": "text", "n_anchors": "17"}, **PCA)
    chosen.selectbox(key="dataset").set_value("wine").run()
    assert chosen.number_input(key="n_anchors").value == 17


def test_the_sweep_counts_follow_the_dataset(zoo):
    at = start("pages/sweep.py", source="text")
    no_errors(at)
    for name in ("text", "wine"):
        coll = zoo(name)
        n_train, start_n = int((coll.split == "train").sum()), _start_n(coll)
        box = at.multiselect(key="sw_counts")
        assert start_n in box.value and str(start_n) in box.options  # AppTest lists options as shown
        assert max(int(o) for o in box.options) <= n_train and max(box.value) <= n_train
        at.selectbox(key="dataset").set_value("wine").run()


# ---------------------------------------------------------------- the sweep's absolute baseline
def test_the_sweep_draws_the_absolute_baseline_where_dims_match(zoo):
    digits = zoo("digits")
    at = start("pages/sweep.py", **PCA)
    at.multiselect(key="sw_strategies").set_value(["random"])
    at.multiselect(key="sw_counts").set_value([5, 20])
    at.button(key="sw_run").click().run()
    no_errors(at)
    (fig, _), = _charts(at)
    (line,) = [t for t in fig["data"] if t.get("meta") == "baseline"]
    want = stitch_pair(digits.part("train"), digits.part("test"), [], head_encoder="mlp-s0", space_encoder="mlp-s1",
                       mode="absolute").accuracy
    assert plotly_array(line["y"]).tolist() == pytest.approx([want, want])
    assert plotly_array(line["x"]).tolist() == [5, 20] and "absolute B → A" in line["name"]
    # ae-s0 has 32 dims, mlp-s0 64: no line, and the figure and the caption say why
    at.selectbox(key="enc_b").set_value("ae-s0").run()
    at.button(key="sw_run").click().run()
    no_errors(at)
    (fig, _), = _charts(at)
    assert not [t for t in fig["data"] if t.get("meta") == "baseline"]
    why = "No absolute baseline: A has 64 dims and B 32"
    assert why in fig["layout"]["title"]["subtitle"]["text"] and any(why in c.value for c in at.caption)


# ---------------------------------------------------------------- the playground's banner follows the numbers
def _banner(at):
    boxes = [(kind, unmd(e.value)) for kind in ("success", "warning", "info") for e in getattr(at, kind)
             if e.value.startswith("**Measured")]
    assert len(boxes) == 1, boxes
    return boxes[0]


def _effect(coll, anchors, b, kind, strength):
    moved = transform_space(coll.spaces[b].vectors, kind=kind, strength=strength, random_state=0)
    return transform_effect(coll, coll.names[0], b, moved, list(anchors))


def _says(banner: str, scores, mode: str) -> None:
    """The banner names each readout of ``mode`` with its measured before, after and verdict."""
    for name, row in scores.iterrows():
        before, after = row[f"{mode} before"], row[f"{mode} after"]
        verb = "moved" if abs(after - before) > 0.01 else "stayed"
        assert f"{name.split(' (')[0]} {verb} {before:.3f} → {after:.3f}" in banner, (name, mode, banner)


def test_the_translation_banner_says_what_moved(zoo):
    digits = zoo("digits")
    at = start("pages/playground.py", **PCA)
    at.selectbox(key="pg_kind").set_value("translation").run()
    no_errors(at)
    assert any("*not* invariant" in m.value for m in at.markdown)  # the theory: cosines change
    res = _effect(digits, anchors_of(at), "mlp-s1", "translation", 1.0)
    s = res["scores"]
    rel_moved = (s["relative after"] - s["relative before"]).abs().max() > 0.01
    kind, banner = _banner(at)
    assert res["geometry"]["relative"] < 0.99  # the relative vectors did change...
    assert f"vectors changed (mean cosine before/after {res['geometry']['relative']:.3f}" in banner
    if rel_moved:
        assert kind == "warning" and "the relative readout moved" in banner
    else:  # ...yet the heads' accuracy may not: the banner must not claim it moved
        assert kind == "success" and "stayed within 0.01, although the relative vectors changed" in banner
        assert f"{res['geometry']['relative_standardised']:.3f} once each is standardised" in banner
    _says(banner, s, "relative")
    _says(banner, s, "absolute")


def test_the_banner_on_text_and_under_rotation(zoo):
    text = zoo("text")
    at = start("pages/playground.py", source="text", **PCA)
    at.selectbox(key="pg_kind").set_value("translation").run()
    res = _effect(text, anchors_of(at), "lsa-bigram", "translation", 1.0)
    kind, banner = _banner(at)
    moved = (res["scores"]["relative after"] - res["scores"]["relative before"]).abs().max() > 0.01
    assert kind == ("warning" if moved else "success")
    _says(banner, res["scores"], "relative")
    at.selectbox(key="pg_kind").set_value("rotation").run()
    kind, banner = _banner(at)
    res = _effect(text, anchors_of(at), "lsa-bigram", "rotation", 90.0)
    assert kind == "success" and "**Relative:** vectors unchanged (mean cosine before/after 1.000)" in banner
    _says(banner, res["scores"], "relative")
    _says(banner, res["scores"], "absolute")


def test_a_readout_that_does_not_apply_says_why():
    at = start("pages/playground.py", enc_b="ae-s0", **PCA)
    no_errors(at)
    na = [m for m in at.metric if m.value == "n/a"]
    assert [m.label for m in na] == ["A's head (mlp-s0) on B · absolute"]
    assert any(c.value == "n/a: absolute stitching needs equal dims; A has 64, B has 32." for c in at.caption)
    assert "A's head n/a (A has 64 dims, B has 32)." in _banner(at)[1]


# ---------------------------------------------------------------- upload boxes list what is read
def test_upload_boxes_list_only_what_is_read_and_a_pickle_gets_our_message(tmp_path):
    at = start("pages/data.py")
    box = at.file_uploader(key="upload_files")
    # no type filter (Streamlit's would refuse a pickle with its own words); the label lists the formats read
    assert list(box.proto.type) == []
    for suffix in EMBEDDING_FORMATS + MODEL_FORMATS:
        assert suffix in box.label
    assert not any(p in box.label.lower() for p in PICKLE_SUFFIXES)
    box.set_value([("weights.pkl", pickle.dumps({"w": [1, 2]}), "application/octet-stream")]).run()
    at.button(key="upload_go").click().run()
    (err,) = at.error
    assert "weights.pkl: .pkl files are Python pickles, which can run code when loaded" in unmd(err.value)
    # the pretrained tab's text table refuses a pickle the same way
    at.radio(key="pt_data").set_value("upload-text").run()
    assert list(at.file_uploader(key="pt_text_file").proto.type) == []
    at.file_uploader(key="pt_text_file").set_value(("texts.pt", b"\x80\x04K\x01.", "application/octet-stream")).run()
    assert any(".pt files are Python pickles" in unmd(e.value) for e in at.error)


# ---------------------------------------------------------------- tables
def test_the_encoders_table_has_human_headers_and_no_none(zoo):
    digits = zoo("digits")
    at = start("pages/data.py")
    no_errors(at)
    shown = table(at, 0)
    assert list(shown.columns) == ["Encoder", "Dims", "Architecture", "Seed", "Test accuracy", "Test MSE (reconstruction)"]
    cells = shown.to_numpy().ravel().tolist()
    assert not any(c in ("None", "nan", "NaN", "") for c in cells)
    for (_, want), (_, got) in zip(digits.encoders.iterrows(), shown.iterrows()):
        assert got["Encoder"] == want["name"] and got["Dims"] == str(want["dim"])
        for col, head in (("test_accuracy", "Test accuracy"), ("test_mse", "Test MSE (reconstruction)")):
            if np.isnan(want[col]):
                assert got[head] == "—"
            else:
                assert float(got[head]) == pytest.approx(want[col], rel=2e-3)
    assert shown.loc[0, "Test accuracy"] == f"{digits.encoders.loc[0, 'test_accuracy']:.3f}"
    # whose accuracy it is: the readouts elsewhere (ridge heads) differ from it
    assert any("each network's own classifier" in c.value and "ridge heads" in c.value for c in at.caption)


def test_the_worst_text_samples_are_shown_whole(zoo):
    text = zoo("text")
    at = start("pages/stitching.py", source="text", **PCA)
    no_errors(at)
    shown = table(at, 0)
    assert list(shown.columns) == ["Id", "Outcome", "Split", "Label", "Text"]
    sentences = dict(zip(text.samples["id"].astype(str), text.samples["text"]))
    assert all(row["Text"] == sentences[row["Id"]] for _, row in shown.iterrows())  # whole, never cut
