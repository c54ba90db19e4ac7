"""AppTest helpers: start the app on any page, inject map selections, register an unlabelled upload."""

import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")


def start(page: str | None = None, *, timeout: float = 300, query: dict | None = None, **state) -> AppTest:
    """An app opened on ``page`` (e.g. ``"pages/compare.py"``) with session keys preset, run once."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for k, v in state.items():
        at.session_state[k] = v
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if page:
        at.switch_page(page)
    at.run()
    return at


def select_on_map(at: AppTest, ids, *, kind: str = "rel", side: str = "A", as_dict: bool = True, box: bool = False) -> AppTest:
    """Inject a plotly selection of ``ids`` into a final map (as the browser reports it) and rerun.

    The maps are ``map_chart`` components: their selection is a trigger value, seen by the
    one run it starts. AppTest keeps an injected value, so it is cleared after that run.
    """
    points = [{"customdata": {"0": i} if as_dict else [i], "curve_number": 0, "point_index": 0} for i in ids]
    sel = {"points": points, "point_indices": [0] * len(points), "box": [{"x": [0, 1], "y": [0, 1]}] if box else [], "lasso": []}
    key = f"mapchart_{kind}_{side}"
    at.session_state[key] = {"selection": {"selection": sel}}  # the component's trigger "selection": the event
    at.run()
    at.session_state[key] = None
    return at


def maps(at: AppTest) -> list[dict]:
    """The maps on the page (``map_chart`` components), in page order, as the browser gets them:
    ``fig`` (the plotly figure without its star / ring traces), ``shapes`` (a star per anchor, a
    ring per highlighted sample) and ``stars`` / ``rings`` (their counts)."""
    out, points = [], {}
    for c in at.get("bidi_component"):  # each map's points element comes before the map
        if c.proto.component_name == "stitchboard_map_points":
            d = json.loads(c.proto.json)
            points[d["key"]] = d
        if c.proto.component_name != "stitchboard_map":
            continue
        d = json.loads(c.proto.json)
        p = points[d["key"]]
        assert p["sig"] == d["sig"], (p["sig"], d["sig"])  # the points the map waits for
        groups = [s.get("legendgroup") for s in d["shapes"]]
        out.append({"fig": json.loads(p["points"]), "shapes": d["shapes"], "stars": groups.count("anchors"),
                    "rings": groups.count("highlighted"), "isolate": d.get("isolate"), "config": d.get("config")})
    return out


def legend(at: AppTest) -> dict:
    """What the shared legend of the maps shows (:func:`dashboard.map_legend.legend_data`)."""
    found = [json.loads(c.proto.json) for c in at.get("bidi_component") if c.proto.component_name == "stitchboard_legend"]
    assert len(found) == 1, f"{len(found)} legends on the page"
    return found[0]


def click_legend(at: AppTest, isolate) -> AppTest:
    """A click on the legend as the browser reports it (the class to isolate, or None to show all), and rerun."""
    at.session_state["maplegend"] = {"pick": {"isolate": isolate}}
    at.run()
    at.session_state["maplegend"] = None
    return at


def n_points(fig: dict) -> int:
    """Points drawn in a map figure (its legend-only entries hold none)."""
    return sum(len(plotly_array(t["x"])) for t in fig["data"] if t.get("meta") != "overlay")


def anchors_of(at: AppTest) -> tuple:
    return at.session_state["anchor_history"].ids


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, (label, [m.label for m in at.metric])
    return found[0]


def table(at: AppTest, i: int = 0):
    """The ``i``-th ``st.table`` as the reader sees it: cells and headers un-escaped (dashboard.tables escapes them)."""
    from dashboard.text import unmd

    return at.table[i].value.map(unmd).rename(columns=unmd)


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]



def on_upload(source: str) -> dict:
    """Session keys that make ``source`` (registered upload) the current dataset."""
    return {"uploaded_sources": [source], "source": source}


def plotly_array(v) -> np.ndarray:
    """A plotly JSON array: a list, or plotly's typed-array form ``{"dtype": ..., "bdata": base64}``."""
    import base64

    if isinstance(v, dict) and "bdata" in v:
        out = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return out.reshape(v["shape"]) if "shape" in v and isinstance(v["shape"], list) else out
    return np.asarray(v)
