"""Reconstruction stitching: a decoder trained on one encoder's space, fed another's.

The generative counterpart of classification stitching (Moschella et al., 2023, §5.2):
a decoder learns to reconstruct the inputs from encoder A's *relative* vectors; fed
encoder B's relative vectors of unseen samples, it still reconstructs them, while a
decoder on A's *absolute* vectors produces garbage from B's absolute vectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import InvalidInputError, MismatchError
from ..spaces.latent_space import LatentSpace
from .relative import relative_projection

__all__ = ["ReconstructionResult", "fit_decoder", "reconstruction_stitching"]


def _prep(Z) -> np.ndarray:
    """Each row centred and scaled to unit standard deviation (float32)."""
    Z = np.asarray(Z, dtype=np.float32)
    Zc = Z - Z.mean(axis=1, keepdims=True)
    return Zc / (Zc.std(axis=1, keepdims=True) + 1e-6)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|


def _forward(P, x, sigmoid):
    h = x @ P[0] + P[1]
    a = np.maximum(h, 0)
    o = a @ P[2] + P[3]
    return h, a, (_sigmoid(o) if sigmoid else o)


def _loss_and_grads(P, x, y, sigmoid):
    """Mean squared error of the decoder on a batch and its gradients with respect to ``P``."""
    h, a, out = _forward(P, x, sigmoid)
    diff = out - y
    g = (2.0 / diff.size) * diff
    if sigmoid:
        g = g * out * (1 - out)
    ga = (g @ P[2].T) * (h > 0)
    return float((diff * diff).mean()), [x.T @ ga, ga.sum(0), a.T @ g, g.sum(0)]


class _Decoder:
    """Row-standardised input -> ReLU hidden layer -> reconstruction (sigmoid for targets in [0, 1])."""

    def __init__(self, params, out_sigmoid: bool):
        self.params = params
        self.out_sigmoid = out_sigmoid

    def predict(self, Z: np.ndarray) -> np.ndarray:
        """Z : (n, d) -> reconstructions (n, p), float32."""
        return _forward(self.params, _prep(Z), self.out_sigmoid)[2].astype(np.float32, copy=False)


def fit_decoder(Z, targets, *, hidden: int = 256, epochs: int = 60, batch_size: int = 128, lr: float = 3e-3,
                random_state: int = 0):
    """Train an MLP decoder from vectors to targets (e.g. pixels), with Adam on mini-batches.

    One hidden ReLU layer and a sigmoid output, in numpy: scikit-learn's ``MLPRegressor``
    has no sigmoid output, and without it the stitched reconstructions were 60 % worse
    (``benchmarks/bench_reconstruction.py``).

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_dims)
        Input vectors (absolute or relative); each row is standardised first.
    targets : array-like of shape (n_samples, n_outputs)
        What to reconstruct. Outputs pass through a sigmoid when targets lie in [0, 1].
    hidden : int, default=256
    epochs : int, default=60
    batch_size : int, default=128
    lr : float, default=3e-3
    random_state : int, default=0
        Seeds the initial weights and the batch order: the same inputs give the same decoder.

    Returns
    -------
    decoder
        An object with ``predict(Z) -> (n, n_outputs)``.
    """
    Z = _prep(Z)
    T = np.asarray(targets, dtype=np.float32)
    if T.ndim != 2 or T.shape[0] != Z.shape[0]:
        raise InvalidInputError(f"targets must have shape ({Z.shape[0]}, n_outputs); got {T.shape}")
    sigmoid = bool(T.min() >= 0.0 and T.max() <= 1.0)
    rng = np.random.default_rng(random_state)

    def uniform(shape, fan_in):  # torch's default initialisation of a Linear layer
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    d, p = Z.shape[1], T.shape[1]
    P = [uniform((d, hidden), d), uniform((hidden,), d), uniform((hidden, p), hidden), uniform((p,), hidden)]
    m = [np.zeros_like(w) for w in P]
    v = [np.zeros_like(w) for w in P]
    beta1, beta2, eps, step = 0.9, 0.999, 1e-8, 0
    for _ in range(epochs):
        perm = rng.permutation(len(Z))
        for s in range(0, len(perm), batch_size):
            idx = perm[s : s + batch_size]
            _, grads = _loss_and_grads(P, Z[idx], T[idx], sigmoid)
            step += 1
            c1, c2 = 1 - beta1**step, 1 - beta2**step
            for w, g, mw, vw in zip(P, grads, m, v):
                mw *= beta1
                mw += (1 - beta1) * g
                vw *= beta2
                vw += (1 - beta2) * g * g
                w -= (lr / c1) * mw / (np.sqrt(vw / c2) + eps)
    return _Decoder(P, sigmoid)


@dataclass
class ReconstructionResult:
    """Decoder of one encoder fed every encoder's test space.

    Attributes
    ----------
    decoder : str
        The encoder whose space the decoder was trained on.
    encoders : list of str
        The spaces fed to it.
    ids : ndarray of shape (n_test,)
        Test sample ids, the row order of every array below.
    original : ndarray of shape (n_test, n_outputs)
    reconstructions : dict of mode -> dict of encoder -> ndarray of shape (n_test, n_outputs)
        NaN-filled when the absolute dims differ.
    mse : dict of mode -> dict of encoder -> float
        Mean squared error per pixel (NaN when dims differ).
    params : dict
    """

    decoder: str
    encoders: list
    ids: np.ndarray
    original: np.ndarray
    reconstructions: dict
    mse: dict
    params: dict = field(default_factory=dict)

    def stitched_mean(self, mode: str) -> float:
        """Mean MSE over the encoders other than the decoder's own (NaN entries skipped)."""
        vals = [v for e, v in self.mse[mode].items() if e != self.decoder and not np.isnan(v)]
        return float(np.mean(vals)) if vals else float("nan")


def reconstruction_stitching(
    train: Mapping[str, LatentSpace],
    test: Mapping[str, LatentSpace],
    targets: LatentSpace,
    anchor_ids,
    *,
    decoder: str,
    encoders=None,
    modes=("absolute", "relative"),
    similarity: str = "cosine",
    epochs: int = 60,
    random_state: int = 0,
) -> ReconstructionResult:
    """Train a decoder on one encoder's space and feed it every encoder's test space.

    Parameters
    ----------
    train, test : mapping of str -> LatentSpace
        Parallel train and test spaces per encoder (same ids in each).
    targets : LatentSpace
        What to reconstruct, keyed by the same ids: e.g. the input pixels, vectors of
        shape (n_samples, n_outputs) covering every train and test id.
    anchor_ids : sequence of ids
        Train ids used as anchors by the relative mode.
    decoder : str
        Name of the encoder whose space trains the decoder.
    encoders : list of str, optional
        Spaces fed to the decoder; all by default.
    modes : tuple of {"absolute", "relative"}
    similarity : str, default="cosine"
    epochs : int, default=60
    random_state : int, default=0

    Returns
    -------
    ReconstructionResult
    """
    if decoder not in train:
        raise InvalidInputError(f"decoder={decoder!r} is not one of the spaces {list(train)}")
    encoders = list(encoders) if encoders is not None else list(test)
    unknown = [e for e in encoders if e not in test or e not in train]
    if unknown:
        raise InvalidInputError(f"encoders {unknown} are not among the spaces {list(test)}")
    bad = [m for m in modes if m not in ("absolute", "relative")]
    if bad:
        raise InvalidInputError(f"modes {bad} are not supported; use 'absolute' and/or 'relative'")
    anchor_ids = list(anchor_ids)
    tr = train[decoder]
    test_ids = test[decoder].ids
    try:
        T_train, T_test = targets.take(tr.ids), targets.take(test_ids)
    except KeyError as exc:
        raise MismatchError(f"targets do not cover every sample: {exc.args[0]}") from None
    out_rec, out_mse = {}, {}
    for mode in modes:
        if mode == "relative":
            def vec(space_all_train, space):
                return relative_projection(space.vectors, space_all_train.take(anchor_ids), similarity=similarity)
        else:
            def vec(space_all_train, space):
                return space.vectors
        dec = fit_decoder(vec(tr, tr), T_train, epochs=epochs, random_state=random_state)
        rec, mse = {}, {}
        for e in encoders:
            sp = test[e].subset(test_ids)
            if mode == "absolute" and sp.n_dims != tr.n_dims:
                rec[e] = np.full_like(T_test, np.nan)
                mse[e] = float("nan")
                continue
            R = dec.predict(vec(train[e], sp))
            rec[e] = R
            mse[e] = float(((R - T_test) ** 2).mean())
        out_rec[mode], out_mse[mode] = rec, mse
    return ReconstructionResult(
        decoder=decoder,
        encoders=encoders,
        ids=np.asarray(test_ids),
        original=T_test,
        reconstructions=out_rec,
        mse=out_mse,
        params={"n_anchors": len(anchor_ids), "similarity": similarity, "epochs": epochs, "random_state": random_state},
    )
