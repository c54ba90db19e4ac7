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
