"""AppTest of Explore's explorer tools: click modes, the shared legend, the stars control, search, the inspector's
lists and neighbours, and "stitched correctly?" painted by each row's own head."""

import numpy as np
import pandas as pd
import pytest

from core.methods.neighbours import nearest_neighbours
from core.methods.pair_stitching import stitch_pair
from core.methods.relative import relative_projection
from core.spaces.zoo import Zoo
from dashboard import figures
from dashboard.text import unmd
from tests.dashboard.apphelp import (anchors_of, click_legend, legend, maps, metric, no_errors, plotly_array,
                                     select_on_map, start)

PCA = {"method": "pca"}


def ids_by_trace(fig: dict) -> dict:
    """Sample id -> name of the trace (colour class) it is drawn in, for one map."""
    out = {}
    for t in fig["data"]:
        for i in plotly_array(t["customdata"]).reshape(-1).tolist():
            out[int(i)] = t["name"]
    return out


def tables(at) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def status(at) -> str:
    return " ".join(unmd(c.value) for c in at.caption)


def test_a_click_in_inspect_mode_leaves_the_anchors_and_shows_the_sample_with_its_neighbours(digits):
    at = start(**PCA)
    before, rev = anchors_of(at), at.session_state["anchor_rev"]
    train = [int(i) for i in digits.ids[digits.split == "train"] if int(i) not in before]
    sid = train[0]
    select_on_map(at, [sid], kind="abs", side="B")
    no_errors(at)
    assert at.session_state["pick_mode"] == "inspect"
    assert anchors_of(at) == before and metric(at, "Anchors") == "100"  # the experiment is untouched
    assert at.session_state["anchor_history"].n_undo == 0
    assert f"Inspecting id {sid} from Absolute B" in status(at) and "Anchors unchanged" in status(at)
    assert at.session_state["inspect_ids"] == (sid,)
    # the selection list, then the nearest neighbours in the four spaces, laid out like the maps
    found = tables(at)
    assert found[0]["id"].tolist() == [str(sid)] and found[0]["label"].tolist() == [str(digits.samples.label[sid])]
    assert found[0]["image"].iloc[0].startswith("data:image/png;base64,")  # a thumbnail of the digit
    nn = [t for t in found if "cos" in t.columns or "1 − cos" in t.columns]
    assert len(nn) == 4
    A, B = digits.spaces["mlp-s0"], digits.spaces["mlp-s1"]
    vectors = [A.vectors, B.vectors, relative_projection(A.vectors, A.take(list(before))),
               relative_projection(B.vectors, B.take(list(before)))]
    row = int(np.flatnonzero(digits.ids == sid)[0])
    for table, X in zip(nn, vectors):  # Absolute A, Absolute B, Relative A, Relative B
        pos, sims = nearest_neighbours(X, row, k=8)
        assert table["id"].tolist() == [str(i) for i in digits.ids[pos]]
        if "cos" in table.columns:
            np.testing.assert_allclose(table["cos"].astype(float), sims, atol=6e-4)
        else:  # all above 0.9995: shown as 1 - cos, two significant digits
            np.testing.assert_allclose(table["1 − cos"].astype(float), 1 - sims, rtol=0.06)
    shared_abs = len(set(nn[0]["id"]) & set(nn[1]["id"]))
    assert (nn[0]["both"] == "●").sum() == shared_abs == (nn[1]["both"] == "●").sum()
    assert any(f"**{shared_abs} of 8** neighbours in absolute space" in c.value for c in at.caption)
    # a box in inspect mode lists every sample, still without an edit
    select_on_map(at, train[1:6], kind="rel", side="A", box=True)
    assert anchors_of(at) == before and tables(at)[0]["id"].tolist() == [str(i) for i in train[1:6]]
    assert at.session_state["anchor_rev"] > rev  # fresh chart keys: the selection is not applied twice


def test_stitched_correctly_paints_each_row_with_its_own_head(digits):
    at = start(color_by="stitched correctly?", **PCA)
    no_errors(at)
    anchors = list(anchors_of(at))
    tr, te = digits.part("train"), digits.part("test")
    want = {}
    for kind, mode, ids in (("abs", "absolute", []), ("rel", "relative", anchors)):
        ps = stitch_pair(tr, te, ids, head_encoder="mlp-s0", space_encoder="mlp-s1", mode=mode)
        ok = dict(zip(ps.ids.tolist(), ps.correct.tolist()))
        want[kind] = {int(i): "train (not scored)" if i not in ok else ("correct" if ok[i] else "wrong")
                      for i in digits.ids.tolist()}
    assert want["abs"] != want["rel"]  # the two heads disagree on most test samples: the test can tell them apart
    got = [ids_by_trace(m["fig"]) for m in maps(at)]  # Absolute A, Absolute B, Relative A, Relative B
    assert got[0] == got[1] == want["abs"]
    assert got[2] == got[3] == want["rel"]
    wrong_abs = sum(v == "wrong" for v in want["abs"].values())
    assert wrong_abs > 0.8 * int((digits.split == "test").sum())  # absolute stitching: mostly wrong
    assert [e["key"] for e in legend(at)["entries"]] == ["correct", "wrong", "train (not scored)"]
    # dims differ: the absolute head cannot read B at all, and the absolute maps say so
    at = start(color_by="stitched correctly?", enc_b="mlp-wide-s0", **PCA)
    no_errors(at)
    got = [set(ids_by_trace(m["fig"]).values()) for m in maps(at)]
    assert got[0] == got[1] == {"train (not scored)", "n/a: dims differ"}
    assert got[2] == got[3] == {"train (not scored)", "correct", "wrong"}


def test_the_legend_isolates_a_class_on_all_four_maps_and_restores_them():
    at = start(**PCA)
    assert [m["isolate"] for m in maps(at)] == [None] * 4
    click_legend(at, "3")
    no_errors(at)
    assert at.session_state["legend_isolate"] == "3" and legend(at)["isolate"] == "3"
    assert [m["isolate"] for m in maps(at)] == ["3"] * 4
    at.run()  # it stays isolated across reruns
    assert [m["isolate"] for m in maps(at)] == ["3"] * 4
    click_legend(at, "7")  # another class: that one instead
    assert [m["isolate"] for m in maps(at)] == ["7"] * 4
    click_legend(at, None)  # a second click on it, or a double click
    assert [m["isolate"] for m in maps(at)] == [None] * 4 and legend(at)["isolate"] is None
    # a colouring without the class drops the isolation
    click_legend(at, "3")
    at.selectbox(key="color_by").set_value("split").run()
    assert [e["key"] for e in legend(at)["entries"]] == ["test", "train"]
    assert [m["isolate"] for m in maps(at)] == [None] * 4 and at.session_state["legend_isolate"] is None
    # another dataset starts with every class shown
    at.selectbox(key="color_by").set_value("label").run()
    click_legend(at, "0")
    at.selectbox(key="dataset").set_value("wine").run()
    at.selectbox(key="dataset").set_value("digits").run()
    assert [m["isolate"] for m in maps(at)] == [None] * 4
    # a class name that is not on the maps (a stale or forged event) isolates nothing
    click_legend(at, "<b>nope</b>")
    no_errors(at)
    assert [m["isolate"] for m in maps(at)] == [None] * 4


def test_stars_show_faint_or_hidden_on_all_four_maps():
    at = start(**PCA)
    before = anchors_of(at)

    def opacities():
        return [{s["opacity"] for s in m["shapes"] if s["legendgroup"] == "anchors"} for m in maps(at)]

    assert opacities() == [{figures.ANCHOR_MARKER["opacity"]}] * 4
    assert all(s["fillcolor"] == figures.ANCHOR_COLOR for m in maps(at) for s in m["shapes"])
    at.button_group(key="anchor_look").set_value("faint").run()
    assert opacities() == [{figures.ANCHOR_FAINT_OPACITY}] * 4 and [m["stars"] for m in maps(at)] == [100] * 4
    at.button_group(key="anchor_look").set_value("hide").run()
    assert [m["stars"] for m in maps(at)] == [0] * 4
    assert legend(at)["overlays"][0]["label"] == "anchors (100, hidden)"
    assert anchors_of(at) == before and metric(at, "Anchors") == "100"  # only the drawing changed
    at.switch_page("pages/stitching.py").run()
    at.switch_page("pages/explore.py").run()
    assert at.session_state["anchor_look"] == "hide" and [m["stars"] for m in maps(at)] == [0] * 4  # kept


def test_the_anchor_colour_is_no_class_colour():
    """Stars must stand out from every class and from every colour of the Viridis scale (agreement and other
    numbers): no palette, outcome, dimmed, ring or Viridis colour is near the anchors' colour."""
    from plotly.colors import sample_colorscale, unlabel_rgb

    def rgb(h):
        return np.array([int(h.lstrip("#")[k:k + 2], 16) for k in (0, 2, 4)], dtype=float)

    star = rgb(figures.ANCHOR_COLOR)
    others = [rgb(c) for c in figures.PALETTE + list(figures.OUTCOME_COLORS.values())
              + [figures.DIMMED["color"], figures.HIGHLIGHT_MARKER["color"]]]
    others += [np.array(unlabel_rgb(c), dtype=float) for c in sample_colorscale("Viridis", np.linspace(0, 1, 101).tolist())]
    assert len(others) == 127
    assert min(np.linalg.norm(c - star) for c in others) > 120


def test_search_by_id_label_and_text_rings_and_lists_the_matches(digits):
    at = start(**PCA)
    before = anchors_of(at)
    at.text_input(key="search_query").input("label:3").run()
    no_errors(at)
    want = [int(i) for i in digits.samples.loc[digits.samples.label == "3", "id"]]
    assert list(at.session_state["highlight_ids"]) == want
    assert [m["rings"] for m in maps(at)] == [len(want)] * 4
    assert f"{len(want)} match(es)" in status(at)
    # the count first on the status line: a long message is cut at its end
    assert any(unmd(c.value).startswith(f"{len(want)} highlighted · ") and "match(es)" in unmd(c.value)
               for c in at.caption)
    listed = next(t for t in tables(at) if len(t) == len(want))  # the "Highlighted" tab
    assert listed["id"].tolist() == [str(i) for i in want]
    at.text_input(key="search_query").input("id:5, 7-9").run()
    assert list(at.session_state["highlight_ids"]) == [5, 7, 8, 9]
    # a bad query: an error in the status line, the rings stay
    at.text_input(key="search_query").input("id:five").run()
    assert any("does not read as ids" in unmd(e.value) for e in at.error)
    assert list(at.session_state["highlight_ids"]) == [5, 7, 8, 9]
    at.button(key="btn_clear_hl").click().run()
    assert at.session_state["highlight_ids"] == () and at.text_input(key="search_query").value == ""
    assert anchors_of(at) == before
    # words of the text, on the sentences
    at = start(source="text", **PCA)
    samples = Zoo("text").collection().samples
    word = samples["text"].iloc[0].split()[1].lower()
    at.text_input(key="search_query").input(word).run()
    no_errors(at)
    hits = samples["text"].str.lower().str.contains(word, regex=False) | (samples["label"].str.lower() == word)
    assert list(at.session_state["highlight_ids"]) == samples.loc[hits, "id"].tolist()[:500]


def above_the_maps(at) -> list[tuple]:
    """Every element of the page before the first map, in page order: (type, key) of each (text left out)."""
    out = []

    def walk(node) -> bool:
        if getattr(node, "type", None) == "bidi_component" and node.proto.component_name == "stitchboard_map":
            return True
        children = getattr(node, "children", None)
        if children is None:
            out.append((node.type, getattr(node, "key", None)))
            return False
        out.append((node.type, getattr(node, "proto", None) and getattr(node.proto, "id", None) or None))
        return any(walk(children[k]) for k in sorted(children))

    assert walk(at.main), "no map on the page"
    return out


@pytest.mark.parametrize("action", ["highlight", "inspect"])
def test_nothing_above_the_maps_appears_or_goes_with_a_click(action):
    """The maps keep their place: a click changes the text of the status line, not the elements above the maps."""
    at = start(pick_mode=action, **PCA)
    at.run()  # past the first paint (its snapshot images sit in the maps' own boxes)
    shape = above_the_maps(at)
    assert ("button", "btn_clear_hl") in shape  # drawn (disabled) before anything is highlighted
    select_on_map(at, [0, 1, 2], kind="abs", side="B")
    no_errors(at)
    assert above_the_maps(at) == shape
    assert at.button(key="btn_clear_hl").disabled is (action != "highlight")


def test_similarities_that_all_round_to_one_are_shown_as_distances():
    from dashboard.inspector import similarity_column

    assert similarity_column([0.95, 0.9123]) == {"cos": ["0.950", "0.912"]}
    saturated = similarity_column([0.99999942, 0.99999446])  # a saturated space (wine's tanh encoders)
    assert saturated == {"1 − cos": ["5.8e-07", "5.5e-06"]}


def test_neighbours_of_a_sentence_are_listed_whole():
    """A grid cuts a sentence to its column's width (half the page here): text neighbours are drawn as whole tables."""
    at = start(source="text", **PCA)
    samples = Zoo("text").collection().samples
    sid = int(samples.loc[samples.split == "train", "id"].iloc[0])
    select_on_map(at, [sid], kind="abs", side="A")
    no_errors(at)
    assert any("Nearest neighbours of id" in m.value for m in at.markdown)
    whole = [t.value for t in at.table]
    assert len(whole) == 4  # absolute and relative, A and B
    text_of = dict(zip(samples["id"].astype(str), samples["text"]))
    for t in whole:
        ids = [unmd(i) for i in t["Id"]]
        assert len(ids) == 8 and [unmd(x) for x in t["Text"]] == [text_of[i] for i in ids]
    assert len(at.main.dataframe) == 1  # only the selection list, whose rows are picked, is a grid
