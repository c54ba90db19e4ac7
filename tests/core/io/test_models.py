"""Models on a data table: an ONNX export and zoo safetensors give the zoo's own vectors; mismatches are refused."""

import json

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError, LoadError, MismatchError
from core.io.collection_files import load_collection
from core.io.models import encode_table, load_model


def _onnx_of(model, path, in_dim):
    torch = pytest.importorskip("torch", reason="exporting with torch.onnx needs torch (the dev extra)")

    class Enc(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m.encode(x)

    torch.onnx.export(Enc(model), torch.zeros(2, in_dim), str(path), input_names=["x"], output_names=["latent"],
                      dynamic_axes={"x": {0: "n"}}, dynamo=False)


def test_onnx_export_of_zoo_model_gives_same_vectors(tmp_path, zoo):
    from core.spaces.zoo_build import load_torch_model

    _onnx_of(load_torch_model(zoo.entries["mlp-s0"], zoo.root), tmp_path / "mlp.onnx", 64)
    d = zoo.data
    table = pd.DataFrame({"id": d.ids, "label": d.y, **{f"px{i}": d.X[:, i] for i in range(64)}})
    table.to_csv(tmp_path / "digits.csv", index=False)
    sp = encode_table(tmp_path / "digits.csv", load_model(tmp_path / "mlp.onnx"))
    np.testing.assert_allclose(sp.vectors, zoo.vectors("mlp-s0"), rtol=0, atol=1e-5)
    # wrong input width: a clear message, not an onnxruntime traceback
    table.iloc[:, :30].to_csv(tmp_path / "narrow.csv", index=False)
    with pytest.raises(MismatchError, match="expects 64 input features, the table has 28"):
        encode_table(tmp_path / "narrow.csv", load_model(tmp_path / "mlp.onnx"))
    (tmp_path / "bad.onnx").write_bytes((tmp_path / "mlp.onnx").read_bytes()[:200])
    with pytest.raises(LoadError, match="not a valid ONNX"):
        load_model(tmp_path / "bad.onnx")


def test_safetensors_with_sidecar_and_shape_mismatch(tmp_path, zoo):
    import shutil

    d = zoo.data
    table = pd.DataFrame({"id": d.ids, **{f"px{i}": d.X[:, i] for i in range(64)}, "label": d.y})
    table.to_parquet(tmp_path / "digits.parquet")
    shutil.copy(zoo.root / "cnn-s0.safetensors", tmp_path / "cnn.safetensors")
    (tmp_path / "cnn.json").write_text(json.dumps({"arch": "cnn", "config": zoo.entries["cnn-s0"]["config"]}))
    coll = load_collection([tmp_path / "cnn.safetensors", tmp_path / "cnn.json"], table=tmp_path / "digits.parquet")
    np.testing.assert_allclose(coll.spaces["cnn"].vectors, zoo.vectors("cnn-s0"), atol=1e-6)
    with open(tmp_path / "cnn.safetensors", "rb") as f:  # its ONNX graph is the bundled cnn-s0.onnx, byte for byte
        from safetensors.numpy import load

        from core.spaces.architecture_graphs import model_bytes

        graph = model_bytes("cnn", zoo.entries["cnn-s0"]["config"], load(f.read()))
    assert graph == (zoo.root / "cnn-s0.onnx").read_bytes()
    assert "px0" in coll.samples.columns  # the table's rows travel with the samples (hover)
    (tmp_path / "cnn.json").write_text(json.dumps({"arch": "cnn", "config": {**zoo.entries["cnn-s0"]["config"], "channels": 8}}))
    with pytest.raises(LoadError, match="do not match arch='cnn'"):
        load_collection([tmp_path / "cnn.safetensors", tmp_path / "cnn.json"], table=tmp_path / "digits.parquet")
    with pytest.raises(InvalidInputError, match="also give the data table"):
        load_collection([tmp_path / "cnn.safetensors", tmp_path / "cnn.json"])


def test_the_bundled_onnx_model_loads_as_an_upload(tmp_path, zoo):
    """Our own ONNX file, as a user would upload it: its 'latent' output is picked among two."""
    import shutil

    shutil.copy(zoo.root / "mlp-s0.onnx", tmp_path / "mlp.onnx")
    d = zoo.data
    pd.DataFrame({"id": d.ids, **{f"px{i}": d.X[:, i] for i in range(64)}}).to_csv(tmp_path / "digits.csv", index=False)
    model = load_model(tmp_path / "mlp.onnx")
    assert model.output == "latent"
    np.testing.assert_array_equal(encode_table(tmp_path / "digits.csv", model).vectors, zoo.vectors("mlp-s0"))


def test_safetensors_weights_that_are_not_floats_are_refused(tmp_path):
    from safetensors.numpy import save_file

    from core.spaces.architecture_graphs import weight_shapes

    config = {"in_dim": 3, "hidden": 4, "latent_dim": 2, "n_classes": 2}
    save_file({k: np.ones(s, np.int32) for k, s in weight_shapes("mlp", config).items()}, str(tmp_path / "m.safetensors"))
    with pytest.raises(LoadError, match=r"m.safetensors: tensors \['encoder.0.bias', .* are not floating point"):
        load_model(tmp_path / "m.safetensors", sidecar={"arch": "mlp", "config": config})
    with pytest.raises(InvalidInputError, match=r"unknown keys \['depth'\]"):
        load_model(tmp_path / "m.safetensors", sidecar={"arch": "mlp", "config": {**config, "depth": 3}})
