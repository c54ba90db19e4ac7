"""The presenter's story end to end in a real browser, at a projector's 1280 x 720.

Screenshots of every step go to pytest's temporary directory (printed with -s).
"""

import io
import time

import pytest

pytestmark = pytest.mark.browser

METRICS_JS = """() => { const out = {}; document.querySelectorAll('[data-testid="stMetric"]').forEach(m => {
  const l = m.querySelector('[data-testid="stMetricLabel"]'), v = m.querySelector('[data-testid="stMetricValue"]');
  if (l && v && !(l.innerText.trim() in out)) out[l.innerText.trim()] = v.innerText.trim(); }); return out; }"""
# every image of the page that shows a map: loaded, and how large it is drawn
IMAGES_JS = """() => Array.from(document.querySelectorAll('[data-testid="stImage"] img')).map(i => (
  {loaded: i.complete && i.naturalWidth > 0, w: i.getBoundingClientRect().width, h: i.getBoundingClientRect().height}))"""


@pytest.fixture(scope="module")
def numbers():
    """The story's readout computed from core (Explore's first-visit anchors of digits)."""
    from core.methods.anchors import select_anchors
    from core.methods.stitching import stitching_matrix
    from core.spaces.zoo import Zoo

    coll = Zoo("digits").collection()
    tr, te = coll.part("train"), coll.part("test")
    a, b = coll.names[:2]
    anchors = [i.item() for i in select_anchors(tr[a], 100, strategy="random", random_state=0)]
    R = stitching_matrix({n: tr[n] for n in (a, b)}, {n: te[n] for n in (a, b)}, anchors, modes=("relative",))
    A = stitching_matrix({n: tr[n] for n in (a, b)}, {n: te[n] for n in (a, b)}, [], modes=("absolute",))
    return {"abs": f"{A.scores['absolute'][0, 1]:.3f}", "rel": f"{R.scores['relative'][0, 1]:.3f}"}


def settle(page, timeout: float = 300.0) -> None:
    """Until the script stopped running and no PCA preview is left on the page."""
    t0 = time.time()
    time.sleep(0.5)
    while time.time() - t0 < timeout:
        busy = (page.locator('[data-testid="stStatusWidget"]').count() + page.get_by_text("PCA preview").count()
                + page.locator('[data-testid="stSkeleton"]').count())
        if not busy:
            return
        time.sleep(0.25)
    raise AssertionError(f"the page did not settle in {timeout:.0f} s")


def button(page, key: str):
    """The button of widget ``key`` (a button with a tooltip shows up twice in the DOM: the first is the one drawn)."""
    return page.locator(f".st-key-{key} button").first


def heading(page) -> str:
    return page.locator("h1").first.inner_text().strip()


def wait_heading(page, text: str, timeout: float = 120.0) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if page.locator("h1").count() and heading(page) == text:
            return
        time.sleep(0.1)
    raise AssertionError(f"heading {heading(page)!r} did not become {text!r}")


def no_error_on(page) -> None:
    for tid in ("stException", "stAlertContentError"):
        assert page.locator(f'[data-testid="{tid}"]').count() == 0, page.locator(f'[data-testid="{tid}"]').all_inner_texts()


def big_maps(page, n: int, *, min_w: float) -> None:
    imgs = page.evaluate(IMAGES_JS)
    assert len(imgs) == n and all(i["loaded"] for i in imgs), imgs
    assert all(i["w"] >= min_w and i["h"] >= 0.3 * min_w for i in imgs), imgs


def test_the_story_in_four_steps(browser, server, numbers, tmp_path):
    from PIL import Image

    page = browser.new_page(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    t0 = time.time()
    page.goto(server + "/presenter")
    wait_heading(page, "1. Absolute spaces disagree", timeout=180)
    settle(page)
    print(f"step 1 final after {time.time() - t0:.1f} s")
    no_error_on(page)
    assert "step=1" in page.url
    big_maps(page, 2, min_w=240)  # beside the sidebar
    # a presenter hides the sidebar (its caption says how): the maps grow
    page.locator('[data-testid="stSidebar"]').hover()  # the « button shows on hover
    page.get_by_role("button", name="Collapse sidebar").click()
    time.sleep(1.0)
    big_maps(page, 2, min_w=320)
    m = page.evaluate(METRICS_JS)
    assert m["A reads B"] == numbers["abs"] and float(numbers["abs"]) < 0.2
    # projector type: the title at least 40 px, the number at least 38 px
    assert page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)") >= 40
    assert page.evaluate("() => parseFloat(getComputedStyle(document.querySelector("
                         "'[data-testid=\"stMetricValue\"]')).fontSize)") >= 38
    page.screenshot(path=str(tmp_path / "step1.png"))

    # the slide download: a 1920 x 1080 PNG drawn by the server
    with page.expect_download() as dl:
        page.get_by_role("button", name="Slide (PNG)").click()
    img = Image.open(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert img.size == (1920, 1080)

    # the one action of step 1: follow one digit (the others fade)
    button(page, "pr_follow").click()
    page.get_by_text("other classes").wait_for(timeout=30_000)
    settle(page)
    page.screenshot(path=str(tmp_path / "step1_follow.png"))

    # → key: step 2, the relative maps and readout
    page.keyboard.press("ArrowRight")
    wait_heading(page, "2. Relative spaces agree")
    settle(page)
    no_error_on(page)
    assert "step=2" in page.url
    big_maps(page, 2, min_w=300)
    assert page.evaluate(METRICS_JS)["A reads B"] == numbers["rel"]
    page.screenshot(path=str(tmp_path / "step2.png"))

    # Next: step 3, one big figure with both numbers
    button(page, "pr_next").click()
    wait_heading(page, "3. Stitching works only relatively")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    settle(page)
    bars = page.locator(".js-plotly-plot .bartext").evaluate_all("es => es.map(e => e.textContent.trim())")
    assert numbers["rel"] in bars and numbers["abs"] in bars, bars
    box = page.locator(".js-plotly-plot").first.bounding_box()
    assert box["width"] > 900 and box["height"] > 400
    page.screenshot(path=str(tmp_path / "step3.png"))

    # step 4: rotate B; absolute drops, relative stays
    button(page, "pr_next").click()
    wait_heading(page, "4. Rotate B: nothing relative moves")
    settle(page)
    before = page.evaluate(METRICS_JS)
    button(page, "pr_rotate").click()
    page.get_by_text("B after rotation 1").wait_for(timeout=60_000)
    settle(page)
    no_error_on(page)
    after = page.evaluate(METRICS_JS)
    assert after["on relative vectors"] == before["on relative vectors"]
    assert float(after["on absolute vectors"]) < float(before["on absolute vectors"]) - 0.5
    big_maps(page, 4, min_w=200)
    page.screenshot(path=str(tmp_path / "step4_rotated.png"))

    # a reload keeps the step (the URL), Back and ← walk back
    page.reload()
    wait_heading(page, "4. Rotate B: nothing relative moves", timeout=120)
    settle(page)
    button(page, "pr_back").click()
    wait_heading(page, "3. Stitching works only relatively")
    page.keyboard.press("ArrowLeft")
    wait_heading(page, "2. Relative spaces agree")
    assert "step=2" in page.url

    # each step links to the page that shows it in full
    page.get_by_role("link", name="Pick your own anchors: Explore & stitch").click()
    wait_heading(page, "Explore & stitch", timeout=120)
    no_error_on(page)
    print(f"screenshots in {tmp_path}")


def test_explore_downloads_the_slide_as_svg(browser, server, tmp_path):
    """Explore's slide button: drawn by the server when clicked, every point of the four maps in it."""
    import xml.etree.ElementTree as ET

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(server + "/?dataset=digits")
    page.wait_for_selector(".js-plotly-plot", timeout=180_000)
    settle(page)
    page.get_by_text("Download: anchors, coordinates").click()
    with page.expect_download(timeout=120_000) as dl:  # drawn on click, after the page's rerun: slow on a busy machine
        page.get_by_role("button", name="Slide (SVG)").click()
    assert dl.value.suggested_filename.endswith(".svg")
    root = ET.parse(dl.value.path()).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    maps = root.findall(ns + "svg")
    assert len(maps) == 4 and all(len(m.findall(f".//{ns}circle")) == 1797 for m in maps)
    no_error_on(page)
