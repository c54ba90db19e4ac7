"""Large maps in a real browser (dashboard.map_chart): every point drawn, an anchor edit moves
the stars of the absolute maps without remounting them, a pan drag moves the drawn picture and
draws the points once on release, and a click on a map still picks."""

import re
import time

import numpy as np
import pytest

from dashboard import figures
from tests.e2e.test_dashboard_browser import click_mode, no_error_on, wait_for, wait_idle
from tests.e2e.test_upload_browser import _load

pytestmark = pytest.mark.browser
N = figures.HOVERTEXT_UP_TO + 5_000

MAPS_JS = """() => Array.from(document.querySelectorAll('.sb-map')).map((gd) => ({
  points: (gd._fullData || []).filter((t) => t.meta !== 'overlay').reduce((a, t) => a + (t._length || 0), 0),
  stars: (gd.__stitchboardMarks || []).filter((s) => s.group === 'anchors').length,
  drawn: ((gd.querySelector('svg.sb-marks .sb-anchors') || {getAttribute: () => ''}).getAttribute('d') || '').split('Z').length - 1,
  first: gd._fullData && gd._fullData[0] ? gd._fullData[0].x[0] : null,
  tag: gd.__tag === undefined ? null : gd.__tag,
}))"""

POINT_JS = """(k) => {  // pixel of a point of the k-th map in view, away from its edges
  const gd = document.querySelectorAll('.sb-map')[k];
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
  const t = gd._fullData[0];
  for (let i = Math.floor(t._length / 2); i < t._length; i++) {
    const px = xa.l2p(t.x[i]), py = ya.l2p(t.y[i]);
    if (px > 20 && px < xa._length - 20 && py > 20 && py < ya._length - 20) {
      return {x: r.left + xa._offset + px, y: r.top + ya._offset + py, id: Number(t.customdata[i][0])};
    }
  }
  return null;
}"""


PAN_JS = """(k) => {  // the pan state of the k-th map: WebGL calls drawn / held back, the picture's offset, the ranges
  const gd = document.querySelectorAll('.sb-map')[k], held = gd.__stitchboardPan, L = gd._fullLayout;
  const c = gd.querySelector('.gl-canvas-context');
  const m = /translate\\(([-\\d.e]+)px, ([-\\d.e]+)px\\)/.exec(c.style.transform);
  return {on: held.on, drawn: held.drawn, skipped: held.skipped, offset: m ? [Number(m[1]), Number(m[2])] : null,
          x: L.xaxis.range.slice(), y: L.yaxis.range.slice(), len: [L.xaxis._length, L.yaxis._length]};
}"""


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("large")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 8, N)
    centres = rng.normal(size=(8, 24)) * 3
    A = (centres[labels] + rng.normal(size=(N, 24))).astype(np.float32)
    Q, _ = np.linalg.qr(rng.normal(size=(24, 24)))
    B = (A @ Q).astype(np.float32)  # the same space, rotated
    ids = np.arange(N)
    np.savez(d / "big_a.npz", vectors=A, ids=ids, labels=labels)
    np.savez(d / "big_b.npz", vectors=B, ids=ids, labels=labels)
    return d


def test_large_maps_stay_mounted_through_an_anchor_edit(browser, server, pair, tmp_path):
    page = browser.new_page(viewport={"width": 1500, "height": 1900})
    page.goto(server + "/data")
    page.get_by_role("tab", name="Upload your own").wait_for(timeout=120_000)
    _load(page, [pair / "big_a.npz", pair / "big_b.npz"], name="large pair")
    page.get_by_text("Loaded:").first.wait_for(timeout=120_000)
    page.get_by_role("link", name="Explore & stitch").first.click()
    page.locator('[data-testid="stSidebar"]').get_by_text("PCA", exact=True).click(timeout=120_000)

    def maps():
        return page.evaluate(MAPS_JS)

    wait_for(lambda: len(maps()) == 4 and all(m["points"] == N for m in maps()), timeout=300,
             what=f"four large maps of {N:,} points")
    wait_idle(page)
    no_error_on(page)
    page.screenshot(path=str(tmp_path / "large_maps.png"))
    before = maps()
    assert all(m["points"] == N for m in before)  # every point drawn, none sampled
    # each map's points element takes no room (no gap above the map)
    hidden = page.evaluate("() => Array.from(document.querySelectorAll('.stElementContainer[class*=\"-sbpoints\"]'))"
                           ".map((c) => [getComputedStyle(c).display, c.getBoundingClientRect().height])")
    assert hidden == [["none", 0]] * 4, hidden
    n_anchors = before[0]["stars"]
    assert n_anchors >= 2 and all(m["stars"] == m["drawn"] == n_anchors for m in before)
    page.evaluate("() => document.querySelectorAll('.sb-map').forEach((gd, i) => { gd.__tag = i; })")

    # ---- an anchor edit: new relative maps, new stars on the absolute maps, the same four plots
    page.get_by_role("button", name="Pick anchors").click()  # the strategy buttons are in this popover
    page.get_by_label("seed").fill("7")
    page.get_by_label("seed").press("Enter")
    wait_idle(page)  # the seed's own rerun ends first
    received = []  # sizes of the messages the server sends during the edit (the socket is open: read it over CDP)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on("Network.webSocketFrameReceived", lambda ev: received.append(len(ev["response"]["payloadData"])))
    page.get_by_role("button", name="random", exact=True).click()
    wait_for(lambda: sum(m["first"] != b["first"] for m, b in zip(maps(), before)) >= 2, timeout=120,
             what="the relative maps of the new anchors")
    wait_idle(page)
    after = maps()
    no_error_on(page)
    # the absolute maps (same points, new stars) were updated in place, not remounted; the relative maps got new
    # points (a remount or Plotly.react: one draw either way)
    assert [m["tag"] for m in after[:2]] == [0, 1], "an absolute map was remounted instead of updated"
    assert [m["first"] for m in after[:2]] == [b["first"] for b in before[:2]]  # absolute points unchanged
    assert all(m["points"] == N and m["stars"] == m["drawn"] == n_anchors for m in after)
    # the points of the two relative maps were sent, those of the absolute maps not (a reference to the browser's
    # copy): two messages of the points' size, the rest (stars, titles, the readout) far smaller
    cdp.detach()
    big = sorted(received, reverse=True)
    assert big and big[0] > 100_000 and len([r for r in big if r > big[0] / 2]) == 2, big[:6]

    # ---- a pan drag on the absolute map of A: the drawn picture follows the mouse, WebGL draws nothing until
    # the release (in software WebGL a 100k-point redraw per mouse move is ~0.3 s), then the points are drawn once
    box = page.locator(".sb-map").first.bounding_box()
    cx, cy = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5
    page.mouse.move(cx, cy)
    start = page.evaluate(PAN_JS, 0)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(cx + 6 * k, cy + 4 * k)
    mid = page.evaluate(PAN_JS, 0)
    page.screenshot(path=str(tmp_path / "large_maps_panning.png"))
    page.mouse.up()
    wait_for(lambda: page.evaluate(PAN_JS, 0)["drawn"] > 0, timeout=30, what="the points to be drawn after the pan")
    end = page.evaluate(PAN_JS, 0)
    assert mid["on"] and mid["drawn"] == 0 and mid["skipped"] > 0, mid  # no WebGL draw during the drag
    assert mid["offset"] == pytest.approx([60, 40], abs=1.5), mid  # the picture moved with the mouse
    assert not end["on"] and end["offset"] is None, end  # released: drawn in place at the new ranges
    span_x, span_y = start["x"][1] - start["x"][0], start["y"][1] - start["y"][0]
    assert (end["x"][1] - end["x"][0]) == pytest.approx(span_x) and (end["y"][1] - end["y"][0]) == pytest.approx(span_y)
    # the new ranges are the picture's offset: the points are drawn where the picture was when the mouse let go
    assert (start["x"][0] - end["x"][0]) / span_x * end["len"][0] == pytest.approx(mid["offset"][0], abs=1.5)
    assert (end["y"][1] - start["y"][1]) / span_y * end["len"][1] == pytest.approx(mid["offset"][1], abs=1.5)
    no_error_on(page)

    # ---- a click on a point of the absolute map of A toggles it as an anchor (or says it is a test sample)
    # (after plotly's double-click window: a click within 0.3 s of the pan's release would be a double click)
    page.keyboard.press("Escape")  # close the strategy popover
    click_mode(page, "edit anchors")
    time.sleep(0.5)
    p = page.evaluate(POINT_JS, 0)
    page.mouse.move(p["x"], p["y"])  # as a user does: the hover finds the point, then the click picks it
    time.sleep(0.3)
    page.mouse.click(p["x"], p["y"])
    wait_for(lambda: "Selection on Absolute A" in page.locator("body").inner_text(), timeout=60,
             what="the click on the map to be applied")
    wait_idle(page)
    no_error_on(page)
    text = page.locator("body").inner_text()
    # the point under the cursor (points overlap at 25k: not necessarily the one aimed at) became or stopped being an anchor
    assert re.search(r"Selection on Absolute A: (added|removed) 1 \(\d+\)|test sample\(s\) skipped", text), text[-800:]
    page.screenshot(path=str(tmp_path / "large_maps_after.png"))
    print(f"large maps: {N:,} points each; screenshots in {tmp_path}")
