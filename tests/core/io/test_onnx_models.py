"""ONNX external data: an upload may not read server files as weights; a local file only its own folder's."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from core.errors import LoadError, UnsafeFileError  # noqa: E402
from core.io.models import load_model  # noqa: E402
from core.io.onnx_models import check_external_data, onnx_session  # noqa: E402
from tests.onnx_graphs import expand_model, loop_model  # noqa: E402

SECRET = b"API_KEY=hunter2!"  # 16 bytes: four float32 weights


def _matmul_model(location: str | None, *, W=None) -> bytes:
    """Y = X @ W with W (4, 1), kept in ``location`` (external data) or inside the file."""
    if location is None:
        w = helper.make_tensor("W", TensorProto.FLOAT, [4, 1], np.asarray(W, np.float32).ravel().tolist())
    else:
        w = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[4, 1], data_location=TensorProto.EXTERNAL)
        for k, v in (("location", location), ("offset", "0"), ("length", "16")):
            e = w.external_data.add()
            e.key, e.value = k, v
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["latent"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
                              [helper.make_tensor_value_info("latent", TensorProto.FLOAT, ["n", 1])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9).SerializeToString()


@pytest.mark.parametrize("location", ["secret.env", "sub/secret.env", "./secret.env", "../secret.env", "/etc/hostname"])
def test_an_uploaded_model_cannot_read_files_as_its_weights(tmp_path, monkeypatch, location):
    (tmp_path / "sub").mkdir()
    for p in (tmp_path / "secret.env", tmp_path / "sub" / "secret.env"):
        p.write_bytes(SECRET)
    monkeypatch.chdir(tmp_path / "sub" if location.startswith("..") else tmp_path)
    with pytest.raises(UnsafeFileError, match="external files.*save it as one file"):
        load_model(("evil.onnx", _matmul_model(location)))


def test_a_local_model_file_uses_external_data_only_in_its_own_folder(tmp_path):
    W = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    d = tmp_path / "model"
    d.mkdir()
    (d / "w.bin").write_bytes(W.tobytes())
    (d / "m.onnx").write_bytes(_matmul_model("w.bin"))
    X = np.eye(4, dtype=np.float32)
    np.testing.assert_array_equal(load_model(d / "m.onnx").encode(X), W.reshape(4, 1))
    assert check_external_data((d / "m.onnx").read_bytes(), name="m", folder=d) == ["w.bin"]
    (tmp_path / "secret.env").write_bytes(SECRET)
    for loc in ("../secret.env", str(tmp_path / "secret.env")):
        (d / "out.onnx").write_bytes(_matmul_model(loc))
        with pytest.raises(UnsafeFileError, match="outside the model's own folder"):
            load_model(d / "out.onnx")
    (d / "gone.onnx").write_bytes(_matmul_model("missing.bin"))
    with pytest.raises(LoadError, match="not in"):
        load_model(d / "gone.onnx")


def test_a_self_contained_upload_still_runs_and_junk_is_a_clear_error():
    W = [2.0, 0.0, 0.0, 1.0]
    m = load_model(("ok.onnx", _matmul_model(None, W=W)))
    np.testing.assert_array_equal(m.encode(np.eye(4, dtype=np.float32)).ravel(), W)
    with pytest.raises(LoadError, match="not a valid ONNX model"):
        onnx_session(b"\x08\x07garbage" * 10, name="junk.onnx")


def test_a_model_that_never_returns_is_stopped_at_the_time_limit(monkeypatch):
    import time

    X = np.eye(4, dtype=np.float32)
    np.testing.assert_array_equal(load_model(("loop.onnx", loop_model(3))).encode(X), X)  # a short loop runs
    monkeypatch.setenv("STITCHBOARD_ONNX_TIMEOUT_S", "4")
    t = time.monotonic()
    with pytest.raises(LoadError, match=r"longer than the 4 s limit and was stopped \(STITCHBOARD_ONNX_TIMEOUT_S\)"):
        load_model(("loop.onnx", loop_model(10**15))).encode(X)
    assert time.monotonic() - t < 30  # stopped, not waited out


def test_a_model_that_allocates_too_much_is_stopped_by_the_memory_limit(monkeypatch):
    # 4 GiB per row, over a 1.5 GiB worker limit
    monkeypatch.setenv("STITCHBOARD_WORKER_MEMORY_MB", "1536")
    with pytest.raises(LoadError, match=r"ran out of memory.*STITCHBOARD_WORKER_MEMORY_MB"):
        load_model(("big.onnx", expand_model())).encode(np.eye(4, dtype=np.float32))


def test_the_cli_refuses_a_sibling_file_outside_the_models_folder_and_leaks_no_byte(tmp_path, capsys):
    """`stitchboard import` on a local model whose weights name ../secret.env: refused, and the
    secret's bytes (as text or as the four float32 weights they would be) reach no output."""
    import os

    from core.cli import main

    (tmp_path / "secret.env").write_bytes(SECRET)
    d = tmp_path / "model"
    d.mkdir()
    (d / "m.onnx").write_bytes(_matmul_model("../secret.env"))
    (tmp_path / "table.csv").write_text("id,a,b,c,d\n" + "".join(f"{i},1,0,0,0\n" for i in range(4)))
    out = tmp_path / "out"
    code = main(["import", str(d / "m.onnx"), "--table", str(tmp_path / "table.csv"), "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 2 and "outside the model's own folder" in printed.err
    weights = np.frombuffer(SECRET, np.float32)
    for text in (printed.out, printed.err):
        assert "hunter2" not in text and not any(f"{w:.4g}" in text for w in weights)
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert not any(SECRET in p.read_bytes() or weights.tobytes() in p.read_bytes() for p in written)
    assert not written and os.listdir(d) == ["m.onnx"]
