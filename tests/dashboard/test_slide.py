"""The slide export: the 2x2 maps, the readout and a title as one PNG (pixels checked) or SVG (elements checked)."""

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from sklearn.decomposition import PCA

from core.methods.relative import relative_projection
from dashboard.figures import PALETTE, Coloring
from dashboard.slide import Readout, SlideMap, panel_boxes, slide_png, slide_svg
from dashboard.snapshot import SVG_POINTS_UP_TO, map_svg

SVG_NS = "{http://www.w3.org/2000/svg}"
READOUT = (Readout("B → A's head", 0.969, 0.106), Readout("A → B's head", 0.958, 0.094))


def rgb(hex_color):
    return tuple(int(hex_color.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))


def blended(hex_color, opacity=0.75):
    return tuple(int(round(255 * (1 - opacity) + c * opacity)) for c in rgb(hex_color))


@pytest.fixture(scope="module")
def slide_inputs(digits):
    """PCA maps of two digits encoders, absolute and relative to 100 anchors, coloured by digit."""
    A, B = digits.spaces["mlp-s0"], digits.spaces["mlp-s1"]
    anchors = digits.ids[digits.split == "train"][:100]
    pos = A.positions(list(anchors))
    rel_a, rel_b = relative_projection(A.vectors, A.vectors[pos]), relative_projection(B.vectors, B.vectors[pos])
    coords = [PCA(2, random_state=0).fit_transform(X) for X in (A.vectors, B.vectors, rel_a, rel_b)]
    titles = ["Absolute A · mlp-s0", "Absolute B · mlp-s1", "Relative A · mlp-s0", "Relative B · mlp-s1"]
    labels = np.asarray(digits.labels).astype(str)
    coloring = Coloring("label", labels, categories=tuple(str(i) for i in range(10)))
    return dict(maps=[SlideMap(t, c) for t, c in zip(titles, coords)], ids=digits.ids, coloring=coloring,
                anchor_ids=tuple(anchors.tolist()), readout=READOUT, title="digits: mlp-s0 (A) vs mlp-s1 (B)",
                subtitle="PCA · 100 anchors", footer="Stitchboard", chance=0.103)


def runs(mask_1d, *, min_gap):
    """Runs of True in a 1-D mask, gaps shorter than ``min_gap`` bridged: [(start, stop)]."""
    idx = np.flatnonzero(mask_1d)
    if not len(idx):
        return []
    out, start = [], idx[0]
    for a, b in zip(idx[:-1], idx[1:]):
        if b - a > min_gap:
            out.append((start, a + 1))
            start = b
    out.append((start, idx[-1] + 1))
    return out


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_png_has_the_size_four_panels_of_points_and_the_readout(slide_inputs, size):
    W, H = size
    png = slide_png(**slide_inputs, width=W, height=H)
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert img.shape == (H, W, 3)
    # not blank: a white page with a minority of drawn pixels
    nonwhite = (img < 245).any(axis=2)
    assert 0.02 < nonwhite.mean() < 0.5 and img.std() > 20
    # four panels: the coloured (saturated) pixels of the maps' area form a 2 x 2 grid with white gutters
    sat = (img.max(axis=2) - img.min(axis=2)) >= 60
    area = sat[:, : int(W * 0.64)]
    cols = runs(area.any(axis=0), min_gap=int(20 * H / 1080))
    rows = runs(area.any(axis=1), min_gap=int(20 * H / 1080))
    assert len(cols) == 2 and len(rows) == 2, (cols, rows)
    boxes = panel_boxes(W, H)
    palette = {blended(PALETTE[k]): str(k) for k in range(10)}
    for (y0, y1) in rows:
        for (x0, x1) in cols:
            # inside one of the announced boxes
            assert any(bx - 1 <= x0 and x1 <= bx + bw + 1 and by - 1 <= y0 and y1 <= by + bh + 1
                       for bx, by, bw, bh in boxes), (x0, x1, y0, y1)
            tile = img[y0:y1, x0:x1].reshape(-1, 3)
            seen = {palette[tuple(p)] for p in np.unique(tile, axis=0).tolist() if tuple(p) in palette}
            assert len(seen) == 10, seen  # every digit's colour in every panel
    # the readout's numbers: green (relative) and red (absolute) type, right of the maps
    right = img[:, int(W * 0.64):]
    assert (np.abs(right - np.array(rgb("#1a7f37"))).sum(axis=2) < 30).sum() > 500
    assert (np.abs(right - np.array(rgb("#b42318"))).sum(axis=2) < 30).sum() > 500


def test_panels_differ_where_the_maps_differ(slide_inputs):
    """Absolute A and absolute B are different maps: their panels' pixels differ."""
    img = np.asarray(Image.open(io.BytesIO(slide_png(**slide_inputs))).convert("RGB")).astype(int)
    (ax, ay, w, h), (bx, by, _, _) = panel_boxes()[:2]
    a = img[int(ay):int(ay + h), int(ax):int(ax + w)]
    b = img[int(by):int(by + h), int(bx):int(bx + w)]
    assert np.abs(a - b).sum(axis=2).astype(bool).mean() > 0.02


def test_svg_holds_every_point_the_stars_and_the_text(slide_inputs, digits):
    svg = slide_svg(**{**slide_inputs, "title": "digits <script>alert(1)</script> & co"})
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == SVG_NS + "svg" and root.get("width") == "1920" and root.get("height") == "1080"
    maps = root.findall(SVG_NS + "svg")
    assert len(maps) == 4
    for m in maps:
        assert len(m.findall(f".//{SVG_NS}circle")) == digits.n_samples
        assert len(m.findall(f"{SVG_NS}polygon")) == 100  # the anchors' stars
    texts = [t.text for t in root.iter(SVG_NS + "text")]
    assert "digits <script>alert(1)</script> & co" in texts  # escaped in the file, read back as text
    assert not list(root.iter(SVG_NS + "script"))
    for r in READOUT:
        assert f"{r.relative:.3f}" in texts and f"{r.absolute:.3f}" in texts and r.head in texts
    assert [t for t in texts if t in {str(i) for i in range(10)}] == [str(i) for i in range(10)]  # the legend


def test_map_svg_puts_each_point_where_map_png_does():
    rng = np.random.default_rng(1)
    coords = rng.normal(size=(50, 2)) * [3.0, 1.0]
    labels = np.array(["a", "b"])[rng.integers(0, 2, 50)]
    c = Coloring("label", labels, categories=("a", "b"))
    W, H, ms = 600.0, 347.0, 5.0
    root = ET.fromstring(map_svg(coords, ids=np.arange(50), coloring=c, width=W, height=H, marker_size=ms))
    got = {}
    for g in root.findall(SVG_NS + "g"):
        for circ in g.findall(SVG_NS + "circle"):
            got[(float(circ.get("cx")), float(circ.get("cy")))] = g.get("fill")
    # the arithmetic of map_png at scale 1, written out again
    pad = ms + 0.02 * min(W, H)
    lo, hi = coords.min(0), coords.max(0)
    s = min((W - 2 * pad) / (hi[0] - lo[0]), (H - 2 * pad) / (hi[1] - lo[1]))
    for k in range(50):
        x = W / 2 + (coords[k, 0] - (lo[0] + hi[0]) / 2) * s
        y = H / 2 - (coords[k, 1] - (lo[1] + hi[1]) / 2) * s
        fill = "#%02x%02x%02x" % blended(PALETTE[0 if labels[k] == "a" else 1])
        assert got[(round(x, 1), round(y, 1))] == fill, k


def test_map_svg_embeds_a_png_above_the_point_limit():
    n = SVG_POINTS_UP_TO + 1
    coords = np.random.default_rng(0).normal(size=(n, 2))
    c = Coloring("label", np.full(n, "a"), categories=("a",))
    root = ET.fromstring(map_svg(coords, ids=np.arange(n), coloring=c))
    assert not root.findall(f".//{SVG_NS}circle")
    img = root.find(SVG_NS + "image")
    assert img is not None and img.get("href").startswith("data:image/png;base64,")


def test_a_slide_needs_four_maps_and_a_sensible_size(slide_inputs):
    with pytest.raises(ValueError, match="4 maps"):
        slide_png(**{**slide_inputs, "maps": slide_inputs["maps"][:3]})
    with pytest.raises(ValueError, match="at least 320 x 180"):
        slide_svg(**slide_inputs, width=100, height=50)


def test_long_names_are_cut_not_drawn_over_the_maps(slide_inputs):
    long = "an encoder with a very long name " * 6
    maps = [SlideMap(long, m.coords) for m in slide_inputs["maps"]]
    root = ET.fromstring(slide_svg(**{**slide_inputs, "maps": maps}).encode("utf-8"))
    cut = [t.text for t in root.iter(SVG_NS + "text") if t.text and t.text.startswith("an encoder")]
    assert len(cut) == 4 and all(t.endswith("…") and len(t) < len(long) for t in cut)


def test_without_labels_the_slide_says_there_is_no_readout(slide_inputs):
    root = ET.fromstring(slide_svg(**{**slide_inputs, "readout": (), "chance": None}).encode("utf-8"))
    texts = [t.text for t in root.iter(SVG_NS + "text")]
    assert "no labels: no classifier to stitch" in texts and "relative" not in texts
    assert len(root.findall(SVG_NS + "svg")) == 4


def test_the_slide_reads_its_readout_when_clicked_and_the_run_never_waits_for_it(digits, slide_inputs, monkeypatch):
    """A large collection's readout may still be computing when the downloads are drawn: a run that waited for it
    there held off the next click's run (3-8 s at 1M rows)."""
    from dashboard import loaders, readouts, share, slide_export

    buttons, calls = {}, []
    monkeypatch.setattr(share, "download", lambda label, data, *a, **k: buttons.__setitem__(label, data))
    monkeypatch.setattr(readouts, "relative_readout", lambda *a: calls.append(a) or loaders.pair_relative_stitching(*a))
    maps = dict(zip(slide_export.MAP_NAMES, (m.coords for m in slide_inputs["maps"])))
    anchors = slide_inputs["anchor_ids"]
    slide_export.slide_downloads(maps, source="digits", coll=loaders.collection("digits"), enc_a="mlp-s0",
                                 enc_b="mlp-s1", anchors=anchors, coloring=slide_inputs["coloring"], method="PCA")
    assert set(buttons) == {"Slide (PNG)", "Slide (SVG)"} and calls == []  # the run asked for no readout
    svg = buttons["Slide (SVG)"]().decode("utf-8")
    assert calls == [("digits", "mlp-s0", "mlp-s1", anchors)]
    R = loaders.pair_relative_stitching("digits", "mlp-s0", "mlp-s1", anchors)
    assert f"{R.scores['relative'][1, 0]:.3f}" in svg  # B -> A's head, relative: the clicked slide's number
    assert buttons["Slide (PNG)"]()[:8] == b"\x89PNG\r\n\x1a\n" and len(calls) == 2
