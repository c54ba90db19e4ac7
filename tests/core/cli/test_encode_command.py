"""stitchboard encode (core.cli.encode_command), then import and stitch of what it wrote."""

import json

from core.cli import main


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
