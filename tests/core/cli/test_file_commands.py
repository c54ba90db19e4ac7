"""stitchboard import (core.cli.file_commands); `relative` is tested with core.io.streaming."""

from core.cli import main


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
