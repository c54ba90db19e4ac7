"""Large maps (map_chart): every point sent once, anchors and highlighted samples as shapes,
a signature that changes with the points and not with the stars."""

import base64
import json

import numpy as np

from dashboard import figures, map_chart
from dashboard.selection import selected_ids


def _fig(n=map_chart.LARGE_FROM + 1, *, seed=0, anchors=(), highlight=()):
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
    assert sent == {"0", "1", "2", "anchors", "highlighted"}  # + one empty legend entry per overlay kind
    assert all(t["x"] == [None] for t in spec["data"] if t["name"] in ("anchors", "highlighted"))
    n_points = sum(len(t.customdata) for t in fig.data if not t.name.startswith(map_chart.OVERLAYS))
    assert n_points == len(ids)  # every point of the map, none sampled
    sent_ids = np.concatenate([np.frombuffer(base64.b64decode(t["customdata"]["bdata"]), dtype=t["customdata"]["dtype"])
                               for t in spec["data"] if "customdata" in t])
    assert sorted(sent_ids.tolist()) == ids.tolist()  # and the JSON the browser gets holds each id once
    stars = [s for s in data["shapes"] if s["legendgroup"] == "anchors"]
    rings = [s for s in data["shapes"] if s["legendgroup"] == "highlighted"]
    assert len(stars) == 3 and len(rings) == 1
    assert not any(s.get("showlegend") for s in data["shapes"])  # legend shapes make plotly.js redraw the WebGL plot
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


def test_the_component_event_reads_like_a_plotly_chart_event():
    # what map_chart.js sends for a click / box / lasso: customdata as a list, first column the id
    event = {"selection": {"points": [{"customdata": [105]}, {"customdata": [130]}, {"customdata": [105]}]}}
    assert selected_ids(event) == [105, 130]
