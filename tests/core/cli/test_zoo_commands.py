"""stitchboard stitch, compare and zoo (core.cli.zoo_commands), and the console script."""

import json
import subprocess
import sys

from core.cli import main


def test_stitch_json(capsys):
    assert main(["stitch", "--dataset", "digits", "--n-anchors", "100", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"dataset", "encoders", "n_anchors", "absolute", "relative"} <= set(out)
    assert out["dataset"] == "digits" and out["n_anchors"] == 100 and len(out["encoders"]) >= 5
    m = len(out["encoders"])
    for key in ("absolute", "relative"):
        assert len(out[key]) == m and all(len(r) == m for r in out[key])
    assert any(v is None for row in out["absolute"] for v in row)  # dims differ
    assert all(v is not None for row in out["relative"] for v in row)


def test_bad_n_anchors_is_a_clear_error(capsys):
    assert main(["stitch", "--n-anchors", "5000", "--format", "json"]) == 2
    assert "n_anchors=5000 must be <= n_samples=1437" in capsys.readouterr().err


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "core.cli", "zoo", "list"], capture_output=True, text=True, check=True)
    assert "mlp-s0" in out.stdout and "cnn-s0" in out.stdout


def test_stitch_with_similarity_strategy_and_translated(capsys):
    assert main(["stitch", "--n-anchors", "80", "--similarity", "angular", "--strategy", "kmeans", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["similarity"] == "angular" and out["strategy"] == "kmeans"
    assert "translated" in out and len(out["translated"]) == len(out["encoders"])
    assert out["summary"]["translated"]["stitched"] > 0.9


def test_compare_json(capsys):
    assert main(["compare", "--dataset", "digits", "--n-anchors", "50", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    from core.spaces.zoo import Zoo

    n = len(Zoo("digits").names)
    assert len(out["pairs"]) == n * (n - 1)  # n(n-1)/2 unordered pairs, each absolute and relative
    rows = out["pairs"]
    assert {"a", "b", "space", "jaccard", "mrr", "cosine", "linear_cka", "mutual_knn", "rsa"} <= set(rows[0])
    # seeds of the same classifier: relative spaces nearly coincide, absolute ones do not
    seeds = [r for r in rows if r["a"].startswith("mlp-s") and r["b"].startswith("mlp-s")]
    rel = [r for r in seeds if r["space"] == "relative"]
    ab = [r for r in seeds if r["space"] == "absolute"]
    assert min(r["cosine"] for r in rel) > 0.8 and max(r["mrr"] for r in ab) < 0.1


def test_stitch_wine_json_works_like_digits(capsys):
    assert main(["stitch", "--dataset", "wine", "--n-anchors", "30", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dataset"] == "wine" and out["n_anchors"] == 30 and len(out["encoders"]) >= 3
    assert out["summary"]["relative"]["stitched"] > out["summary"]["absolute"]["stitched"]
