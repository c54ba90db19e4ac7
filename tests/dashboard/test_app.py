"""AppTest of the frame: navigation, the Data & encoders page, and links (URL query strings)."""

from dashboard.text import unmd
from tests.dashboard.apphelp import anchors_of, metric, no_errors, start


def test_data_page_lists_bundled_datasets_and_upload_form():
    at = start("pages/data.py")
    assert not at.exception, at.exception
    assert at.title[0].value == "Data & encoders"
    at.selectbox(key="dataset").set_value("wine").run()
    assert not at.exception, at.exception
    assert any(m.label == "Samples" and m.value == "178" for m in at.metric)
    assert any(b.label == "Load files" for b in at.button)


def test_a_link_reproduces_dataset_encoders_anchors_and_layout(digits):
    train = [int(i) for i in digits.ids[digits.split == "train"]][:12]
    query = {"dataset": "digits", "enc_a": "cnn-s0", "enc_b": "mlp-s2", "anchors": f"{train[0]},{train[1]}," + ",".join(map(str, train[2:])),
             "method": "pca", "seed": "7", "n_anchors": "12", "strategy": "kmeans"}
    at = start(query=query)
    no_errors(at)
    assert anchors_of(at) == tuple(train)
    assert at.session_state["enc_a"] == "cnn-s0" and at.session_state["enc_b"] == "mlp-s2"
    assert at.session_state["seed"] == 7 and at.session_state["strategy"] == "kmeans"
    assert metric(at, "Anchors") == "12"
    titles = [m.value for m in at.markdown if m.value.startswith("**Absolute A")]
    assert titles and "cnn-s0" in titles[0] and "PCA" in titles[0]
    # the page writes its own choices back: the same link
    from core.io.session_query import encode_ids

    assert at.query_params["anchors"] == encode_ids(train) == "0-11"
    assert at.query_params["enc_a"] == "cnn-s0" and at.query_params["method"] == "pca"


def test_a_bad_link_is_reported_and_the_defaults_stay(digits):
    test_id = int(digits.ids[digits.split == "test"][0])
    at = start(query={"dataset": "digits", "anchors": f"1,{test_id}", "method": "pca", "colour": "red"})
    assert not at.exception
    errors = [unmd(e.value) for e in at.error]  # the page escapes markdown in messages
    assert errors and "not applied" in errors[0] and "unknown keys ['colour']" in errors[0], errors
    assert metric(at, "Anchors") == "100"  # the default set
    at = start(query={"dataset": "nope", "method": "pca"})
    assert any("'nope' is not available" in unmd(e.value) for e in at.error)
    assert at.session_state["source"] == "digits"
