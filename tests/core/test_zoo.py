import hashlib

import numpy as np
import torch

from core.datasets import load_dataset
from core.zoo import ZOO_SPECS, Zoo, tensor_sha256, train_encoder


def test_manifest_describes_a_varied_zoo(zoo):
    enc = zoo.manifest["encoders"]
    assert len(enc) >= 5
    for e in enc:
        assert {"name", "arch", "seed", "latent_dim", "test_accuracy", "file", "sha256"} <= set(e)
        assert e["test_accuracy"] >= 0.9
    mlps = [e for e in enc if e["arch"] == "mlp" and e["config"] == enc[0]["config"]]
    assert len({e["seed"] for e in mlps}) >= 3, "at least 3 seeds of the same MLP"
    assert any(e["arch"] == "mlp" and e["config"] != enc[0]["config"] for e in enc), "a different width/latent dim"
    assert any(e["arch"] == "cnn" for e in enc), "a different architecture"


def test_weights_match_manifest_hashes_and_accuracy(zoo):
    data = zoo.data
    Xte, yte, _ = data.part("test")
    for name, e in zoo.entries.items():
        assert hashlib.sha256((zoo.root / e["file"]).read_bytes()).hexdigest() == e["sha256"]
        assert tensor_sha256(zoo.model(name).state_dict()) == e["tensor_sha256"]
        with torch.no_grad():
            acc = (zoo.model(name)(torch.from_numpy(Xte)).argmax(1).numpy() == yte).mean()
        assert abs(acc - e["test_accuracy"]) < 1e-6, name


def test_split_is_fixed_stratified_and_disjoint():
    d1, d2 = load_dataset("digits"), load_dataset("digits")
    assert np.array_equal(d1.split, d2.split)
    tr, te = d1.split == "train", d1.split == "test"
    assert tr.sum() == 1437 and te.sum() == 360 and not (tr & te).any()
    frac = np.bincount(d1.y[te], minlength=10) / np.bincount(d1.y, minlength=10)
    assert np.all(np.abs(frac - 0.2) < 0.02)


def test_rebuilding_an_encoder_reproduces_the_bundled_weights(zoo):
    """The build is deterministic: retraining mlp-s0 gives the bundled tensors."""
    spec = next(s for s in ZOO_SPECS["digits"] if s.name == "mlp-s0")
    model, acc = train_encoder(spec, zoo.data)
    bundled = Zoo("digits").model("mlp-s0").state_dict()
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, bundled[k], rtol=0, atol=1e-6)
    assert abs(acc - zoo.entries["mlp-s0"]["test_accuracy"]) < 1e-6
