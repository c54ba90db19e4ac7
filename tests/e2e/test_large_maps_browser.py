"""Large maps in a real browser (dashboard.map_chart): every point drawn, an anchor edit moves
the stars of the absolute maps without remounting them, and a click on a map still picks."""

import re
import time

import numpy as np
import pytest

from dashboard import map_chart
from tests.e2e.test_dashboard_browser import no_error_on, wait_for, wait_idle
from tests.e2e.test_upload_browser import _load

pytestmark = pytest.mark.browser
N = map_chart.LARGE_FROM + 5_000

MAPS_JS = """() => Array.from(document.querySelectorAll('.sb-map')).map((gd) => ({
  points: (gd._fullData || []).filter((t) => t.meta !== 'overlay').reduce((a, t) => a + (t._length || 0), 0),
  stars: ((gd._fullLayout || {}).shapes || []).filter((s) => s.legendgroup === 'anchors' && s.visible !== false).length,
  first: gd._fullData && gd._fullData[0] ? gd._fullData[0].x[0] : null,
  tag: gd.__tag === undefined ? null : gd.__tag,
}))"""

POINT_JS = """(k) => {  // pixel of a point of the k-th map that is not an anchor
  const gd = document.querySelectorAll('.sb-map')[k];
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
  const t = gd._fullData[0]; const i = Math.floor(t._length / 2);
  return {x: r.left + xa._offset + xa.l2p(t.x[i]), y: r.top + ya._offset + ya.l2p(t.y[i]), id: Number(t.customdata[i][0])};
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
    n_anchors = before[0]["stars"]
    assert n_anchors >= 2 and all(m["stars"] == n_anchors for m in before)
    page.evaluate("() => document.querySelectorAll('.sb-map').forEach((gd, i) => { gd.__tag = i; })")

    # ---- an anchor edit: new relative maps, new stars on the absolute maps, the same four plots
    page.get_by_label("seed").fill("7")
    page.get_by_label("seed").press("Enter")
    time.sleep(1.0)
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
    assert all(m["points"] == N and m["stars"] == n_anchors for m in after)

    # ---- a click on a point of the absolute map of A toggles it as an anchor (or says it is a test sample)
    p = page.evaluate(POINT_JS, 0)
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
