"""Explore in a real browser at 1280x800, 1400x1000 and 1920x1080: the layout (maps above the fold, nothing cut,
nothing overlapping), the shared legend isolating a class on the four maps, the modebar without Plotly's "Share
chart", a click that inspects without editing, a highlight click that moves nothing, and the copy-link button.

Screenshots go to pytest's temporary directory (printed with -s): look at them.
"""

import time

import pytest

from dashboard import figures
from tests.e2e.test_dashboard_browser import POINTS_JS, click_mode, metric_value, no_error_on, wait_for, wait_idle

pytestmark = pytest.mark.browser

MAPS_JS = "() => Array.from(document.querySelectorAll('.sb-map')).map((e) => e.getBoundingClientRect().toJSON())"
#: Elements of the page whose text is cut with an ellipsis ("U…" for Undo): their text, none expected.
CUT_JS = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] *')).filter((e) => {
  const s = getComputedStyle(e);
  return s.textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1 && e.innerText.trim();
}).map((e) => e.innerText.trim())"""
#: The marker colours of the four maps' class traces, by trace name.
COLOURS_JS = """() => Array.from(document.querySelectorAll('.sb-map')).map((gd) =>
  Object.fromEntries(gd._fullData.filter((t) => t.legendgroup).map((t) => [t.legendgroup, t.marker.color])))"""
MODEBAR_JS = """() => Array.from(document.querySelector('.sb-map .modebar').querySelectorAll('[data-title]'))
  .map((b) => b.getAttribute('data-title'))"""


#: The modebar of a chart drawn by the page's plotly.js with plotly's default config.
DEFAULT_MODEBAR_JS = """async () => {
  const div = document.createElement('div');
  div.style.width = '400px'; div.style.height = '300px';
  document.body.appendChild(div);
  await window.Plotly.newPlot(div, [{x: [1, 2], y: [1, 2]}], {}, {});
  const out = Array.from(div.querySelectorAll('.modebar [data-title]')).map((b) => b.getAttribute('data-title'));
  window.Plotly.purge(div); div.remove();
  return out;
}"""


def rect(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def open_explore(browser, server, size, query="?method=pca"):
    w, h = size
    page = browser.new_page(viewport={"width": w, "height": h})
    page.goto(server + "/" + query)
    page.wait_for_selector(".js-plotly-plot", timeout=180_000)
    wait_for(lambda: page.locator(".sb-map").count() == 4, timeout=180, what="four maps")
    wait_idle(page)
    time.sleep(1.0)
    no_error_on(page)
    return page


def check_layout(page) -> dict:
    """Nothing cut, the legend above the map titles, the maps side by side across the page."""
    assert page.evaluate(CUT_JS) == []
    maps = page.evaluate(MAPS_JS)
    main = rect(page, '[data-testid="stMainBlockContainer"]')
    assert abs(maps[0]["top"] - maps[1]["top"]) < 1 and maps[1]["left"] > maps[0]["right"]  # a 2x2 grid
    assert maps[1]["right"] - maps[0]["left"] > 0.85 * (main["width"] - 2 * 48)  # across the page's width
    legend = rect(page, ".sb-legend")
    title = rect(page, "text=Absolute A:")
    assert legend["y"] + legend["height"] <= title["y"], (legend, title)  # the legend never over a map title
    return {"first_map": maps[0], "legend": legend}


@pytest.mark.parametrize("size", [(1280, 800), (1400, 1000), (1920, 1080)])
def test_layout_at_common_screen_sizes(browser, server, tmp_path, size):
    page = open_explore(browser, server, size)
    found = check_layout(page)
    first = found["first_map"]
    if size == (1400, 1000):
        assert first["bottom"] <= 1000, first  # a whole map above the fold
    else:
        assert first["top"] + first["height"] / 2 <= size[1], first  # at least half a map on the first screen
    path = tmp_path / f"explore_{size[0]}x{size[1]}.png"
    page.screenshot(path=str(path))
    # the modebar: Plotly's own tools and our full-screen button; no "Share chart" (Plotly Cloud upload), no logo
    page.locator(".sb-map").first.hover()
    time.sleep(0.5)
    titles = page.evaluate(MODEBAR_JS)
    print(f"{size}: first map {first}, modebar {titles}, screenshot {path}")
    assert "Full screen (Esc to leave)" in titles and "Box Select" in titles
    assert not any("share" in t.lower() or "cloud" in t.lower() or "plotly" in t.lower() for t in titles), titles
    assert page.locator(".sb-map .modebar-btn--logo").count() == 0
    modebar, legend = rect(page, ".sb-map .modebar"), rect(page, ".sb-legend")  # after the hover's scroll
    assert modebar["y"] >= legend["y"] + legend["height"]  # the modebar never over the legend
    # the same plotly.js with its default config does show the button: the check above can fail
    default = page.evaluate(DEFAULT_MODEBAR_JS)
    assert any("cloud" in t.lower() or "share" in t.lower() for t in default), default
    page.close()


def test_legend_isolates_a_class_on_the_four_maps(browser, server, tmp_path):
    page = open_explore(browser, server, (1400, 1000))
    colours = page.evaluate(COLOURS_JS)
    assert len(colours) == 4 and all(len(c) == 10 for c in colours)
    page.locator(".sb-legend button.sb-item[data-key='3']").click()
    dim = figures.DIMMED["color"]
    wait_for(lambda: all(c["2"] == dim and c["3"] != dim for c in page.evaluate(COLOURS_JS)), timeout=60,
             what="class 3 isolated on the four maps")
    isolated = page.evaluate(COLOURS_JS)
    assert all(c["3"] == colours[0]["3"] and sum(v == dim for v in c.values()) == 9 for c in isolated)
    page.screenshot(path=str(tmp_path / "isolated.png"))
    page.locator(".sb-legend button.sb-item[data-key='3']").click()  # again: every class back
    wait_for(lambda: page.evaluate(COLOURS_JS) == colours, timeout=60, what="the classes restored")
    page.locator(".sb-legend button.sb-item[data-key='5']").click()
    wait_for(lambda: all(c["5"] != dim and c["3"] == dim for c in page.evaluate(COLOURS_JS)), timeout=60,
             what="class 5 isolated")
    page.locator(".sb-legend button.sb-item[data-key='5']").dblclick()  # a double click restores too
    wait_for(lambda: page.evaluate(COLOURS_JS) == colours, timeout=60, what="the classes restored by a double click")
    no_error_on(page)
    page.close()


def test_clicks_inspect_without_editing_and_a_highlight_moves_nothing(browser, server, tmp_path):
    page = open_explore(browser, server, (1400, 1000))
    before_maps = page.evaluate(MAPS_JS)
    page.locator(".sb-map").first.scroll_into_view_if_needed()
    time.sleep(0.5)
    anchors = {p["id"] for p in page.evaluate(POINTS_JS, 0) if p["trace"] == "anchors"}
    pts = [p for p in page.evaluate(POINTS_JS, 0) if p["trace"] not in ("anchors", "highlighted")
           and p["id"] not in anchors]
    target = pts[len(pts) // 2]
    page.mouse.move(target["x"], target["y"])
    time.sleep(0.3)
    page.mouse.click(target["x"], target["y"])
    wait_for(lambda: page.get_by_text("Nearest neighbours of id").count() == 1, timeout=60,
             what="the inspector to show the clicked sample")
    wait_idle(page)
    assert metric_value(page, "Anchors") == "100" and page.get_by_text("Anchors unchanged").count() == 1
    assert {p["id"] for p in page.evaluate(POINTS_JS, 0) if p["trace"] == "anchors"} == anchors
    page.screenshot(path=str(tmp_path / "inspected.png"))

    # a search lists its matches; a click on a row of the selection shows that sample and its neighbours
    search = page.get_by_placeholder("Search: id (3, 20-25), label, words")
    search.fill("id:40-45")
    search.press("Enter")
    wait_for(lambda: page.get_by_text("Nearest neighbours of id 40").count() == 1, timeout=60,
             what="the first match inspected")
    wait_idle(page)
    grid = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first  # the selection list
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + 35 + 35 * 2 + 17)  # the third row's selection cell
    wait_for(lambda: page.get_by_text("Nearest neighbours of id 42").count() == 1, timeout=60,
             what="the third match (id 42) inspected")
    wait_idle(page)
    page.screenshot(path=str(tmp_path / "row_picked.png"))
    page.get_by_role("button", name="Clear highlight").click()
    wait_idle(page)

    # a highlight click: rings on the four maps, and the maps stay where they are
    click_mode(page, "highlight")
    tops = [m["top"] for m in page.evaluate(MAPS_JS)]
    pts = [p for p in page.evaluate(POINTS_JS, 1) if p["trace"] not in ("anchors", "highlighted")]
    target = pts[len(pts) // 3]
    page.mouse.move(target["x"], target["y"])
    time.sleep(0.3)
    page.mouse.click(target["x"], target["y"])
    wait_for(lambda: any(p["trace"] == "highlighted" for p in page.evaluate(POINTS_JS, 3)), timeout=60,
             what="the ring on the fourth map")
    wait_idle(page)
    time.sleep(0.5)
    moved = [m["top"] - t for m, t in zip(page.evaluate(MAPS_JS), tops)]
    print(f"maps moved by {moved} px after a highlight click (first maps at {before_maps[0]['top']:.0f} px)")
    assert all(abs(d) < 1 for d in moved), moved
    no_error_on(page)
    page.close()


def test_copy_link_copies_the_view(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    page.goto(server + "/?method=pca")
    page.wait_for_selector(".js-plotly-plot", timeout=180_000)
    wait_idle(page)
    page.locator(".sb-copy button").click()
    wait_for(lambda: page.locator(".sb-copy .sb-note").inner_text() == "Link copied", timeout=10, what="the copy")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.url and "anchors=" in copied and "dataset=digits" in copied and "method=pca" in copied
    context.close()
