"""The dashboard in a real browser: maps paint, no error shows, anchor edits update it."""

import time

import pytest

pytestmark = pytest.mark.browser

N_SAMPLES = 1797  # every digits sample is drawn in every map


def _wait_for_final_maps(page, timeout: float = 180.0) -> float:
    """Wait until 4 maps + 2 heatmaps are drawn and no preview/spinner remains."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        plots = page.locator(".js-plotly-plot").count()
        preview = page.get_by_text("preview while UMAP computes").count()
        running = page.locator('[data-testid="stStatusWidget"]').count()
        if plots >= 7 and preview == 0 and running == 0:
            return time.time() - t0
        time.sleep(0.25)
    raise AssertionError(f"maps not final after {timeout:.0f} s (plots={plots}, preview={preview})")


def _points_per_map(page) -> list[int]:
    """Number of points in each map, read from the plotly figures' own data."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
              .filter(g => g._fullData && g._fullData.length && g._fullData[0].type.startsWith('scatter'))
              .map(g => g._fullData.reduce((n, t) => n + (t._length || 0), 0))"""
    )


def test_dashboard_paints_maps_and_updates_on_anchor_change(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1500, "height": 2600})
    t0 = time.time()
    page.goto(server)
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    first_paint = time.time() - t0
    _wait_for_final_maps(page)
    page.screenshot(path=str(tmp_path / "dashboard.png"))
    print(f"first plot {first_paint:.1f} s, screenshot {tmp_path / 'dashboard.png'}")

    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    for title in ("Absolute A:", "Absolute B:", "Relative A:", "Relative B:"):
        assert page.get_by_text(title).count() == 1, title
    # each map draws every sample plus the 100 anchor stars: nothing sampled
    counts = _points_per_map(page)
    assert counts[:4] == [N_SAMPLES + 100] * 4, counts
    assert page.get_by_text("Stitching readout").count() == 1
    assert page.get_by_text("B → A's head · relative").count() == 1

    # one anchor more: the readout and the relative maps follow
    slider = page.get_by_label("Number of anchors").locator("input[type=range]")
    slider.focus()
    t1 = time.time()
    slider.press("ArrowRight")
    page.get_by_text("relative to the 101 anchors").wait_for(timeout=120_000)
    _wait_for_final_maps(page)
    update = time.time() - t1
    print(f"anchor change -> maps and readout updated in {update:.1f} s")
    assert _points_per_map(page)[:4] == [N_SAMPLES + 101] * 4
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "dashboard_101.png"))
    page.close()
