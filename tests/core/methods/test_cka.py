"""CKA against its references: values stored by latentis's tests and Kornblith et al.'s demo
notebook, and formulas written out here with plain numpy (see docs/references.md)."""

import itertools

import numpy as np
import pytest

from core.methods.cka import debiased_cka, linear_cka, rbf_bandwidth, rbf_cka

# latentis tests/measure/conftest.py (PrecomputedCKA): X = arange(32).reshape(8, 4), this Y,
# stored linear CKA 0.2815 and RBF CKA 0.3945, checked there with abs=1e-4.
LATENTIS_X = np.arange(32.0).reshape(8, 4)
LATENTIS_Y = np.array([
    [1, 2, 27, 22], [0, 28, 15, 18], [12, 9, 14, 8], [11, 19, 16, 13],
    [31, 20, 10, 3], [24, 5, 7, 29], [4, 30, 21, 6], [26, 17, 23, 25],
], dtype=float)


def _kornblith_demo_data():
    """Kornblith et al.'s representation_similarity/Demo.ipynb: np.random.seed(1337),
    X = randn(100, 10), Y = randn(100, 10) + X (the legacy generator is stable across numpy)."""
    rs = np.random.RandomState(1337)
    X = rs.randn(100, 10)
    return X, rs.randn(100, 10) + X


def test_defaults_reproduce_latentis_stored_values():
    assert rbf_cka(LATENTIS_X, LATENTIS_Y) == pytest.approx(0.3945, abs=1e-4)
    assert linear_cka(LATENTIS_X, LATENTIS_Y) == pytest.approx(0.2815, abs=1e-4)


def test_kornblith_conventions_reproduce_the_demo_notebook_outputs():
    """Printed outputs of the notebook: linear 0.55761, RBF (threshold 0.5) 0.65483, debiased 0.51346."""
    X, Y = _kornblith_demo_data()
    assert linear_cka(X, Y) == pytest.approx(0.55761, abs=1e-5)
    assert rbf_cka(X, Y, sigma_frac=0.5, bandwidth="kornblith") == pytest.approx(0.65483, abs=1e-5)
    assert debiased_cka(X, Y) == pytest.approx(0.51346, abs=1e-5)


def _rbf_cka_numpy(X, Y, sigma_of):
    """RBF CKA written out: K = exp(-D2 / (2 sigma^2)), HSIC = <HKH, HLH>."""
    n = len(X)
    H = np.eye(n) - np.ones((n, n)) / n

    def gram(M):
        D2 = ((M[:, None, :] - M[None, :, :]) ** 2).sum(-1)
        return H @ np.exp(-D2 / (2 * sigma_of(D2) ** 2)) @ H

    K, L = gram(X), gram(Y)
    return (K * L).sum() / np.sqrt((K * K).sum() * (L * L).sum())


def test_both_median_conventions_against_numpy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(31, 6))
    X[5] = X[9]  # a duplicate sample: a zero off-diagonal distance, excluded by latentis's median
    Y = np.tanh(X @ rng.normal(size=(6, 4))) + 0.1 * rng.normal(size=(31, 4))

    def lower_median_nonzero(D2):
        v = np.sort(D2[D2 != 0])
        return np.sqrt(v[(len(v) - 1) // 2])

    def median_all(D2, frac=0.7):
        return frac * np.sqrt(np.median(D2))

    assert rbf_cka(X, Y) == pytest.approx(_rbf_cka_numpy(X, Y, lower_median_nonzero), rel=1e-10)
    assert rbf_cka(X, Y, sigma_frac=0.7, bandwidth="kornblith") == pytest.approx(
        _rbf_cka_numpy(X, Y, median_all), rel=1e-10)
    D2 = ((X[:, None] - X[None]) ** 2).sum(-1)
    assert rbf_bandwidth(D2) == pytest.approx(lower_median_nonzero(D2))
    assert rbf_bandwidth(D2, sigma_frac=0.7, bandwidth="kornblith") == pytest.approx(median_all(D2))
    assert rbf_bandwidth(D2) != pytest.approx(rbf_bandwidth(D2, bandwidth="kornblith"))
    with pytest.raises(ValueError, match="bandwidth='median' is not supported"):
        rbf_cka(X, Y, bandwidth="median")


def _hsic_song(K, L):
    """Song et al. (2012) unbiased HSIC as its U-statistic: the mean over ordered 4-tuples of
    distinct samples of K_ij L_ij + K_ij L_qr - 2 K_ij L_iq."""
    total, count = 0.0, 0
    for i, j, q, r in itertools.permutations(range(len(K)), 4):
        total += K[i, j] * L[i, j] + K[i, j] * L[q, r] - 2 * K[i, j] * L[i, q]
        count += 1
    return total / count


def test_debiased_cka_equals_song_et_al_u_statistic():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(9, 4))
    Y = X @ rng.normal(size=(4, 6)) + 0.5 * rng.normal(size=(9, 6))
    K, L = X @ X.T, Y @ Y.T  # uncentred: the U-statistic does not need centring
    expected = _hsic_song(K, L) / np.sqrt(_hsic_song(K, K) * _hsic_song(L, L))
    assert debiased_cka(X, Y) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("offset", [1.0, 1e2, 1e4, 1e6])
def test_debiased_cka_is_offset_invariant(offset):
    """Before centring the features first: 0.0 at offset 1e4 (the Gram matrices cancelled)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 20))
    Y = X @ rng.normal(size=(20, 20)) + rng.normal(size=(200, 20))
    base = debiased_cka(X, Y)
    assert 0.3 < base < 0.95
    assert debiased_cka(X + offset, Y - offset) == pytest.approx(base, rel=1e-7)
