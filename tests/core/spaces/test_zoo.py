import hashlib

import numpy as np
import pytest

from core.spaces.datasets import DATASETS, load_dataset
from core.spaces.zoo import Zoo


def test_manifest_describes_a_varied_digits_zoo(zoo):
    enc = zoo.manifest["encoders"]
    classifiers = [e for e in enc if e["arch"] in ("mlp", "cnn")]
    assert len(classifiers) >= 5
    for e in classifiers:
        assert {"name", "arch", "seed", "latent_dim", "test_accuracy", "file", "sha256", "tensor_sha256"} <= set(e)
        assert e["test_accuracy"] >= 0.9
    mlps = [e for e in enc if e["arch"] == "mlp" and e["config"] == enc[0]["config"]]
    assert len({e["seed"] for e in mlps}) >= 3, "at least 3 seeds of the same MLP"
    assert len({e["latent_dim"] for e in enc}) >= 3, "different latent widths"
    assert any(e["arch"] == "cnn" for e in enc), "a different architecture"
    aes = [e for e in enc if e["arch"] == "ae"]
    assert len({e["seed"] for e in aes}) >= 2, "an autoencoder family with >= 2 seeds"
    assert all(e["test_mse"] < 0.02 for e in aes)


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_dataset_has_a_zoo_matching_its_files(dataset):
    z = Zoo(dataset)
    stored = [e for e in z.manifest["encoders"]]
    assert len(stored) >= 3 and z.manifest["dataset"] == dataset
    for e in stored:
        assert hashlib.sha256((z.root / e["file"]).read_bytes()).hexdigest() == e["sha256"], e["name"]
        Z = z.vectors(e["name"])
        assert Z.shape == (len(z.data.ids), e["latent_dim"]) and np.isfinite(Z).all()
    coll = z.collection()
    assert coll.names == z.names and coll.n_samples == len(z.data.ids)
    assert set(coll.part("train")) == set(z.names)


@pytest.mark.parametrize("dataset, n_train, n_test", [("digits", 1437, 360), ("wine", 142, 36), ("breast_cancer", 455, 114)])
def test_split_is_fixed_stratified_and_disjoint(dataset, n_train, n_test):
    d1, d2 = load_dataset(dataset), load_dataset(dataset)
    assert np.array_equal(d1.split, d2.split)
    tr, te = d1.split == "train", d1.split == "test"
    assert tr.sum() == n_train and te.sum() == n_test and not (tr & te).any()
    frac = np.bincount(d1.y[te]) / np.bincount(d1.y)
    assert np.all(np.abs(frac - 0.2) < 0.03)
    if dataset != "digits":  # standardised with train statistics only
        np.testing.assert_allclose(d1.X[tr].mean(0), 0, atol=1e-5)


@pytest.mark.parametrize("dataset", ["wine", "breast_cancer", "text"])
def test_relative_stitching_beats_absolute_on_every_zoo(dataset):
    from core.methods.anchors import select_anchors
    from core.methods.stitching import stitching_matrix

    z = Zoo(dataset)
    names = [n for n in z.names if n != "minilm"]  # the optional pretrained model is not part of the default run
    train, test = z.spaces("train", names), z.spaces("test", names)
    anchors = select_anchors(train[names[0]], 30 if dataset == "wine" else 100, random_state=0)
    res = stitching_matrix(train, test, anchors, modes=("absolute", "relative"))
    rel, ab = res.stitched_mean("relative"), res.stitched_mean("absolute")
    print(f"{dataset}: relative stitched {rel:.3f}, absolute stitched {ab:.3f}")
    assert rel > ab + 0.15


@pytest.mark.parametrize("dataset", ["digits", "wine", "breast_cancer"])
def test_onnx_models_reproduce_the_manifest_scores(dataset):
    """The ONNX files are the whole trained models: their logits / reconstructions score what the
    manifest recorded at build time (torch), up to one test sample whose top logits are a near-tie."""
    z = Zoo(dataset)
    Xte, yte, _ = z.data.part("test")
    for name in z.names:
        e, model = z.entries[name], z.model(name)
        assert model.outputs[0] == "latent"
        np.testing.assert_array_equal(model.encode(Xte), z.vectors(name)[z.data.split == "test"])
        out = model.run(Xte, model.outputs[1])
        if "test_accuracy" in e:
            assert abs((out.argmax(1) == yte).mean() - e["test_accuracy"]) <= 1 / len(yte) + 1e-9, name
        else:
            assert abs(((out - Xte) ** 2).mean() - e["test_mse"]) <= 1e-5 * e["test_mse"] + 1e-6, name


def _copy_zoo(tmp_path, dataset="digits"):
    import shutil

    root = tmp_path / dataset
    shutil.copytree(Zoo(dataset).root, root)
    return root


def test_onnx_only_build_writes_the_bundled_onnx_files_from_the_weights(tmp_path):
    import json

    from core.errors import LoadError
    from core.spaces.zoo_onnx import write_zoo_onnx

    root = _copy_zoo(tmp_path)
    bundled = json.loads((root / "manifest.json").read_text())
    stripped = json.loads(json.dumps(bundled))
    for e in stripped["encoders"]:
        (root / e.pop("onnx")).unlink()
        e.pop("onnx_sha256")
    (root / "manifest.json").write_text(json.dumps(stripped))
    with pytest.raises(LoadError, match=r"zoo entry 'mlp-s0' has no ONNX model .* zoo build --onnx-only"):
        Zoo("digits", root=root).model("mlp-s0")
    manifest = write_zoo_onnx("digits", root=root)
    assert manifest == bundled  # the same hashes, weights and scores
    for e in bundled["encoders"]:
        assert (root / e["onnx"]).read_bytes() == (Zoo("digits").root / e["onnx"]).read_bytes()
    np.testing.assert_array_equal(Zoo("digits", root=root).vectors("cnn-s0"), Zoo("digits").vectors("cnn-s0"))
    # weights changed since the build: refused, not silently exported
    path = root / "ae-s0.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(LoadError, match=r"ae-s0.safetensors does not match the sha256 in its manifest"):
        write_zoo_onnx("digits", root=root)


def test_zoo_vectors_cache_key_follows_the_onnx_file_and_onnxruntime(tmp_path, monkeypatch):
    import core.runtime.disk_cache as dc

    root = _copy_zoo(tmp_path, "wine")
    z = Zoo("wine", root=root)
    key = z._vectors_key("mlp-s0")
    assert z._vectors_key("mlp-s1") != key
    real = dc.package_versions
    monkeypatch.setattr(dc, "package_versions",
                        lambda *names: tuple((n, "0.0" if n == "onnxruntime" else v) for n, v in real(*names)))
    assert z._vectors_key("mlp-s0") != key
