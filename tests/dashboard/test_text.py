"""dashboard.text: user strings render as exactly their characters in Streamlit's markdown."""

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.text import code, md, unmd

NASTY = [
    "**bold** _it_ ~~s~~ `code`",
    "[a](javascript:alert(1))",
    "![](http://tracker.example/x.png)",
    "<script>alert(1)</script> <img src=x onerror=alert(1)>",
    ":red[red] :material/home: :smile: $x^2$ $$y$$",
    "# heading\n- item\n1. item\n> quote\n---",
    "a | b\n|---|",
    "&lt; &amp; &#60;",
    "\\*already escaped\\*",
    "編碼器-é 🚀",
]


@pytest.mark.parametrize("s", NASTY)
def test_every_markdown_character_is_escaped(s):
    out = md(s)
    assert unmd(out) == s
    # outside the escapes no ASCII punctuation is left: nothing can start markdown, HTML, a directive or LaTeX
    bare = re.sub(r"\\[" + re.escape(string.punctuation) + "]", "", out.replace("  \n", "\n"))
    assert not set(bare) & set(string.punctuation), bare


@settings(max_examples=300, deadline=None, database=None)
@given(st.text())
def test_md_round_trips_any_text(s):
    s = s.replace("\r", "")  # line ends are normalised to \n
    assert unmd(md(s)) == s


def test_non_strings_and_line_breaks():
    assert md(3) == "3" and md(None) == "None"
    assert md("a\r\nb\rc") == "a  \nb  \nc"  # hard breaks: one paragraph, no block syntax


@pytest.mark.parametrize("s, want", [
    ("mlp-s0", "`mlp-s0`"),
    ("a`b", "``a`b``"),
    ("``x", "``` ``x ```"),
    ("x\ny", "`x y`"),
    ("", "` `"),
])
def test_code_spans_hold_any_backticks(s, want):
    assert code(s) == want


def test_plotly_text_of_user_strings_is_escaped(tmp_path):
    """Plotly renders <b>, <a href>... in legends, ticks and hover text: user strings are escaped there."""
    import numpy as np

    from core.spaces.describe import sample_descriptions
    from dashboard.figures import Coloring, map_figure
    from dashboard.score_figures import heatmap_figure
    from tests.test_bad_inputs import HTML_LABEL, _html_upload

    coll = _html_upload(tmp_path).load()
    hover = sample_descriptions(coll)
    assert not any("<script>" in h for h in hover)
    assert any("label <b>&lt;script&gt;alert(1)&lt;/script&gt;</b>" in h for h in hover)
    assert any("label <b>&lt;b&gt;x</b>" in h for h in hover)
    labels = np.asarray(coll.samples["label"], dtype=str)
    fig = map_figure(np.random.default_rng(0).normal(size=(len(labels), 2)), ids=coll.ids, hover=hover,
                     coloring=Coloring("label <i>", labels, categories=tuple(sorted(set(labels)))), anchor_ids=[])
    names = {t.name for t in fig.data}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in names and HTML_LABEL not in names
    heat = heatmap_figure(np.eye(2), encoders=["<a href='x'>e</a>", "ok"], title="t")
    assert list(heat.data[0].x) == ["&lt;a href='x'&gt;e&lt;/a&gt;", "ok"]
