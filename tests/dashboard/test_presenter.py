"""AppTest of the presenter page: every step, Next / Back, the step in the URL, the rotation's numbers."""

import json

import numpy as np
import pytest

from core.errors import InvalidInputError
from core.methods.anchors import select_anchors
from core.methods.pair_stitching import stitch_pair
from core.methods.relative import relative_projection
from core.methods.stitching import stitching_matrix
from core.methods.transforms import transform_space
from core.spaces.latent_space import LatentSpace
from dashboard import share, story
from dashboard.text import unmd
from tests.dashboard.apphelp import metric, no_errors, plotly_array, start

PAGE = "pages/presenter.py"
TITLES = [f"{k}. {s.title}" for k, s in enumerate(story.STEPS, 1)]


@pytest.fixture(scope="module")
def expected(digits):
    """The story's numbers computed from core: anchors as Explore's first visit picks them, both stitchings."""
    tr, te = digits.part("train"), digits.part("test")
    a, b = digits.names[:2]
    anchors = [i.item() for i in select_anchors(tr[a], 100, strategy="random", random_state=0)]
    R = stitching_matrix({n: tr[n] for n in (a, b)}, {n: te[n] for n in (a, b)}, anchors, modes=("relative",))
    A = stitching_matrix({n: tr[n] for n in (a, b)}, {n: te[n] for n in (a, b)}, [], modes=("absolute",))
    return dict(a=a, b=b, anchors=anchors, rel_ba=R.scores["relative"][0, 1], rel_ab=R.scores["relative"][1, 0],
                rel_aa=R.scores["relative"][0, 0], abs_ba=A.scores["absolute"][0, 1], abs_ab=A.scores["absolute"][1, 0])


def title(at) -> str:
    return at.title[0].value


def test_next_and_back_walk_the_four_steps_and_keep_the_url(expected):
    at = start(PAGE)
    no_errors(at)
    assert title(at) == TITLES[0] and at.query_params["step"] == "1"
    assert at.button(key="pr_back").disabled and not at.button(key="pr_next").disabled
    # step 1: the absolute readout, near chance
    assert metric(at, "A reads B") == f"{expected['abs_ba']:.3f}"
    assert float(metric(at, "A reads B")) < 0.2
    assert len(at.get("image")) == 2  # A's and B's absolute maps
    for k in range(2, 5):
        at.button(key="pr_next").click().run()
        no_errors(at)
        assert title(at) == TITLES[k - 1]
        assert at.query_params["step"] == str(k)
        assert at.session_state["presenter_step"] == k
        if k == 2:  # the relative readout, as good as no stitching
            assert metric(at, "A reads B") == f"{expected['rel_ba']:.3f}"
            assert metric(at, "A reads A") == f"{expected['rel_aa']:.3f}"
            assert len(at.get("image")) == 2
        if k == 3:  # one big figure: relative against absolute, both directions
            spec = json.loads(at.get("plotly_chart")[0].proto.spec)
            rel, absol = (plotly_array(t["y"]) for t in spec["data"][:2])
            assert rel == pytest.approx([expected["rel_ba"], expected["rel_ab"]])
            assert absol == pytest.approx([expected["abs_ba"], expected["abs_ab"]])
    assert at.button(key="pr_next").disabled
    at.button(key="pr_back").click().run()
    assert title(at) == TITLES[2] and at.session_state["presenter_step"] == 3
    # each step links to the page that shows it in full, and offers the slide
    links = [p.proto.page for p in at.get("page_link")]
    assert any(link.endswith("stitching.py") or link == "stitching" for link in links), links
    assert {d.proto.label for d in at.get("download_button")} >= {"Slide (PNG)", "Slide (SVG)"}


@pytest.mark.parametrize("step", ["1", "2", "3", "4"])
def test_a_reload_opens_the_step_of_the_url(step):
    at = start(PAGE, query={"step": step})
    no_errors(at)
    assert title(at) == TITLES[int(step) - 1]
    # the step is the page's own parameter, not a session field that the link fails to restore
    assert not (at.session_state["url_error"] if "url_error" in at.session_state else "")


@pytest.mark.parametrize("bad", ["9", "0", "two", "-1"])
def test_a_bad_step_in_the_url_says_so_and_the_story_goes_on(bad):
    at = start(PAGE, query={"step": bad})
    assert not at.exception
    assert [e.value for e in at.error] and f"step='{bad}' is not a step of the story" in unmd(at.error[0].value)
    assert title(at) == TITLES[0]
    at.button(key="pr_next").click().run()
    no_errors(at)
    assert title(at) == TITLES[1]


def test_parse_step():
    assert [story.parse_step(s) for s in ("1", " 4 ")] == [1, 4]
    for bad in ("5", "", "1.5", "x" * 100):
        with pytest.raises(InvalidInputError, match="use step=1 to step=4"):
            story.parse_step(bad)


def test_rotating_b_moves_absolute_and_leaves_relative_unchanged(digits, expected):
    at = start(PAGE, query={"step": "4"})
    no_errors(at)
    abs_before, rel_before = metric(at, "on absolute vectors"), metric(at, "on relative vectors")
    at.button(key="pr_rotate").click().run()
    no_errors(at)
    seed = at.session_state["presenter_rotation"]
    abs_after, rel_after = metric(at, "on absolute vectors"), metric(at, "on relative vectors")
    assert rel_after == rel_before and float(abs_after) < float(abs_before) - 0.5
    assert len(at.get("image")) == 4  # B before / after, absolute and relative

    # the same rotation computed from core: relative vectors unchanged within 1e-6, B's own absolute head broken
    B = digits.spaces[expected["b"]]
    moved = transform_space(B.vectors, kind="rotation", strength=story.ROTATION_DEGREES, random_state=seed)
    pos = B.positions(expected["anchors"])
    R0 = relative_projection(B.vectors.astype(np.float64), B.vectors[pos].astype(np.float64))
    R1 = relative_projection(moved.astype(np.float64), moved[pos].astype(np.float64))
    assert np.abs(R0 - R1).max() < 1e-6
    assert np.abs(B.vectors - moved).max() > 0.1
    train = {"B": B.subset(B.ids[digits.split == "train"]),
             "rot": LatentSpace(moved, B.ids, B.labels, name="rot").subset(B.ids[digits.split == "train"])}
    test = {"B": B.subset(B.ids[digits.split == "test"]),
            "rot": LatentSpace(moved, B.ids, B.labels, name="rot").subset(B.ids[digits.split == "test"])}
    absolute = stitch_pair(train, test, expected["anchors"], head_encoder="B", space_encoder="rot", mode="absolute")
    relative = stitch_pair(train, test, expected["anchors"], head_encoder="B", space_encoder="rot", mode="relative")
    assert abs_after == f"{absolute.accuracy:.3f}" and rel_after == f"{relative.accuracy:.3f}"
    assert any("relative 1.000000" in c.value for c in at.caption)
    # another click, another random rotation: still nothing relative moves
    at.button(key="pr_rotate").click().run()
    assert at.session_state["presenter_rotation"] == seed + 1 and metric(at, "on relative vectors") == rel_before


def test_follow_one_digit_fades_the_others_in_both_maps():
    at = start(PAGE, query={"step": "2"})
    at.button(key="pr_follow").click().run()
    no_errors(at)
    assert at.session_state["presenter_follow"] == "0"
    assert any("other classes" in h.proto.body for h in at.get("html"))
    for _ in range(10):  # through every digit and back to all of them
        at.button(key="pr_follow").click().run()
    assert at.session_state["presenter_follow"] is None


def test_follow_cycles_through_the_classes():
    assert story.next_follow(None, "abc") == "a"
    assert story.next_follow("a", "abc") == "b"
    assert story.next_follow("c", "abc") is None


def test_explore_offers_the_slide_next_to_its_downloads():
    at = start("pages/explore.py", method="pca")
    no_errors(at)
    assert not at.get("download_button")  # made only while their expander is open: an edit does not resend them
    at.session_state[share.EXPLORE_DOWNLOADS_OPEN] = True
    at.run()
    no_errors(at)
    keys = {d.key for d in at.get("download_button")}
    assert {"dl_slide_png", "dl_slide_svg", "dl_anchors", "dl_layout"} <= keys, keys


def test_explore_offers_the_slide_on_an_unlabelled_upload(unlabelled_source):
    at = start("pages/explore.py", method="pca", uploaded_sources=[unlabelled_source], source=unlabelled_source,
               **{share.EXPLORE_DOWNLOADS_OPEN: True})
    no_errors(at)
    assert {"dl_slide_png", "dl_slide_svg"} <= {d.key for d in at.get("download_button")}


def test_explore_slide_names_the_layout_shown_not_the_one_asked(monkeypatch):
    """A t-SNE stopped before it finished leaves the PCA preview on the maps: the slide says so."""
    from dashboard import jobs, slide_export

    said = []
    monkeypatch.setattr(slide_export, "slide_downloads", lambda maps, **kw: said.append(kw["method"]))
    monkeypatch.setattr(jobs, "rerun_requested", lambda: True)  # the user acted while t-SNE ran
    at = start("pages/explore.py", source="wine", method="tsne", perplexity=24.0,
               **{share.EXPLORE_DOWNLOADS_OPEN: True})
    no_errors(at)
    assert said[-1] == "PCA preview", said
    monkeypatch.setattr(jobs, "rerun_requested", lambda: False)
    at.run()
    no_errors(at)
    assert said[-1] == "t-SNE", said


def test_shown_layouts_names_each_row_when_they_differ():
    from dashboard.explore_maps import Drawn
    from dashboard.slide_export import shown_layouts

    def d(name):
        return Drawn(np.zeros((1, 2)), None, name)

    same = {k: d("UMAP") for k in ("absolute_A", "absolute_B", "relative_A", "relative_B")}
    assert shown_layouts(same) == "UMAP"
    mixed = {**same, "relative_A": d("PCA preview"), "relative_B": d("PCA preview")}
    assert shown_layouts(mixed) == "UMAP (absolute) / PCA preview (relative)"


def test_the_chance_line_is_named_in_the_legend_not_written_over_the_bars():
    from dashboard.slide import Readout

    fig = story.stitching_bars([Readout("B → A's head", 0.969, 0.106), Readout("A → B's head", 0.958, 0.106)],
                               chance=0.103)
    assert not fig.layout.annotations  # a label on the line sat under the absolute bars' numbers
    assert [s.y0 for s in fig.layout.shapes] == [0.103]
    assert [t.name for t in fig.data if t.showlegend is not False] == ["relative", "absolute", "chance 0.10"]


def test_the_presenter_slide_names_pca_while_its_umap_is_stopped(monkeypatch):
    """A stopped UMAP leaves PCA maps on the step and on the slide: the slide's subtitle says PCA."""
    from dashboard import jobs, results, slide_export

    monkeypatch.setattr(results, "has_layouts", lambda *key: False)  # no UMAP computed yet, in memory or on disk
    said = []
    monkeypatch.setattr(slide_export, "slide_downloads", lambda maps, **kw: said.append(kw["method"]))
    monkeypatch.setattr(jobs, "rerun_requested", lambda: True)  # the presenter acted while UMAP ran
    at = start(PAGE)
    no_errors(at)
    assert said == ["PCA"], said
