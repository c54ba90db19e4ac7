"""Map figures: every point drawn once, ids in customdata, hover text by map size."""

import json

import numpy as np
import pytest

from dashboard import figures


def _map(n, *, continuous=False, anchors=(), highlight=()):
    rng = np.random.default_rng(n)
    coords = rng.normal(size=(n, 2)).astype(np.float32)
    ids = np.arange(1000, 1000 + n)
    hover = np.array([f"id {i} · described" for i in ids])
    if continuous:
        vals = rng.normal(size=n)
        vals[::7] = np.nan
        coloring = figures.Coloring("score", vals, continuous=True)
    else:
        labels = rng.integers(0, 4, n).astype(str)
        coloring = figures.Coloring("label", labels, categories=("0", "1", "2", "3"))
    fig = figures.map_figure(coords, ids=ids, coloring=coloring, hover=hover, anchor_ids=list(anchors),
                             highlight_ids=list(highlight))
    return fig, ids, hover


def test_each_class_trace_holds_exactly_its_points():
    """Points are grouped by their class's code; classes given as numbers match the values' text."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 5, 400)
    coloring = figures.Coloring("label", labels, categories=(0, 1, 2, 3, 4))
    fig = figures.map_figure(rng.normal(size=(400, 2)), ids=np.arange(400), coloring=coloring,
                             hover=np.full(400, "x"), isolate=2)
    traces = _points(fig)
    assert [t.name for t in traces] == ["0", "1", "3", "4", "2"]  # the isolated class on top
    for t in traces:
        assert np.asarray(t.customdata)[:, 0].tolist() == np.flatnonzero(labels == int(t.name)).tolist()


def _points(fig):
    return [t for t in fig.data if not t.name.startswith(("anchors", "highlighted"))]


@pytest.mark.parametrize("n", [50, figures.HOVERTEXT_UP_TO, figures.HOVERTEXT_UP_TO + 1])
@pytest.mark.parametrize("continuous", [False, True])
def test_every_point_once_with_its_id(n, continuous):
    fig, ids, _ = _map(n, continuous=continuous)
    got = np.concatenate([np.asarray(t.customdata)[:, 0] for t in _points(fig)])
    assert len(got) == n and set(got.tolist()) == set(ids.tolist())
    assert {t.type for t in _points(fig)} == {"scattergl" if n > figures.WEBGL_FROM else "scatter"}


def test_small_maps_show_each_description():
    fig, ids, hover = _map(300, anchors=[1000, 1001])
    for t in fig.data:
        assert t.hovertemplate == "%{hovertext}<extra></extra>"
        assert t.marker.size == figures.MARKER_SIZE or t.name.startswith("anchors")
        desc = dict(zip(ids.tolist(), hover.tolist()))
        for i, h in zip(np.asarray(t.customdata)[:, 0].tolist(), t.hovertext):
            assert h.endswith(desc[i])


@pytest.mark.parametrize("continuous", [False, True])
def test_large_maps_build_hover_from_id_and_colour(continuous):
    n = figures.HOVERTEXT_UP_TO + 1
    fig, ids, hover = _map(n, continuous=continuous, anchors=[1000, 1005], highlight=[1003])
    for t in _points(fig):
        assert t.hovertext is None
        assert t.hovertemplate.startswith("id %{customdata[0]} · ")
        assert t.marker.size == figures.MARKER_SIZE_LARGE < figures.MARKER_SIZE
    if continuous:
        assert "%{marker.color:.4g}" in _points(fig)[0].hovertemplate
        assert "missing" in _points(fig)[1].hovertemplate
    else:
        assert all(f"<b>{t.name}</b>" in t.hovertemplate for t in _points(fig))
    # the few stars and rings keep their full descriptions
    stars = next(t for t in fig.data if t.name.startswith("anchors"))
    assert list(stars.hovertext) == ["<b>anchor</b> " + hover[0], "<b>anchor</b> " + hover[5]]
    ring = next(t for t in fig.data if t.name.startswith("highlighted"))
    assert list(ring.hovertext) == ["<b>highlighted</b> " + hover[3]]


def test_large_map_message_stays_small():
    """The browser parses a map's JSON several times: no per-point strings above the threshold."""
    n = figures.HOVERTEXT_UP_TO + 1
    big, _, _ = _map(n)
    small, _, _ = _map(figures.HOVERTEXT_UP_TO)
    per_point_big = len(big.to_json()) / n
    per_point_small = len(small.to_json()) / figures.HOVERTEXT_UP_TO
    assert per_point_big < 0.5 * per_point_small
    assert "described" not in json.dumps(json.loads(big.to_json())["data"][:4])


def test_a_map_without_its_own_legend_isolated_class_and_star_looks():
    fig, ids, _ = _map(300, anchors=[1000, 1001])
    assert fig.layout.showlegend is not False and any(t.showlegend is not False for t in fig.data)
    rng = np.random.default_rng(300)
    coords = rng.normal(size=(300, 2))
    labels = rng.integers(0, 4, 300).astype(str)
    c = figures.Coloring("label", labels, categories=("0", "1", "2", "3"))
    bare = figures.map_figure(coords, ids=ids, coloring=c, hover=ids.astype(str), anchor_ids=[1000], legend=False,
                              isolate="2", anchor_look="faint")
    assert bare.layout.showlegend is False and all(t.showlegend is False for t in bare.data)
    cats = [t for t in bare.data if not t.name.startswith("anchors")]
    assert cats[-1].name == "2"  # the isolated class on top
    for t in cats:
        if t.name == "2":
            assert t.marker.color == c.color_of("2") and t.marker.opacity == 0.75
        else:
            assert t.marker.color == figures.DIMMED["color"] and t.marker.opacity == figures.DIMMED["opacity"]
            assert t.marker.size == pytest.approx(figures.MARKER_SIZE * figures.DIMMED_SIZE)
    star = next(t for t in bare.data if t.name.startswith("anchors"))
    assert star.marker.opacity == figures.ANCHOR_FAINT_OPACITY and star.marker.color == figures.ANCHOR_COLOR
    hidden = figures.map_figure(coords, ids=ids, coloring=c, hover=ids.astype(str), anchor_ids=[1000], anchor_look="hide")
    assert not any(t.name.startswith("anchors") for t in hidden.data)
    with pytest.raises(ValueError, match="anchor_look"):
        figures.map_figure(coords, ids=ids, coloring=c, hover=ids.astype(str), anchor_look="dim")
    cont = figures.Coloring("score", np.linspace(-1, 3, 300), continuous=True)
    m = figures.map_figure(coords, ids=ids, coloring=cont, hover=ids.astype(str), legend=False).data[0].marker
    assert m.showscale is False and (m.cmin, m.cmax) == (-1.0, 3.0)  # the shared legend's scale has the same ends


def test_the_shared_legend_lists_each_class_once_and_one_scale_per_distinct_range():
    from dashboard.map_legend import legend_data

    a = figures.Coloring("outcome", np.array(["wrong", "train (not scored)"]), categories=tuple(figures.OUTCOME_COLORS),
                         colors=figures.OUTCOME_COLORS)
    r = figures.Coloring("outcome", np.array(["correct", "wrong", "train (not scored)"]),
                         categories=tuple(figures.OUTCOME_COLORS), colors=figures.OUTCOME_COLORS)
    d = legend_data({"absolute": a, "relative": r}, isolate="wrong", n_anchors=5, n_highlighted=2)
    assert [e["key"] for e in d["entries"]] == ["correct", "wrong", "train (not scored)"]  # in category order
    assert d["entries"][1]["color"] == figures.OUTCOME_COLORS["wrong"] and d["isolate"] == "wrong"
    assert [o["label"] for o in d["overlays"]] == ["anchors (5)", "highlighted (2)"]
    assert legend_data({"relative": r}, isolate="n/a: dims differ")["isolate"] is None  # not drawn: not isolated
    x = figures.Coloring("agreement", np.array([0.0, 0.5, np.nan]), continuous=True)
    y = figures.Coloring("agreement", np.array([0.2, 1.0]), continuous=True)
    same = legend_data({"absolute": x, "relative": x})
    assert [(s["title"], s["lo"], s["hi"]) for s in same["scales"]] == [("agreement", "0", "0.5")]
    two = legend_data({"absolute": x, "relative": y})
    assert [(s["title"], s["lo"], s["hi"]) for s in two["scales"]] == [
        ("absolute: agreement", "0", "0.5"), ("relative: agreement", "0.2", "1")]
    assert two["entries"] == [] and two["isolate"] is None


def test_stars_are_drawn_above_rings_and_listed_before_them():
    """plotly draws traces in order: a star that is also ringed (a whole class found by search) stays on top."""
    fig, _, _ = _map(300, anchors=[1000, 1001], highlight=list(range(1000, 1040)))
    names = [t.name.split(" (")[0] for t in fig.data]
    assert names.index("highlighted") < names.index("anchors") == len(names) - 1
    ranks = {t.name.split(" (")[0]: 1000 if t.legendrank is None else t.legendrank for t in fig.data}  # plotly's default
    assert ranks["anchors"] < ranks["highlighted"]
    assert all(ranks[n] < ranks["anchors"] for n in names if n not in ("anchors", "highlighted"))
