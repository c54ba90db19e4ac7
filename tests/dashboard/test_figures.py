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
