"""build_report, the HTML writer and `stitchboard reproduce` on small zoos (the full run takes a minute)."""

import re

import pytest

import core.reproduce.report as R
from core.cli import main


def _pretrained_text_zoo():
    """The text zoo with one more encoder flagged as pretrained (an LSA model standing in for MiniLM)."""
    from core.spaces.zoo import Zoo

    zoo = Zoo("text")
    zoo.entries["minilm"] = {"name": "minilm", "arch": "lsa", "file": "lsa-bigram.safetensors", "latent_dim": None,
                             "model": "sentence-transformers/all-MiniLM-L6-v2"}
    return zoo


def test_cli_writes_a_self_contained_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(R, "ZOOS", ("wine", "text"))
    out = tmp_path / "r.html"
    assert main(["reproduce", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    page = out.read_text(encoding="utf-8")
    for title in ("Isometry", "Retrieval across encoders", "Zero-shot stitching", "Latent space translation",
                  "How many anchors", "The invariance table"):
        assert title in page
    assert page.count("class='figure'") == 7 and page.count("Plotly.newPlot") == 7
    assert not re.search(r"<script[^>]+src=", page)  # plotly.js is inline: the page opens offline
    assert "which the text extra installs" in page  # no pretrained encoder here
    assert "Isometry: mean cosine, relative spaces" in captured.out and "report written to" in captured.out
    assert "[100.0%" in captured.err and "anchor-count curve" in captured.err  # progress on stderr
    assert not (tmp_path / "r.html.partial").exists()


def test_quiet_and_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(R, "ZOOS", ("wine",))
    assert main(["reproduce", "--quiet", "--out", str(tmp_path / "missing" / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out") and "does not exist" in err and "%" not in err  # before any work


def test_a_pretrained_encoder_adds_its_rows(monkeypatch):
    from core.spaces.zoo import Zoo

    zoos = {"wine": Zoo("wine"), "text": _pretrained_text_zoo()}
    report = R.build_report(zoos=zoos)
    assert report.pretrained == ["text/minilm"] and "text/minilm" in report.pretrained_note
    sections = {s.key: s for s in report.sections}
    retrieval = sections["retrieval"].tables[0][1]
    assert retrieval["pretrained"].any() and "minilm -> lsa-word" in set(retrieval["direction"])
    assert "pretrained <-> zoo" in set(sections["stitching"].tables[0][1]["pairs"])


def test_cancel_stops_the_build():
    from core.errors import CancelledError
    from core.spaces.zoo import Zoo

    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(CancelledError):
        R.build_report(zoos={"wine": Zoo("wine")}, should_stop=stop)
