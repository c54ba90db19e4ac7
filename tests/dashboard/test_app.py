"""AppTest of the dashboard: it runs, shows 4 maps and the readout, and reruns cleanly."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def _map_titles(at):
    return [m.value for m in at.markdown if m.value.startswith(("**Absolute", "**Relative"))]


def test_app_runs_shows_maps_and_readout():
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    titles = _map_titles(at)
    assert len(titles) == 4, titles
    assert len(at.get("plotly_chart")) == 7  # 4 maps + 3 heatmaps
    labels = [m.label for m in at.metric]
    assert "B → A's head · relative" in labels and "A → B's head · absolute" in labels
    rel = {m.label: float(m.value) for m in at.metric if "relative" in m.label}
    assert all(v > 0.85 for v in rel.values()), rel
    assert any("100 anchors" in c.value for c in at.caption)

    at.slider(key="n_anchors").set_value(40).run()
    assert not at.exception, at.exception
    assert any("relative to the 40 anchors" in c.value for c in at.caption)
    assert len(_map_titles(at)) == 4

    at.radio(key="method").set_value("pca").run()
    assert not at.exception, at.exception
    assert all("PCA" in t for t in _map_titles(at))

    for strategy in ("stratified", "kmeans", "fps", "kdpp"):
        at.selectbox(key="strategy").set_value(strategy).run()
        assert not at.exception, (strategy, at.exception)
        assert len(at.get("plotly_chart")) == 7


def test_app_dims_differ_is_shown_not_an_error():
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.radio(key="method").set_value("pca").run()
    at.selectbox(key="enc_b").set_value("mlp-wide-s0").run()
    assert not at.exception, at.exception
    absolute = [m for m in at.metric if "absolute" in m.label]
    assert absolute and all(m.value == "n/a: dims differ" for m in absolute)
    assert any("dims differ" in t for t in _map_titles(at))


def test_every_bundled_dataset_is_selectable():
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.radio(key="method").set_value("pca").run()
    for dataset in ("wine", "breast_cancer", "text", "digits"):
        at.selectbox(key="dataset").set_value(dataset).run()
        assert not at.exception, (dataset, at.exception)
        assert not at.error, (dataset, [e.value for e in at.error])
        assert len(_map_titles(at)) == 4, dataset
        rel = [float(m.value) for m in at.metric if "relative" in m.label]
        assert rel and all(0.0 <= v <= 1.0 for v in rel), (dataset, rel)


def test_data_page_lists_bundled_datasets_and_upload_form():
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Data & encoders"
    at.selectbox(key="dataset").set_value("wine").run()
    assert not at.exception, at.exception
    assert any(m.label == "Samples" and m.value == "178" for m in at.metric)
    assert any(b.label == "Load files" for b in at.button)
