"""Reconstruction stitching with the digits autoencoders."""

import numpy as np
import pytest

from core.methods.anchors import select_anchors
from core.errors import InvalidInputError
from core.spaces.latent_space import LatentSpace
from core.methods.reconstruction import reconstruction_stitching


@pytest.fixture(scope="module")
def result(zoo, train_spaces, test_spaces):
    d = zoo.data
    targets = LatentSpace(d.X, d.ids, name="pixels")
    anchors = select_anchors(train_spaces["ae-s0"], 100, random_state=0)
    return reconstruction_stitching(train_spaces, test_spaces, targets, anchors, decoder="ae-s0",
                                    encoders=["ae-s0", "ae-s1", "mlp-wide-s0"])


def test_relative_decoder_reconstructs_from_another_autoencoder(result):
    rel, ab = result.mse["relative"], result.mse["absolute"]
    print({k: round(v, 4) for k, v in rel.items()}, {k: round(v, 4) for k, v in ab.items()})
    assert rel["ae-s0"] < 0.02  # the decoder's own space
    assert rel["ae-s1"] < 0.5 * ab["ae-s1"]  # stitched: relative far better than absolute
    assert rel["ae-s1"] < 0.04
    assert np.isfinite(ab["mlp-wide-s0"]) and rel["mlp-wide-s0"] < ab["mlp-wide-s0"]


def test_images_are_returned_aligned_with_ids(result, zoo):
    R = result.reconstructions["relative"]["ae-s1"]
    assert R.shape == result.original.shape == (len(result.ids), 64)
    np.testing.assert_array_equal(result.original, zoo.data.X[result.ids])
    assert R.min() >= 0 and R.max() <= 1


def test_dims_differ_in_absolute_mode_is_nan_not_an_error(zoo, train_spaces, test_spaces):
    d = zoo.data
    res = reconstruction_stitching(train_spaces, test_spaces, LatentSpace(d.X, d.ids), train_spaces["ae-s0"].ids[:50],
                                   decoder="ae-s0", encoders=["mlp-s0"], modes=("absolute",), epochs=2)
    assert np.isnan(res.mse["absolute"]["mlp-s0"])
    with pytest.raises(InvalidInputError, match="decoder='nope'"):
        reconstruction_stitching(train_spaces, test_spaces, LatentSpace(d.X, d.ids), [0], decoder="nope")


@pytest.mark.parametrize("sigmoid", [True, False])
def test_decoder_gradients_match_finite_differences(sigmoid):
    """The hand-written backward pass of the numpy decoder, against central differences in float64."""
    from core.methods.reconstruction import _loss_and_grads

    rng = np.random.default_rng(0)
    P = [rng.normal(size=(5, 7)), rng.normal(size=7), rng.normal(size=(7, 3)), rng.normal(size=3)]
    x, y = rng.normal(size=(6, 5)), rng.uniform(size=(6, 3))
    _, grads = _loss_and_grads(P, x, y, sigmoid)
    h = 1e-6
    for w, g in zip(P, grads):
        num = np.zeros_like(w)
        for i in np.ndindex(w.shape):
            w[i] += h
            up = _loss_and_grads(P, x, y, sigmoid)[0]
            w[i] -= 2 * h
            down = _loss_and_grads(P, x, y, sigmoid)[0]
            w[i] += h
            num[i] = (up - down) / (2 * h)
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def test_decoder_is_deterministic_and_learns(zoo, train_spaces):
    from core.methods.reconstruction import fit_decoder

    d = zoo.data
    Z, T = train_spaces["ae-s0"].vectors, d.X[train_spaces["ae-s0"].ids]
    a, b = fit_decoder(Z, T, epochs=5, random_state=3), fit_decoder(Z, T, epochs=5, random_state=3)
    np.testing.assert_array_equal(a.predict(Z), b.predict(Z))
    untrained = fit_decoder(Z, T, epochs=0, random_state=3).predict(Z)
    assert ((a.predict(Z) - T) ** 2).mean() < 0.5 * ((untrained - T) ** 2).mean()
