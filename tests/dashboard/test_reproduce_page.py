"""AppTest of "Reproduce the paper": nothing runs before the button; a build shows the headline numbers and
the download; a cancelled build keeps nothing; a built report opens at once. The report runs on the wine zoo
only (the full one takes a minute)."""

import pytest

import core.reproduce.report as R
from dashboard import jobs, results
from tests.dashboard.apphelp import no_errors, start, table


@pytest.fixture
def wine_only(monkeypatch):
    monkeypatch.setattr(R, "ZOOS", ("wine",))


def _headlines(at):
    """The headline table as drawn (human headers), back under core's column names."""
    shown = table(at, 0)
    assert list(shown.columns) == ["Effect", "Ours", "Published"]
    return shown.rename(columns=str.lower)


def test_build_download_and_reopen(wine_only):
    at = start("pages/reproduce.py")
    no_errors(at)
    assert not at.table and at.button(key="rp_run")  # nothing runs before the button
    assert any("stitchboard reproduce --out report.html" in c.value for c in at.code)
    at.button(key="rp_run").click().run()
    no_errors(at)
    assert not [b for b in at.button if b.key == "rp_run"]  # built: no "Build" button left above the report
    heads = _headlines(at)
    # the same numbers as core's report on the same zoo
    want = R.build_report().headlines()
    assert list(heads["effect"]) == list(want["effect"])
    iso = heads.set_index("effect").loc["Isometry: mean cosine, relative spaces"]
    assert iso["ours"] == "1.000000" and iso["published"] == "1.0"
    assert any("which the text extra installs" in i.value for i in at.info)
    assert at.get("download_button")  # the HTML report
    assert any(c.value.startswith("Built in") for c in at.caption)
    at.toggle(key="rp_show").set_value(True).run()  # the whole report, in a frame of the page
    no_errors(at)
    assert at.get("iframe") and "<html" in at.get("iframe")[0].proto.srcdoc.lower()
    # a new session: the report is kept (no button, shown at once)
    again = start("pages/reproduce.py")
    no_errors(again)
    assert not [b for b in again.button if b.key == "rp_run"] and list(_headlines(again)["effect"]) == list(want["effect"])


def test_a_cancelled_build_keeps_nothing(wine_only, monkeypatch):
    monkeypatch.setattr(R, "ZOOS", ("breast_cancer",))  # another key than the test above
    at = start("pages/reproduce.py")
    monkeypatch.setattr(jobs, "rerun_requested", lambda: True)  # the user acted while it ran
    at.button(key="rp_run").click().run()
    no_errors(at)
    assert any(c.value == "The report stopped; nothing was kept." for c in at.caption) and not at.table
    assert not results.has_report()
    at.session_state[jobs.CANCELLED] = {("reproduce", results.report_key())}  # what Cancel records
    at.run()
    assert any("The report was cancelled" in i.value for i in at.info)
    monkeypatch.setattr(jobs, "rerun_requested", lambda: False)
    at.button(key="rp_run").click().run()
    no_errors(at)
    assert at.table and results.has_report()
