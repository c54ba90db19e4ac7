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


class _Decoder:
    """Row-standardised input -> MLP -> reconstruction (torch, trained deterministically)."""

    def __init__(self, net, out_sigmoid: bool):
        self.net = net
        self.out_sigmoid = out_sigmoid

    @staticmethod
    def _prep(Z: np.ndarray) -> np.ndarray:
        Z = np.asarray(Z, dtype=np.float32)
        Zc = Z - Z.mean(axis=1, keepdims=True)
        return Zc / (Zc.std(axis=1, keepdims=True) + 1e-6)

    def predict(self, Z: np.ndarray) -> np.ndarray:
        """Z : (n, d) -> reconstructions (n, p), float32."""
        import torch

        with torch.no_grad():
            return self.net(torch.from_numpy(self._prep(Z))).numpy()


def fit_decoder(Z, targets, *, hidden: int = 256, epochs: int = 60, batch_size: int = 128, lr: float = 3e-3,
                random_state: int = 0):
    """Train an MLP decoder from vectors to targets (e.g. pixels).

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

    Returns
    -------
    decoder
        An object with ``predict(Z) -> (n, n_outputs)``.
    """
    import torch
    from torch import nn

    Z = _Decoder._prep(Z)
    T = np.asarray(targets, dtype=np.float32)
    if T.ndim != 2 or T.shape[0] != Z.shape[0]:
        raise InvalidInputError(f"targets must have shape ({Z.shape[0]}, n_outputs); got {T.shape}")
    sigmoid = bool(T.min() >= 0.0 and T.max() <= 1.0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(random_state)
        layers = [nn.Linear(Z.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, T.shape[1])]
        if sigmoid:
            layers.append(nn.Sigmoid())
        net = nn.Sequential(*layers)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(random_state)
        Zt, Tt = torch.from_numpy(Z), torch.from_numpy(T)
        for _ in range(epochs):
            perm = torch.randperm(len(Zt), generator=gen)
            for s in range(0, len(perm), batch_size):
                idx = perm[s : s + batch_size]
                opt.zero_grad()
                loss = ((net(Zt[idx]) - Tt[idx]) ** 2).mean()
                loss.backward()
                opt.step()
        net.eval()
    finally:
        torch.set_num_threads(threads)
    return _Decoder(net, sigmoid)


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
