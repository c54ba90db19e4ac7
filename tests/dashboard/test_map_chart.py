"""Large maps (map_chart): every point sent once, anchors and highlighted samples as shapes,
a signature that changes with the points and not with the stars."""

import base64
import json

import numpy as np
import pytest

from dashboard import figures, map_chart
from dashboard.selection import selected_ids


def _fig(n=figures.HOVERTEXT_UP_TO + 1, *, seed=0, anchors=(), highlight=()):
    rng = np.random.default_rng(seed)
    coords = rng.normal(size=(n, 2)).astype(np.float32)
    ids = np.arange(100, 100 + n)
    coloring = figures.Coloring("label", rng.integers(0, 3, n).astype(str), categories=("0", "1", "2"))
    fig = figures.map_figure(coords, ids=ids, coloring=coloring, hover=np.array([f"id {i}" for i in ids]),
                             anchor_ids=list(anchors), highlight_ids=list(highlight))
    return fig, coords, ids


def test_points_are_all_sent_and_overlays_become_shapes():
    fig, coords, ids = _fig(anchors=[100, 105, 130], highlight=[107])
    data = map_chart.chart_data(fig)
    spec = json.loads(data["fig"])
    sent = {t["name"] for t in spec["data"]}
    assert sent == {"0", "1", "2"}  # the stars and rings are shapes
    assert spec["layout"]["showlegend"] is False  # the page draws one legend for the four maps (map_legend)
    n_points = sum(len(t.customdata) for t in fig.data if not t.name.startswith(map_chart.OVERLAYS))
    assert n_points == len(ids)  # every point of the map, none sampled
    sent_ids = np.concatenate([np.frombuffer(base64.b64decode(t["customdata"]["bdata"]), dtype=t["customdata"]["dtype"])
                               for t in spec["data"] if "customdata" in t])
    assert sorted(sent_ids.tolist()) == ids.tolist()  # and the JSON the browser gets holds each id once
    stars = [s for s in data["shapes"] if s["legendgroup"] == "anchors"]
    rings = [s for s in data["shapes"] if s["legendgroup"] == "highlighted"]
    assert len(stars) == 3 and len(rings) == 1
    got = sorted((s["xanchor"], s["yanchor"]) for s in stars)
    want = sorted((float(coords[i - 100, 0]), float(coords[i - 100, 1])) for i in (100, 105, 130))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert (rings[0]["xanchor"], rings[0]["yanchor"]) == (float(coords[7, 0]), float(coords[7, 1]))
    assert all(s["xsizemode"] == s["ysizemode"] == "pixel" for s in data["shapes"])  # same size at any zoom
    # drag pans, a click reports its point: as st.plotly_chart sets a chart with point selection
    assert spec["layout"]["clickmode"] == "event" and spec["layout"]["dragmode"] == "pan"


def test_signature_follows_the_points_not_the_stars():
    a = map_chart.chart_data(_fig(anchors=[100, 101])[0])
    b = map_chart.chart_data(_fig(anchors=[102, 103, 104])[0])
    c = map_chart.chart_data(_fig(seed=1, anchors=[100, 101])[0])
    assert a["sig"] == b["sig"] and a["fig"] == b["fig"]  # an anchor edit on the same layout: shapes only
    assert a["shapes"] != b["shapes"]
    assert c["sig"] != a["sig"]  # a new layout: the points are sent again


def test_many_rings_are_lighter_than_a_few():
    """A search matching a whole class rings it with thinner, translucent rings: at full weight, one black blob."""
    def rings(n):
        coords, kw = _map_args(highlight=range(100, 100 + n))
        return [s for s in map_chart.map_data(coords, **kw)["shapes"] if s["legendgroup"] == "highlighted"]

    few, many = rings(figures.HIGHLIGHT_FULL_UP_TO), rings(figures.HIGHLIGHT_FULL_UP_TO + 1)
    assert len(few) == figures.HIGHLIGHT_FULL_UP_TO and len(many) == figures.HIGHLIGHT_FULL_UP_TO + 1
    assert {(s["x1"] - s["x0"], s["line"]["width"], s["opacity"]) for s in few} == {(13.0, 2.2, 1.0)}
    ((size, width, opacity),) = {(s["x1"] - s["x0"], s["line"]["width"], s["opacity"]) for s in many}
    assert size < 13.0 and width < 2.2 and opacity < 1.0
    # the figures of the other pages ring them the same way
    fig, _, _ = _fig(n=300, highlight=range(100, 100 + figures.HIGHLIGHT_FULL_UP_TO + 1))
    ring = next(t for t in fig.data if t.name.startswith("highlighted"))
    assert ring.marker.size == size and ring.marker.line.width == width


def test_the_component_event_reads_like_a_plotly_chart_event():
    # what map_chart.js sends for a click / box / lasso: customdata as a list, first column the id
    event = {"selection": {"points": [{"customdata": [105]}, {"customdata": [130]}, {"customdata": [105]}]}}
    assert selected_ids(event) == [105, 130]


def _map_args(n=500, *, seed=0, anchors=(), highlight=(), color_seed=0):
    rng = np.random.default_rng(seed)
    coords = rng.normal(size=(n, 2)).astype(np.float32)
    ids = np.arange(100, 100 + n)
    labels = np.random.default_rng(color_seed).integers(0, 3, n).astype(str)
    coloring = figures.Coloring("label", labels, categories=("0", "1", "2"))
    return coords, dict(ids=ids, coloring=coloring, hover=np.array([f"id {i}" for i in ids]), anchor_ids=list(anchors),
                        highlight_ids=list(highlight), note=f"{n} points")


@pytest.mark.parametrize("n", [500, figures.HOVERTEXT_UP_TO + 1])
def test_map_data_is_the_chart_data_of_the_webgl_map_figure(n):
    coords, kw = _map_args(n, anchors=[100, 105, 130], highlight=[107])
    want = map_chart.chart_data(figures.map_figure(coords, webgl=True, legend=False, **kw))
    got = map_chart.map_data(coords, **kw)
    assert {k: got[k] for k in want} == want
    assert got["isolate"] is None and got["dimmed"] == dict(figures.DIMMED, size=figures.DIMMED_SIZE)
    spec = json.loads(got["fig"])
    assert {t["type"] for t in spec["data"] if t.get("meta") != "overlay"} == {"scattergl"}
    assert "template" not in spec["layout"]  # Streamlit's placeholder colours are for st.plotly_chart only


def test_map_data_builds_the_points_only_when_they_change(monkeypatch):
    """An anchor edit on the same layout reuses the points payload (no figure built); new coordinates,
    colours or hover text build it again; the cache keeps the last CACHED_PAYLOADS."""
    made = []
    real = figures.map_figure
    monkeypatch.setattr(figures, "map_figure", lambda *a, **k: made.append(1) or real(*a, **k))
    monkeypatch.setattr(map_chart, "_payloads", type(map_chart._payloads)())
    coords, kw = _map_args(seed=3, anchors=[100, 101])
    first = map_chart.map_data(coords, **kw)
    assert len(made) == 1
    again = map_chart.map_data(coords.copy(), **{**kw, "anchor_ids": [102, 103, 104]})  # equal content, other stars
    assert len(made) == 1 and again["sig"] == first["sig"] and len(again["shapes"]) == 3
    for changed in (dict(seed=4), dict(color_seed=1)):
        c2, kw2 = _map_args(anchors=[100, 101], **{"seed": 3, **changed})
        assert map_chart.map_data(c2, **kw2)["sig"] != first["sig"]
    map_chart.map_data(coords, **{**kw, "hover": np.array([f"sample {i}" for i in kw["ids"]])})
    assert len(made) == 4
    for k in range(map_chart.CACHED_PAYLOADS):
        map_chart.map_data(coords + k + 1, **kw)
    assert len(map_chart._payloads) == map_chart.CACHED_PAYLOADS
    map_chart.map_data(coords, **kw)  # pushed out by the newer ones: built again
    assert len(made) == 4 + map_chart.CACHED_PAYLOADS + 1


@pytest.mark.parametrize("look", figures.ANCHOR_LOOKS)
def test_stars_follow_the_anchor_look_and_isolation_goes_to_the_browser_without_new_points(look):
    coords, kw = _map_args(anchors=[100, 105, 130], highlight=[107])
    base = map_chart.map_data(coords, **kw)
    got = map_chart.map_data(coords, **kw, anchor_look=look, isolate="1")
    assert got["sig"] == base["sig"] and got["fig"] == base["fig"]  # the same points: nothing sent again
    stars = [s for s in got["shapes"] if s["legendgroup"] == "anchors"]
    assert len(stars) == (0 if look == "hide" else 3)
    want = {"show": figures.ANCHOR_MARKER["opacity"], "faint": figures.ANCHOR_FAINT_OPACITY}.get(look)
    assert all(s["opacity"] == want and s["fillcolor"] == figures.ANCHOR_COLOR for s in stars)
    assert len([s for s in got["shapes"] if s["legendgroup"] == "highlighted"]) == 1  # rings whatever the stars
    assert got["isolate"] == "1"
    # a continuous colouring has no class to isolate
    cont = dict(kw, coloring=figures.Coloring("x", np.arange(len(coords), dtype=float), continuous=True))
    assert map_chart.map_data(coords, **cont, isolate="1")["isolate"] is None


def test_one_plotly_config_without_the_share_button_for_every_chart():
    """The maps' component gets figures.PLOTLY_CONFIG; every st.plotly_chart call of the app passes it too."""
    import ast
    from pathlib import Path

    assert figures.PLOTLY_CONFIG["showSendToCloud"] is False and figures.PLOTLY_CONFIG["displaylogo"] is False
    assert "sendDataToCloud" in figures.PLOTLY_CONFIG["modeBarButtonsToRemove"]
    root = Path(map_chart.__file__).parent
    calls = []
    for f in [*root.glob("*.py"), *root.glob("pages/*.py")]:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "plotly_chart":
                config = next((k.value for k in node.keywords if k.arg == "config"), None)
                calls.append((f.name, node.lineno, ast.unparse(config) if config is not None else None))
    assert len(calls) >= 6, calls
    # a chart may add to the shared config ({**figures.PLOTLY_CONFIG, ...}), never start from another
    assert all(c == "figures.PLOTLY_CONFIG" or c.startswith("{**figures.PLOTLY_CONFIG") for _, _, c in calls), calls
    assert "data.config" in (root / "map_chart.js").read_text(encoding="utf-8")
    data = map_chart.map_data(*_map_args()[:1], **_map_args()[1])
    assert "config" not in data  # added by show_map, which AppTests of Explore check (tests/dashboard/test_explore.py)
