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
