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


def test_import_reports_and_converts(tmp_path, capsys):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 5))
    pd.DataFrame({"id": np.arange(30), "label": np.arange(30) % 3, "embedding": list(X)}).to_parquet(tmp_path / "old.parquet")
    np.savez(tmp_path / "new.npz", vectors=X[::-1] * 2, ids=np.arange(30)[::-1])
    assert main(["import", str(tmp_path / "old.parquet"), str(tmp_path / "new.npz"), "--name", "v1", "v2",
                 "--out", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    assert "30 samples" in text and "space v1" in text and "3 classes" in text and "matched by id" in text
    with np.load(tmp_path / "out" / "v2.npz", allow_pickle=False) as f:
        np.testing.assert_allclose(f["vectors"], 2 * X.astype(np.float32), rtol=1e-6)
        assert f["ids"].tolist() == list(range(30))
    (tmp_path / "evil.pkl").write_bytes(b"\x80\x04K\x01.")
    assert main(["import", str(tmp_path / "evil.pkl")]) == 2
    assert "pickle" in capsys.readouterr().err


def test_encode_texts_and_images_with_tiny_models_then_import(tiny_models, tmp_path, capsys):
    import io
    import shutil
    import zipfile

    import numpy as np
    import pandas as pd
    from PIL import Image

    words = ["the cat sat", "a dog runs fast", "music film", "stock market price", "science cell code", "red car"]
    pd.DataFrame({"doc": words * 3, "topic": ["a", "b", "c"] * 6}).to_csv(tmp_path / "t.csv", index=False)
    assert main(["encode", str(tmp_path / "t.csv"), "--text-column", "doc", "--label-column", "topic",
                 "--model", str(tiny_models["bert0"]), "--layer", "1", "--layer", "2",
                 "--out", str(tmp_path / "out"), "--quiet", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in report["encoders"]] == ["bert0-L1", "bert0-L2"]
    assert [r["layer"] for r in report["encoders"]] == ["1", "2"]
    with np.load(tmp_path / "out" / "bert0-L1.npz", allow_pickle=False) as f:
        assert f["vectors"].shape == (18, 32) and f["labels"].tolist() == ["a", "b", "c"] * 6
    assert main(["import", str(tmp_path / "out" / "bert0-L1.npz"), str(tmp_path / "out" / "bert0-L2.npz")]) == 0
    assert "18 samples" in capsys.readouterr().out
    # the encoded spaces stitch like a bundled dataset: heads on one layer, fed the other
    assert main(["stitch", "--files", str(tmp_path / "out" / "bert0-L1.npz"), str(tmp_path / "out" / "bert0-L2.npz"),
                 "--n-anchors", "6", "--format", "json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["dataset"] == "files" and st["encoders"] == ["bert0-L1", "bert0-L2"]
    assert all(0.0 <= v <= 1.0 for row in st["relative"] for v in row)

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(4):
            for c in ("red", "blue"):
                b = io.BytesIO()
                Image.new("RGB", (16, 16), c).save(b, "PNG")
                z.writestr(f"{c}/{i}.png", b.getvalue())
    (tmp_path / "imgs.zip").write_bytes(buf.getvalue())
    assert main(["encode", str(tmp_path / "imgs.zip"), "--model", str(tiny_models["vit0"]),
                 "--model", str(tiny_models["vit1"]), "--out", str(tmp_path / "img"), "--no-cache"]) == 0
    text = capsys.readouterr().out
    assert "images: 8" in text and "2 classes" in text and "vit0" in text and "vit1" in text
    assert sorted(p.name for p in (tmp_path / "img").glob("*.npz")) == ["vit0.npz", "vit1.npz"]

    evil = tmp_path / "evil"
    shutil.copytree(tiny_models["bert0"], evil)
    cfg = json.loads((evil / "config.json").read_text())
    (evil / "config.json").write_text(json.dumps({**cfg, "auto_map": {"AutoModel": "x.Y"}}))
    assert main(["encode", "bundled:text", "--model", str(evil), "--out", str(tmp_path / "no"), "--quiet"]) == 2
    assert "trust_remote_code=False" in capsys.readouterr().err and not (tmp_path / "no").exists()
    np.savez(tmp_path / "nolabels.npz", vectors=np.zeros((4, 2)), ids=np.arange(4))
    assert main(["stitch", "--files", str(tmp_path / "nolabels.npz")]) == 2
    assert "no labels" in capsys.readouterr().err
