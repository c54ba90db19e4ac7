"""The dashboard in a real browser: anchors picked on the map, the playground, a saved session.

Screenshots of every page go to pytest's temporary directory (printed with -s).
"""

import json
import time

import numpy as np
import pytest

pytestmark = pytest.mark.browser

N_SAMPLES = 1797  # every digits sample is drawn in every map
READOUT = "B → A's head · relative"

# pixel position, id and trace of every point of the i-th map on the page; then one entry per star / ring
# (trace "anchors" / "highlighted"): the maps draw them in an SVG overlay at their sample's point, whose id is
# found by its coordinates; ``drawn`` says whether the overlay's path has that star / ring at that pixel
POINTS_JS = """(idx) => {
  const gd = document.querySelectorAll('.js-plotly-plot')[idx];
  if (!gd || !gd._fullLayout || !gd._fullData) return [];  // a chart being (re)mounted: no points yet
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
  const out = [], at = new Map();
  const px = (x, y) => ({x: r.left + xa._offset + xa.l2p(x), y: r.top + ya._offset + ya.l2p(y)});
  gd._fullData.forEach((t) => {
    if (t.meta === 'overlay') return;  // a legend entry only
    const n = t._length || (t.x ? t.x.length : 0);
    for (let k = 0; k < n; k++) {
      const cd = t.customdata ? t.customdata[k] : null;
      const id = (cd !== null && typeof cd === 'object') ? (cd[0] !== undefined ? cd[0] : cd['0']) : cd;
      at.set(t.x[k] + ',' + t.y[k], Number(id));
      out.push({trace: t.name, id: Number(id), ...px(t.x[k], t.y[k])});
    }
  });
  // the first vertex of each star (its top, 5 px above the point) and of each ring (its left, r px beside it)
  const starts = {anchors: [], highlighted: []};
  for (const g of ['anchors', 'highlighted']) {
    const path = gd.querySelector('svg.sb-marks .sb-' + g), d = path ? path.getAttribute('d') || '' : '';
    for (const m of d.matchAll(/M(-?[0-9.]+),(-?[0-9.]+)(a(-?[0-9.]+))?/g)) {
      starts[g].push([Number(m[1]) + (m[4] ? Number(m[4]) : 0), Number(m[2]) + (m[4] ? 0 : 5)]);
    }
  }
  (gd.__stitchboardMarks || []).forEach((s) => {
    const x = xa._offset + xa.l2p(s.x), y = ya._offset + ya.l2p(s.y);
    const drawn = starts[s.group].some(([u, v]) => Math.abs(u - x) < 0.2 && Math.abs(v - y) < 0.2);
    out.push({trace: s.group, id: at.get(s.x + ',' + s.y), drawn, ...px(s.x, s.y)});
  });
  return out;
}"""


@pytest.fixture(scope="module")
def digits():
    from core.spaces.zoo import Zoo

    return Zoo("digits").collection()


READOUT_BACK = "A → B's head · relative"


def expected_readouts(digits, anchors) -> tuple[str, str]:
    """The two relative readouts (B → A's head, A → B's head) for these anchors, as the page prints them."""
    from core.methods.stitching import stitching_matrix

    tr, te = digits.part("train"), digits.part("test")
    names = ("mlp-s0", "mlp-s1")
    R = stitching_matrix({n: tr[n] for n in names}, {n: te[n] for n in names}, list(anchors), modes=("relative",))
    return f"{R.scores['relative'][0, 1]:.3f}", f"{R.scores['relative'][1, 0]:.3f}"


def readouts(page) -> tuple:
    m = page.evaluate(METRICS_JS)
    return m.get(READOUT), m.get(READOUT_BACK)


METRICS_JS = """() => { const out = {}; document.querySelectorAll('[data-testid="stMetric"]').forEach(m => {
  const l = m.querySelector('[data-testid="stMetricLabel"]'), v = m.querySelector('[data-testid="stMetricValue"]');
  if (l && v && !(l.innerText.trim() in out)) out[l.innerText.trim()] = v.innerText.trim(); }); return out; }"""


def metric_value(page, label: str) -> str | None:
    """The value of the first metric with this label (one round trip to the browser)."""
    return page.evaluate(METRICS_JS).get(label)


#: The app's run state (Streamlit's own attribute): the Stop button only shows once a run has lasted a while.
RUNNING = '[data-testid="stApp"]:is([data-test-script-state="running"], [data-test-script-state="rerunRequested"])'


def wait_idle(page, timeout: float = 300.0) -> float:
    """Until the script stopped running and no preview/placeholder map is left."""
    t0 = time.time()
    time.sleep(0.5)
    while time.time() - t0 < timeout:
        busy = (page.locator(RUNNING).count() + page.get_by_role("button", name="Stop").count()
                + page.get_by_text("preview while").count()
                + page.get_by_text("previous anchors; updating").count() + page.locator('[data-testid="stSkeleton"]').count())
        if busy == 0:
            return time.time() - t0
        time.sleep(0.25)
    raise AssertionError(f"the page did not settle in {timeout:.0f} s")


def wait_for(predicate, timeout: float = 120.0, what: str = "") -> float:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if predicate():
            return time.time() - t0
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def no_error_on(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').all_inner_texts()
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0, page.locator('[data-testid="stAlertContentError"]').all_inner_texts()


def uncaught_errors(page) -> list:
    """The page's uncaught script errors from now on (a list that fills as they happen); none expected."""
    errors: list = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def anchors_in_message(page) -> str:
    return " ".join(page.locator('[data-testid="stCaptionContainer"]').all_inner_texts())


def click_mode(page, mode: str) -> None:
    """Choose what a click on a map does ("inspect", "edit anchors", "highlight") and wait for the rerun."""
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text=mode).first.click()
    wait_idle(page)


def current_anchor_ids(page, map_index: int = 0) -> set:
    stars = [p for p in page.evaluate(POINTS_JS, map_index) if p["trace"].startswith("anchors")]
    assert all(p["drawn"] for p in stars), "a star is not drawn at its sample's point"
    return {p["id"] for p in stars}


def test_click_and_box_select_on_a_map_pick_anchors(browser, server, digits, tmp_path):
    page = browser.new_page(viewport={"width": 1500, "height": 2400})
    t0 = time.time()
    page.goto(server)
    page.wait_for_selector(".js-plotly-plot", timeout=180_000)
    first_paint = time.time() - t0
    wait_idle(page, timeout=400)
    print(f"first map painted after {first_paint:.1f} s, UMAP maps final after {time.time() - t0:.1f} s")
    page.screenshot(path=str(tmp_path / "explore.png"), full_page=True)
    no_error_on(page)
    for title in ("Absolute A:", "Absolute B:", "Relative A:", "Relative B:"):
        assert page.get_by_text(title).count() == 1, title
    pts = page.evaluate(POINTS_JS, 0)
    base = [p for p in pts if not p["trace"].startswith(("anchors", "highlighted"))]
    assert len(base) == N_SAMPLES  # nothing sampled
    anchors = sorted(current_anchor_ids(page))
    assert len(anchors) == 100 and metric_value(page, "Anchors") == "100"
    before = readouts(page)
    assert before == expected_readouts(digits, anchors)
    click_mode(page, "edit anchors")  # a click inspects by default; here it is to toggle anchors

    # ---- one click on Absolute B (B's points scatter in A's frame): an isolated train point whose
    # anchor changes the readout. Plotly picks any point under the marker, so no other within 8 px.
    split = dict(zip(digits.ids.tolist(), digits.split.tolist()))
    pts_b = page.evaluate(POINTS_JS, 1)
    xy = np.array([[p["x"], p["y"]] for p in pts_b])
    candidates = []
    for p in pts_b:
        if p["trace"].startswith(("anchors", "highlighted")) or split[p["id"]] != "train" or p["id"] in anchors:
            continue
        d = np.sqrt(((xy - [p["x"], p["y"]]) ** 2).sum(1))
        if np.sort(d)[1] > 8:
            candidates.append(p)
    assert candidates, "no isolated train point to click"
    target = next(p for p in candidates[:300] if expected_readouts(digits, anchors + [p["id"]]) != before)
    page.mouse.move(target["x"], target["y"])
    time.sleep(0.3)
    t_click = time.time()
    page.mouse.click(target["x"], target["y"])
    latency_count = wait_for(lambda: metric_value(page, "Anchors") == "101", what="the anchor count to reach 101")
    want = expected_readouts(digits, anchors + [target["id"]])
    wait_for(lambda: readouts(page) == want, what=f"the readout to show {want}")
    latency_readout = time.time() - t_click
    print(f"click -> anchor count {latency_count:.2f} s, click -> stitching readout {latency_readout:.2f} s "
          f"(readout {before} -> {want})")
    assert want != before
    # the anchor controls' message is drawn after the readout in the same run: wait for it too
    wait_for(lambda: f"added 1 ({target['id']})" in anchors_in_message(page), timeout=30,
             what=f"the message 'added 1 ({target['id']})'")
    wait_idle(page)
    no_error_on(page)
    assert current_anchor_ids(page, 0) == set(anchors) | {target["id"]}
    assert current_anchor_ids(page, 3) == set(anchors) | {target["id"]}  # stars in every map
    page.screenshot(path=str(tmp_path / "explore_after_click.png"), full_page=True)

    # ---- box select on Absolute A: several train points at once
    pts_a = page.evaluate(POINTS_JS, 0)
    base_b = [p for p in pts_a if not p["trace"].startswith(("anchors", "highlighted"))]
    have = current_anchor_ids(page, 0)
    xy_b = np.array([[p["x"], p["y"]] for p in base_b])
    best = None
    for p in base_b[::7]:
        inside = [q for q in base_b if abs(q["x"] - p["x"]) < 14 and abs(q["y"] - p["y"]) < 14
                  and split[q["id"]] == "train" and q["id"] not in have]
        if len(inside) >= 3 and (best is None or len(inside) < len(best[1])):  # a few, not a whole cluster
            best = (p, inside)
    center, _ = best
    x0, y0, x1, y1 = center["x"] - 16, center["y"] - 16, center["x"] + 16, center["y"] + 16
    inner = {q["id"] for q in base_b if x0 + 3 < q["x"] < x1 - 3 and y0 + 3 < q["y"] < y1 - 3
             and split[q["id"]] == "train" and q["id"] not in have}
    outer = {q["id"] for q in base_b if x0 - 3 < q["x"] < x1 + 3 and y0 - 3 < q["y"] < y1 + 3
             and split[q["id"]] == "train" and q["id"] not in have}
    assert len(inner) >= 2 and len(xy_b) == N_SAMPLES
    chart = page.locator(".js-plotly-plot").nth(0)
    chart.hover()
    chart.locator('[data-title="Box Select"]').click()
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=8)
    page.mouse.up()
    wait_for(lambda: int(metric_value(page, "Anchors")) > 101, what="the box selection to add anchors")
    wait_idle(page)
    added = current_anchor_ids(page, 0) - have
    print(f"box selection added {len(added)} anchors")
    assert inner <= added <= outer, (sorted(inner), sorted(added), sorted(outer))
    assert int(metric_value(page, "Anchors")) == 101 + len(added)
    # the readout follows (anchor order does not change the heads' predictions)
    assert readouts(page) == expected_readouts(digits, anchors + [target["id"]] + sorted(added))
    no_error_on(page)
    page.screenshot(path=str(tmp_path / "explore_after_box.png"), full_page=True)
    print(f"screenshots in {tmp_path}")
    page.close()


def choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by its label."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_playground_rotation_moves_absolute_not_relative(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1500, "height": 2200})
    page.goto(server + "/playground")
    page.wait_for_selector(".js-plotly-plot", timeout=180_000)
    wait_idle(page)
    no_error_on(page)
    rel, absol = "B's head (mlp-s1) on B · relative", "B's head (mlp-s1) on B · absolute"
    stitched_rel = "A's head (mlp-s0) on B · relative"
    choose(page, "Transform of B", "none")
    wait_for(lambda: page.get_by_text("Relative vectors are invariant").count() == 1 and metric_value(page, "Absolute vectors: mean cosine(B, transformed B)") == "1.000",
             what="the untransformed readout")
    wait_idle(page)
    before = {k: metric_value(page, k) for k in (rel, absol, stitched_rel)}
    choose(page, "Transform of B", "rotation (angle)")
    wait_for(lambda: metric_value(page, "Absolute vectors: mean cosine(B, transformed B)") != "1.000", what="the rotation")
    wait_idle(page)
    after = {k: metric_value(page, k) for k in (rel, absol, stitched_rel)}
    print(f"playground, rotation by 90°: before {before}, after {after}")
    assert after[rel] == before[rel] and after[stitched_rel] == before[stitched_rel]
    assert float(after[absol]) < float(before[absol]) - 0.5
    assert metric_value(page, "Relative vectors: mean cosine(before, after)") == "1.000"
    no_error_on(page)
    page.screenshot(path=str(tmp_path / "playground.png"), full_page=True)
    print(f"screenshot {tmp_path / 'playground.png'}")
    page.close()


def sidebar_page(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.wait_for_timeout(500)
    wait_idle(page)


def save_session(page, path) -> dict:
    with page.expect_download() as dl:
        page.get_by_role("button", name="Save session (JSON)").click()
    dl.value.save_as(str(path))
    return json.loads(path.read_text())


def test_a_saved_session_loads_back_the_same_anchors(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1500, "height": 1800})
    page.goto(server + "/export?method=pca")
    page.wait_for_selector('[data-testid="stFileUploader"]', timeout=180_000)
    wait_idle(page)
    no_error_on(page)
    saved = save_session(page, tmp_path / "session.json")
    assert saved["version"] == 1 and saved["dataset"] == "digits" and len(saved["anchors"]) == 100
    assert saved["method"] == "pca"

    # change the anchors on Explore, then come back and load the file
    sidebar_page(page, "Explore & stitch")
    page.get_by_role("button", name="Clear", exact=True).click()
    wait_for(lambda: metric_value(page, "Anchors") == "0", what="the anchors to be cleared")
    sidebar_page(page, "Share & export")
    assert metric_value(page, "Anchors") == "0"
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')

    # a bad file is refused with a message and changes nothing
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**saved, "anchors": saved["anchors"][:3] + [99999], "zoom": 3}))
    uploader.set_input_files(str(bad))
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Load session").click()
    wait_for(lambda: page.locator('[data-testid="stAlertContentError"]').count() == 1, what="the refusal")
    msg = page.locator('[data-testid="stAlertContentError"]').inner_text()
    assert "unknown keys ['zoom']" in msg and "99999" in msg and "Nothing was changed" in msg
    assert metric_value(page, "Anchors") == "0"

    uploader.set_input_files(str(tmp_path / "session.json"))
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Load session").click()
    wait_for(lambda: page.get_by_text("Session loaded").count() == 1, what="the session to load")
    wait_idle(page)
    assert metric_value(page, "Anchors") == "100"
    again = save_session(page, tmp_path / "again.json")
    assert again["anchors"] == saved["anchors"]
    assert {k: v for k, v in again.items() if k != "highlight"} == {k: v for k, v in saved.items() if k != "highlight"}
    page.screenshot(path=str(tmp_path / "export.png"), full_page=True)
    # the link carries the anchors too
    assert "anchors=" in page.url and "dataset=digits" in page.url
    print(f"screenshot {tmp_path / 'export.png'}")
    page.close()


def test_every_page_renders_without_errors(browser, server, tmp_path):
    """Screenshots of every page (look at them); the slow parts are started by their buttons."""
    page = browser.new_page(viewport={"width": 1500, "height": 3400})  # Streamlit scrolls inside: a tall window
    thrown = uncaught_errors(page)  # leaving a page of maps used to reject plotly.js resizes of hidden plots
    page.goto(server + "/?method=pca")
    page.wait_for_selector(".js-plotly-plot", timeout=180_000)
    wait_idle(page)
    shots = {}
    for title, action in (
        ("Explore & stitch", None), ("Stitching", "Train the decoders"), ("Compare spaces", None),
        ("Invariance playground", None), ("Anchor sweep", "Run the sweep"), ("Reproduce the paper", None),
        ("Share & export", None), ("Data & encoders", None),
    ):
        sidebar_page(page, title)
        if action:
            page.get_by_role("button", name=action).click()
            page.wait_for_timeout(1000)
            wait_idle(page, timeout=400)
        no_error_on(page)
        assert page.locator("h1").first.inner_text().strip() in (title, "Stitchboard"), title
        path = tmp_path / f"page_{title.split()[0].lower()}.png"
        page.screenshot(path=str(path), full_page=True)
        shots[title] = path
    print("screenshots:", *shots.values(), sep="\n  ")
    assert thrown == []
    page.close()


# every element that turns stale from now on: its computed transition when it does
STALE_JS = """() => { window.__stale = [];
  new MutationObserver((ms) => { for (const m of ms) { if (m.target.getAttribute('data-stale') !== 'true') continue;
    const cs = getComputedStyle(m.target);
    window.__stale.push([m.target.getAttribute('data-testid'), cs.transitionDuration, cs.transitionDelay]); } })
  .observe(document.body, {attributes: true, subtree: true, attributeFilter: ['data-stale']}); }"""


def test_elements_of_a_running_script_dim_in_one_step(browser, server):
    """Streamlit fades a running script's elements over a second; drawn in software, each frame of it recomposites
    the page and its maps. Here they dim in one step, after Streamlit's own half second."""
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(server + "/?method=pca")
    page.wait_for_selector(".js-plotly-plot", timeout=180_000)
    wait_idle(page)
    page.evaluate(STALE_JS)
    page.get_by_role("button", name="Pick anchors").click()
    page.get_by_role("button", name="kmeans", exact=True).click()
    page.get_by_text("kmeans anchors (seed").first.wait_for(timeout=120_000)
    wait_idle(page)
    stale = page.evaluate("() => window.__stale")
    containers = [s for s in stale if s[0] == "stElementContainer"]
    assert containers, f"no element turned stale during the edit: {stale}"
    assert {d for _, d, _ in containers} == {"0s"}, containers
    assert {delay for _, _, delay in containers} == {"0.5s"}, containers  # Streamlit's delay, kept
    page.close()
