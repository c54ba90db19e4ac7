import numpy as np
import pytest
import torch

from core.spaces.zoo import Zoo
from core.spaces.zoo_build import ZOO_SPECS, tensor_sha256, train_encoder


def test_weights_match_manifest_hashes_and_scores(zoo):
    data = zoo.data
    Xte, yte, _ = data.part("test")
    for name, e in zoo.entries.items():
        assert tensor_sha256(zoo.model(name).state_dict()) == e["tensor_sha256"]
        with torch.no_grad():
            out = zoo.model(name)(torch.from_numpy(Xte)).numpy()
        if "test_accuracy" in e:
            assert abs((out.argmax(1) == yte).mean() - e["test_accuracy"]) < 1e-6, name
        else:
            assert abs(((out - Xte) ** 2).mean() - e["test_mse"]) < 1e-6, name


@pytest.mark.parametrize("dataset, name", [("digits", "mlp-s0"), ("digits", "ae-s0"), ("wine", "mlp-s1"), ("text", "lsa-word")])
def test_rebuilding_an_encoder_reproduces_the_bundled_weights(dataset, name):
    """The build is deterministic: retraining gives the bundled tensors (bit-for-bit here, 1e-6 allowed)."""
    z = Zoo(dataset)
    spec = next(s for s in ZOO_SPECS[dataset] if s.name == name)
    model, scores = train_encoder(spec, z.data)
    bundled = z.model(name).state_dict()
    state = model.state_dict()
    assert set(state) == set(bundled)
    for k in state:
        np.testing.assert_allclose(np.asarray(state[k]), np.asarray(bundled[k]), rtol=0, atol=1e-6)
    for k, v in scores.items():
        assert abs(v - z.entries[name][k]) < 1e-6
