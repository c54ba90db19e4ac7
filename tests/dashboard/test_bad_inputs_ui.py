"""The bad-input catalogue through the pages: each case a user can cause, driven with AppTest.

``tests/test_bad_inputs.py`` is the source of truth: its cases with a ``ui_kind`` say what
the dashboard receives. Here every one goes through the page a user would use:

- ``upload``: the files (and options) into the Data & encoders page's uploaders, then
  *Load files*;
- ``session``: the file into Share & export's session uploader, then *Load session*;
- ``link``: the query parameters of a link.

Each must show exactly one ``st.error`` holding the catalogue's message (escaped for
markdown, so it reads as typed), raise nothing, leave the user's dataset, encoders and
anchors as they were, and leave the page usable: a good upload or session loads right
after. The awkward inputs that must work (:data:`ACCEPTED` with an upload) load with the
summary the catalogue states. Real browsers: ``tests/e2e/test_bad_uploads_browser.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.methods.anchor_history import AnchorHistory
from core.errors import StitchboardError
from dashboard.text import md, unmd
from tests.dashboard.apphelp import start
from tests.dashboard.apphelp import table as shown_table
from tests.test_bad_inputs import ACCEPTED, CASES, HTML_LABEL, MARKDOWN_NAME, PAGE_LIMIT_MB

UPLOADS = [c for c in CASES if c.ui_kind == "upload"]
SESSIONS = [c for c in CASES if c.ui_kind == "session"]
LINKS = [c for c in CASES if c.ui_kind == "link"]
GOOD_UPLOADS = [a for a in ACCEPTED if a.ui is not None]

#: The user's state before the bad input: not the defaults, so that a reset would show.
USER = {"source": "digits", "enc_a": "cnn-s0", "enc_b": "mlp-s2", "seed": 7, "method": "pca",
        "anchor_history": AnchorHistory([3, 4, 5, 6]), "anchor_source": "digits"}
GOOD_CSV = b"id,a,b,label\n1,0.1,0.3,x\n2,0.2,0.1,y\n3,0.5,0.2,x\n4,0.4,0.9,y\n"
OCTET = "application/octet-stream"


def _message(case, tmp: Path) -> str:
    """The catalogue's message for this case (as the API raises it)."""
    with pytest.raises(StitchboardError) as info:
        case.trigger(tmp)
    assert type(info.value) is case.error
    assert re.search(case.match, str(info.value))
    return str(info.value)


def _state(at) -> dict:
    ss = at.session_state
    return {"source": ss["source"], "enc_a": ss["enc_a"], "enc_b": ss["enc_b"], "seed": ss["seed"],
            "anchors": ss["anchor_history"].ids, "anchor_source": ss["anchor_source"],
            "uploads": tuple(ss["uploaded_sources"]) if "uploaded_sources" in ss else ()}


def _one_error(at) -> str:
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    return errors[0]


@pytest.fixture
def upload_limit():
    """Set the page's upload limit (Streamlit's server.maxUploadSize, MB) for one test."""
    from streamlit import config

    old = config.get_option("server.maxUploadSize")
    yield lambda mb: config.set_option("server.maxUploadSize", mb)
    config.set_option("server.maxUploadSize", old)


def _upload(at, up) -> None:
    """Give the page an :class:`Upload` as a user would, and press *Load files*."""
    at.file_uploader(key="upload_files").set_value([(n, data, OCTET) for n, data in up.files])
    at.file_uploader(key="upload_table").set_value(None if up.table is None else (*up.table, OCTET))
    at.text_input(key="upload_name").set_value(up.name)
    at.checkbox(key="upload_intersect").set_value(up.intersect)
    at.run()
    at.button(key="upload_go").click().run()


def _good_upload_works(at, name: str) -> None:
    at.file_uploader(key="upload_files").set_value([("good.csv", GOOD_CSV, "text/csv")])
    at.file_uploader(key="upload_table").set_value(None)
    at.text_input(key="upload_name").set_value(name)
    at.checkbox(key="upload_intersect").set_value(False)
    at.run()
    at.button(key="upload_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.subheader] == [f"Loaded: {md(name + ' (uploaded)')}"]
    assert at.session_state["source"].startswith("upload:")


def test_the_catalogue_reaches_the_pages():
    """Every file, session and link case has a UI version (one exception: Streamlit filters it first)."""
    first_file = [c.name for c in CASES].index("csv-non-numeric")  # the files section closes the catalogue
    no_ui = [c.name for c in CASES[first_file:] if c.ui_kind != "upload"]
    assert no_ui == ["unsupported-format"]  # the uploader's type filter refuses a .txt before the page sees it
    assert all(c.ui_kind == "session" for c in CASES if c.name.startswith("session-"))
    assert all(c.ui_kind == "link" for c in CASES if c.name.startswith("query-"))
    assert len(UPLOADS) >= 35 and len(SESSIONS) >= 10 and len(LINKS) >= 4 and len(GOOD_UPLOADS) >= 7


@pytest.mark.parametrize("case", UPLOADS, ids=lambda c: c.name)
def test_a_bad_upload_shows_the_catalogue_message_and_keeps_the_session(case, tmp_path, upload_limit):
    up = case.ui(tmp_path)
    (tmp_path / "api").mkdir()
    expected = _message(case, tmp_path / "api")
    if up.limit_mb != PAGE_LIMIT_MB:
        upload_limit(up.limit_mb)
    at = start("pages/data.py", **USER)
    before = _state(at)
    _upload(at, up)
    shown = _one_error(at)
    assert shown == md(f"Could not load these files: {expected}")  # escaped: reads exactly as the message
    assert re.search(case.match, unmd(shown))
    assert _state(at) == before
    assert not (tmp_path / "PWNED").exists(), "a pickle's command ran"
    _good_upload_works(at, "after " + case.name)


@pytest.mark.parametrize("acc", GOOD_UPLOADS, ids=lambda a: a.name)
def test_an_awkward_upload_loads_with_its_summary(acc, tmp_path):
    up = acc.ui(tmp_path)
    at = start("pages/data.py", **USER)
    _upload(at, up)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.subheader] == [f"Loaded: {md(up.name + ' (uploaded)')}"]
    shown = {m.label: m.value for m in at.metric}
    assert {k: shown[k] for k in acc.ui_metrics} == acc.ui_metrics
    coll_names = [n for n, _ in up.files]
    table = shown_table(at, 0)  # the encoders table (human headers): file names as data, not markup
    assert list(table["File"]) == coll_names
    for w in at.warning:  # notes quote file names: escaped
        assert w.value == md(unmd(w.value))
    if acc.name == "html-in-names":
        samples = shown_table(at, -1)
        assert HTML_LABEL in set(samples["Label"])
        assert MARKDOWN_NAME in unmd(at.subheader[0].value)


def _load_session(at, data) -> None:
    at.file_uploader(key="session_file").set_value(
        ("session.json", data if isinstance(data, bytes) else data.encode("utf-8"), "application/json"))
    at.run()
    at.button(key="btn_load_session").click().run()


@pytest.mark.parametrize("case", SESSIONS, ids=lambda c: c.name)
def test_a_tampered_session_file_is_refused_and_changes_nothing(case, tmp_path):
    expected = _message(case, tmp_path)
    at = start("pages/export.py", **USER)
    before = _state(at)
    _load_session(at, case.ui(tmp_path))
    assert _one_error(at) == md(f"{expected}. Nothing was changed.")
    assert _state(at) == before
    # still usable: a good session file loads
    good = {"version": 1, "dataset": "digits", "enc_b": "cnn-s1", "anchors": [0, 1, 2, 7, 8], "seed": 11}
    _load_session(at, json.dumps(good))
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Session loaded" in s.value for s in at.success)
    after = _state(at)
    assert after["anchors"] == (0, 1, 2, 7, 8) and after["enc_b"] == "cnn-s1" and after["seed"] == 11
    assert after["enc_a"] == before["enc_a"]  # not in the file: kept


@pytest.mark.parametrize("case", LINKS, ids=lambda c: c.name)
def test_a_tampered_link_is_reported_and_nothing_is_applied(case, tmp_path):
    expected = _message(case, tmp_path)
    params = case.ui(tmp_path)
    at = start("pages/data.py", query=params)
    assert _one_error(at) == md(f"The link's settings were not applied: {expected}")
    assert at.session_state["source"] == "digits" and at.session_state["seed"] == 0
    assert "anchor_history" not in at.session_state  # nothing applied: the defaults come later, as always
    at.button(key="url_error_dismiss").click().run()
    assert not at.error
    _good_upload_works(at, "after a bad link")


def test_choosing_a_file_clears_the_last_loads_message():
    """Load without a file says so; choosing a file then removes that message before Load is pressed again."""
    at = start("pages/export.py", **USER)
    at.button(key="btn_load_session").click().run()
    assert _one_error(at) == md("Choose a session JSON file first.")
    good = {"version": 1, "dataset": "digits", "enc_b": "cnn-s1"}
    at.file_uploader(key="session_file").set_value(("session.json", json.dumps(good).encode(), "application/json"))
    at.run()
    assert not at.error and not at.success
    at.button(key="btn_load_session").click().run()
    assert not at.error and any("Session loaded" in s.value for s in at.success)


def test_a_session_file_quoting_markup_is_shown_as_text(tmp_path):
    """Unknown keys are echoed in the message: markdown and HTML in them stay text."""
    evil = {"version": 1, "dataset": "digits", "[x](javascript:alert(1))": 1, "<img src=x onerror=alert(1)>": 2,
            "**b**": 3}
    at = start("pages/export.py", **USER)
    _load_session(at, json.dumps(evil))
    shown = _one_error(at)
    for key in evil:
        if key not in ("version", "dataset"):
            assert repr(key) in unmd(shown)
    assert shown == md(unmd(shown))  # every markdown character escaped


def test_a_bad_upload_after_a_good_one_says_the_earlier_one_is_still_loaded(tmp_path):
    at = start("pages/data.py", **USER)
    _good_upload_works(at, "first")
    source = at.session_state["source"]
    bad = next(c for c in UPLOADS if c.name == "parquet-corrupt")
    _upload(at, bad.ui(tmp_path))
    assert "not a readable parquet file" in unmd(_one_error(at))
    assert [s.value for s in at.subheader] == [f"Still loaded: {md('first (uploaded)')}"]
    assert any("Your earlier upload, unchanged" in c.value for c in at.caption)
    assert at.session_state["source"] == source
