"""Map snapshots: the PNG drawn server-side for the first paint, and its place on the page."""

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from dashboard.figures import ANCHOR_COLOR, ANCHOR_MARKER, DIMMED, HIGHLIGHT_MARKER, PALETTE, Coloring
from dashboard.snapshot import HIDE_CSS, SNAPSHOT_CLASS, map_png, snapshot_html
from tests.dashboard.apphelp import maps, no_errors, select_on_map, start

CATS = tuple(str(i) for i in range(10))


def rgb(hex_color):
    return tuple(int(hex_color.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))


def blended(hex_color, opacity=0.75):
    return tuple(int(round(255 * (1 - opacity) + c * opacity)) for c in rgb(hex_color))


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def pixel_of(coords, k, img, *, scale=2.0, marker_size=5.0, width=600, height=347):
    """Pixel (row, col) where map_png puts point k (same arithmetic, written out independently)."""
    coords = np.asarray(coords, float)
    lo, hi = coords.min(0), coords.max(0)
    pad = marker_size * scale + 0.02 * min(width, height) * scale
    s = min((width * scale - 2 * pad) / (hi[0] - lo[0]), (height * scale - 2 * pad) / (hi[1] - lo[1]))
    H, W = img.shape[:2]
    x = W / 2 + (coords[k, 0] - (lo[0] + hi[0]) / 2) * s
    y = H / 2 - (coords[k, 1] - (lo[1] + hi[1]) / 2) * s
    return int(round(y)), int(round(x))


def test_every_point_is_drawn_in_its_category_colour():
    rng = np.random.default_rng(0)
    grid = np.array([(x, y) for x in range(10) for y in range(6)], float) * 10.0  # far apart: no overlaps
    labels = rng.choice(CATS, len(grid))
    c = Coloring("label", labels, categories=CATS)
    img = decode(map_png(grid, ids=np.arange(len(grid)), coloring=c))
    for k in range(len(grid)):
        r, col = pixel_of(grid, k, img)
        assert tuple(img[r, col]) == blended(PALETTE[CATS.index(labels[k])]), k
    # white between the points
    assert tuple(img[0, 0]) == (255, 255, 255)


def test_image_takes_the_aspect_ratio_of_the_data_and_respects_the_size_limit():
    wide = np.array([[0.0, 0.0], [100.0, 10.0]])
    tall = wide[:, ::-1]
    c = Coloring("label", np.array(["0", "1"]), categories=CATS)
    iw, it = decode(map_png(wide, ids=[0, 1], coloring=c)), decode(map_png(tall, ids=[0, 1], coloring=c))
    assert iw.shape[1] > 3 * iw.shape[0] and it.shape[0] > 2 * it.shape[1]
    for img in (iw, it):
        assert img.shape[1] <= 1200 and img.shape[0] <= 694


def test_later_categories_are_drawn_on_top_like_the_chart_traces():
    coords = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]])
    c = Coloring("label", np.array(["9", "0", "3"]), categories=CATS)  # "9" comes first in the data, last in order
    img = decode(map_png(coords, ids=[0, 1, 2], coloring=c))
    r, col = pixel_of(coords, 0, img)
    assert tuple(img[r, col]) == blended(PALETTE[9])


def test_anchors_are_stars_and_highlights_rings():
    coords = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    c = Coloring("label", np.array(["0", "1", "2", "3"]), categories=CATS)
    plain = decode(map_png(coords, ids=[7, 8, 9, 10], coloring=c))
    marked = decode(map_png(coords, ids=[7, 8, 9, 10], coloring=c, anchor_ids=[8], highlight_ids=[10]))
    r, col = pixel_of(coords, 1, marked)
    a = ANCHOR_MARKER["opacity"]  # the star's colour, at the chart's opacity over the point
    want = tuple(round(a * s + (1 - a) * p) for s, p in zip(rgb(ANCHOR_COLOR), blended(PALETTE[1])))
    assert np.abs(np.subtract(marked[r, col], want, dtype=float)).max() <= 1
    r, col = pixel_of(coords, 3, marked)
    ring = marked[r - 16:r + 17, col - 16:col + 17].reshape(-1, 3)
    assert ((ring == rgb(HIGHLIGHT_MARKER["color"])).all(axis=1)).sum() > 20
    assert tuple(plain[pixel_of(coords, 1, plain)]) == blended(PALETTE[1])
    # an anchor id that is not in the map is ignored
    decode(map_png(coords, ids=[7, 8, 9, 10], coloring=c, anchor_ids=[999]))


def test_continuous_colouring_uses_viridis_and_grey_for_missing_values():
    coords = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    c = Coloring("x", np.array([1.0, 5.0, np.nan]), continuous=True)
    img = decode(map_png(coords, ids=[0, 1, 2], coloring=c))
    assert tuple(img[pixel_of(coords, 0, img)]) == blended("#440154")  # Viridis' first stop at the minimum
    assert tuple(img[pixel_of(coords, 1, img)]) == blended("#fde725")  # and its last at the maximum
    assert tuple(img[pixel_of(coords, 2, img)]) == blended("#bbbbbb")


def test_non_finite_rows_are_skipped_and_bad_shapes_refused():
    c = Coloring("label", np.array(["0", "1", "2"]), categories=CATS)
    img = decode(map_png(np.array([[0.0, 0.0], [np.nan, 1.0], [4.0, 4.0]]), ids=[0, 1, 2], coloring=c))
    assert (img != 255).any()
    empty = decode(map_png(np.full((3, 2), np.nan), ids=[0, 1, 2], coloring=c))
    assert (empty == 255).all()
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        map_png(np.zeros((3, 3)), ids=[0, 1, 2], coloring=c)
    with pytest.raises(ValueError, match="one row per id"):
        map_png(np.zeros((3, 2)), ids=[0, 1], coloring=c)


def test_snapshot_html_escapes_user_strings_and_embeds_the_png():
    c = Coloring("label", np.array(["<script>alert(1)</script>", "b"]), categories=("<script>alert(1)</script>", "b"))
    png = map_png(np.array([[0.0, 0.0], [1.0, 1.0]]), ids=[0, 1], coloring=c)
    out = snapshot_html(png, coloring=c, n_anchors=3, note="loading <b>")
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "loading &lt;b&gt;" in out and "anchors (3)" in out
    src = re.search(r"src='data:image/png;base64,([^']+)'", out).group(1)
    assert base64.b64decode(src) == png
    assert f"class='{SNAPSHOT_CLASS}'" in out and SNAPSHOT_CLASS in HIDE_CSS


def snapshots(at) -> list[str]:
    return [h.proto.body for h in at.get("html") if f"class='{SNAPSHOT_CLASS}'" in h.proto.body]


def test_explore_sends_snapshots_on_the_first_paint_only(digits):
    at = start(method="pca")
    no_errors(at)
    first = snapshots(at)
    assert len(first) == 4  # one per map, next to its chart
    assert any(HIDE_CSS in h.proto.body for h in at.get("html"))  # the rule that hides each once its chart is drawn
    assert len(maps(at)) == 4
    select_on_map(at, [int(digits.ids[digits.split == "train"][-1])], kind="abs", side="A")
    no_errors(at)
    assert snapshots(at) == [] and len(maps(at)) == 4


def test_faint_or_hidden_stars_and_an_isolated_class_are_drawn_like_the_chart():
    coords = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    c = Coloring("label", np.array(["0", "1", "2", "1"]), categories=CATS)
    ids = [7, 8, 9, 10]
    plain = decode(map_png(coords, ids=ids, coloring=c))
    hidden = decode(map_png(coords, ids=ids, coloring=c, anchor_ids=[8], anchor_look="hide"))
    assert (hidden == plain).all()
    faint = decode(map_png(coords, ids=ids, coloring=c, anchor_ids=[8], anchor_look="faint"))
    r, col = pixel_of(coords, 1, faint)
    want = tuple(round(0.3 * s + 0.7 * p) for s, p in zip(rgb(ANCHOR_COLOR), blended(PALETTE[1])))
    assert np.abs(np.subtract(faint[r, col], want, dtype=float)).max() <= 1
    iso = decode(map_png(coords, ids=ids, coloring=c, isolate="1"))
    for k, cat in enumerate(["0", "1", "2", "1"]):
        got = tuple(iso[pixel_of(coords, k, iso)])
        assert got == (blended(PALETTE[1]) if cat == "1" else blended(DIMMED["color"], DIMMED["opacity"])), (k, got)
