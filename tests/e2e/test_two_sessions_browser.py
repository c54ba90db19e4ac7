"""Two sessions (two browser contexts) on one server edit their anchors at the same time on Explore (digits,
UMAP, layouts in the worker pool): each gets its own anchor set and count, its own relative maps, and never
sees the other's edit or an error. Then one session undoes its edit while the other waits: nothing moves in
the waiting one."""

import time

import pytest

from tests.e2e.test_dashboard_browser import current_anchor_ids, metric_value, no_error_on, wait_for, wait_idle

pytestmark = pytest.mark.browser

#: (n anchors, seed) per session: different counts and sets on the same dataset, so a shared cache keyed
#: too loosely (or session state leaking through one) would show the other session's anchors.
EDITS = ((30, 7), (60, 8))
#: The points (x, y) of every map on the page, map by map, overlay traces left out.
COORDS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map((gd) =>
  (gd._fullData || []).filter((t) => t.meta !== 'overlay').flatMap((t) =>
    Array.from({length: t._length || 0}, (_, k) => [t.x[k], t.y[k]])))"""


def expected_ids(n: int, seed: int) -> set:
    from core import select_anchors
    from core.spaces.zoo import Zoo

    space = Zoo("digits").spaces("train")["mlp-s0"]
    return {int(i) for i in select_anchors(space, n, strategy="random", random_state=seed)}


def open_page(context, server):
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(server + "/?dataset=digits")
    wait_for(lambda: page.locator(".js-plotly-plot").count() == 4, timeout=120, what="four maps")
    wait_idle(page, timeout=120)
    return page


def prepare(page, n: int, seed: int) -> None:
    """Open the strategy popover, type n and the seed (a form: no rerun yet), without pressing a strategy yet."""
    page.get_by_role("button", name="Pick anchors").click()
    for label, value in (("n", n), ("seed", seed)):
        box = page.get_by_label(label, exact=True)
        box.fill(str(value))
        box.press("Enter")
        wait_idle(page, timeout=60)
    time.sleep(0.5)


def rerun(page, stars: str) -> None:
    """A rerun of this session that edits nothing (the stars' look): what it shows comes from its own state."""
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text=stars).first.click()
    wait_idle(page, timeout=60)


def relative_maps_moved(before: list, after: list) -> int:
    return sum(b != a for b, a in zip(before, after))


def test_two_sessions_edit_anchors_at_once_without_interference(browser, server, tmp_path):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1600}) for _ in EDITS]
    try:
        pages = [open_page(c, server) for c in contexts]
        start_ids = [current_anchor_ids(p, 2) for p in pages]
        assert start_ids[0] == start_ids[1] and start_ids[0], "both sessions start from the dataset's default set"
        for page, (n, seed) in zip(pages, EDITS):
            prepare(page, n, seed)
        before = [page.evaluate(COORDS_JS) for page in pages]

        for page in pages:  # both clicks go out before either session's rerun has finished
            page.get_by_role("button", name="random", exact=True).click(no_wait_after=True)
        for page, (n, seed) in zip(pages, EDITS):
            page.get_by_text(f"Replaced by {n} random anchors (seed {seed})").wait_for(timeout=90_000)
        for page in pages:
            wait_idle(page, timeout=90)
        for page in pages:  # a session that read the other's anchors would show them from its next rerun on
            rerun(page, "faint")

        after = [page.evaluate(COORDS_JS) for page in pages]
        for i, (page, (n, seed)) in enumerate(zip(pages, EDITS)):
            no_error_on(page)
            want = expected_ids(n, seed)
            for m in range(4):  # the stars on every map: this session's own set, not the other's
                assert current_anchor_ids(page, m) == want, (i, m)
            assert metric_value(page, "Anchors") == str(n), i
            assert page.get_by_text(f"anchors ({n})", exact=False).count() >= 1, i  # the legend's count
            other_n, other_seed = EDITS[1 - i]
            assert page.get_by_text(f"random anchors (seed {other_seed})").count() == 0, i
            assert relative_maps_moved(before[i], after[i]) >= 2, i  # its relative maps were redrawn
            assert [len(c) for c in after[i]] == [len(c) for c in before[i]], i  # every point still drawn
        assert after[0][2:] != after[1][2:], "two different anchor sets drew the same relative maps"
        pages[0].screenshot(path=str(tmp_path / "session0.png"))
        pages[1].screenshot(path=str(tmp_path / "session1.png"))

        # session 1 undoes its edit while session 0 waits: session 0's anchors, caption and maps stay
        pages[1].get_by_role("button", name="Undo").click()
        wait_for(lambda: current_anchor_ids(pages[1], 2) == start_ids[1], timeout=60, what="session 1's undo")
        wait_idle(pages[1], timeout=60)
        rerun(pages[0], "show")
        assert current_anchor_ids(pages[0], 2) == expected_ids(*EDITS[0])
        assert metric_value(pages[0], "Anchors") == str(EDITS[0][0])
        assert pages[0].evaluate(COORDS_JS) == after[0]
        assert pages[0].get_by_text(f"Replaced by {EDITS[0][0]} random anchors (seed {EDITS[0][1]})").count() >= 1
        for page in pages:
            no_error_on(page)
    finally:
        for c in contexts:
            c.close()
