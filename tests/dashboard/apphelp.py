"""AppTest helpers: start the app on any page, inject map selections, register an unlabelled upload."""

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
    """Inject a plotly selection of ``ids`` into the current map (as the browser reports it) and rerun."""
    rev = at.session_state["anchor_rev"]
    points = [{"customdata": {"0": i} if as_dict else [i], "curve_number": 0, "point_index": 0} for i in ids]
    sel = {"points": points, "point_indices": [0] * len(points), "box": [{"x": [0, 1], "y": [0, 1]}] if box else [], "lasso": []}
    at.session_state[f"map_{kind}_{side}_fin_{rev}"] = {"selection": sel}
    return at.run()


def anchors_of(at: AppTest) -> tuple:
    return at.session_state["anchor_history"].ids


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, (label, [m.label for m in at.metric])
    return found[0]


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
