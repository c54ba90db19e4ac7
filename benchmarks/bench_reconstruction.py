"""Reconstruction stitching decoders: ours (numpy Adam, sigmoid output) against torch and scikit-learn.

The digits autoencoders: a decoder trained on ae-s0's absolute or relative (100 random
anchors) train vectors reconstructs the test pixels from ae-s0 (own) and ae-s1
(stitched). Compared in the same run, on the same inputs and seeds:

- ours: ``core.methods.reconstruction.fit_decoder``;
- torch: the same network and optimiser in torch (the decoder before the core install
  dropped torch; skipped when torch is not installed);
- scikit-learn: ``MLPRegressor`` with the same hidden layer, Adam, learning rate, batch
  size and epochs (identity output, clipped to [0, 1]: it has no sigmoid output).

Printed: test MSE (mean over seeds, min-max), training time per decoder (one BLAS thread),
and ratios to torch.

    python benchmarks/bench_reconstruction.py [--seeds 5]
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's core, not an installed one

from core.methods.reconstruction import _prep, fit_decoder  # noqa: E402


def fit_torch(Z, T, *, hidden=256, epochs=60, batch_size=128, lr=3e-3, random_state=0):
    import torch
    from torch import nn

    Z, T = _prep(Z), np.asarray(T, np.float32)
    torch.set_num_threads(1)
    torch.manual_seed(random_state)
    net = nn.Sequential(nn.Linear(Z.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, T.shape[1]), nn.Sigmoid())
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(random_state)
    Zt, Tt = torch.from_numpy(Z), torch.from_numpy(T)
    for _ in range(epochs):
        perm = torch.randperm(len(Zt), generator=gen)
        for s in range(0, len(perm), batch_size):
            idx = perm[s : s + batch_size]
            opt.zero_grad()
            ((net(Zt[idx]) - Tt[idx]) ** 2).mean().backward()
            opt.step()

    def predict(Zq):
        with torch.no_grad():
            return net(torch.from_numpy(_prep(Zq))).numpy()
    return predict


def fit_sklearn(Z, T, *, hidden=256, epochs=60, batch_size=128, lr=3e-3, random_state=0):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    reg = MLPRegressor(hidden_layer_sizes=(hidden,), activation="relu", solver="adam", alpha=0.0, batch_size=batch_size,
                       learning_rate_init=lr, max_iter=epochs, shuffle=True, random_state=random_state, tol=0.0,
                       n_iter_no_change=epochs + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(_prep(Z), np.asarray(T, np.float32))
    return lambda Zq: np.clip(reg.predict(_prep(Zq)), 0, 1)


def fit_ours(Z, T, *, random_state=0):
    return fit_decoder(Z, T, random_state=random_state).predict


def main():
    import threadpoolctl

    from core.methods.anchors import select_anchors
    from core.methods.relative import relative_projection
    from core.spaces.zoo import Zoo

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    z = Zoo("digits")
    tr, te = z.spaces("train"), z.spaces("test")
    pix = dict(zip(z.data.ids, z.data.X.astype(np.float32)))
    ids = te["ae-s0"].ids
    T_tr, T_te = np.stack([pix[i] for i in tr["ae-s0"].ids]), np.stack([pix[i] for i in ids])
    anchors = list(select_anchors(tr["ae-s0"], 100, random_state=0))
    fits = {"ours (numpy)": fit_ours, "scikit-learn": fit_sklearn}
    try:
        import torch  # noqa: F401

        fits = {"torch": fit_torch, **fits}
    except ImportError:
        print("torch is not installed: no torch baseline")

    def vec(mode, space, ref):
        return space.vectors if mode == "absolute" else relative_projection(space.vectors, ref.take(anchors))

    mse, secs = {}, {}
    for seed in range(args.seeds):  # interleaved, so a busy moment hits every decoder
        for label, fit in fits.items():
            for mode in ("absolute", "relative"):
                with threadpoolctl.threadpool_limits(1):
                    t0 = time.perf_counter()
                    predict = fit(vec(mode, tr["ae-s0"], tr["ae-s0"]), T_tr, random_state=seed)
                    secs.setdefault(label, []).append(time.perf_counter() - t0)
                for e in ("ae-s0", "ae-s1"):
                    R = predict(vec(mode, te[e].subset(ids), tr[e]))
                    mse.setdefault((label, mode, e), []).append(float(((R - T_te) ** 2).mean()))
    print(f"digits, decoder trained on ae-s0, {args.seeds} seeds; test MSE per pixel, mean (min-max)")
    for label in fits:
        cells = []
        for mode in ("absolute", "relative"):
            for e, what in (("ae-s0", "own"), ("ae-s1", "stitched")):
                v = mse[(label, mode, e)]
                cells.append(f"{mode} {what} {np.mean(v):.4f} ({min(v):.4f}-{max(v):.4f})")
        print(f"{label:13s} " + "; ".join(cells) + f"; train {np.median(secs[label]):.2f} s per decoder (median)")
    if "torch" in fits:
        for label in fits:
            if label != "torch":
                r = np.mean(mse[(label, "relative", "ae-s1")]) / np.mean(mse[("torch", "relative", "ae-s1")])
                t = np.median(secs[label]) / np.median(secs["torch"])
                print(f"{label} / torch: relative stitched MSE {r:.2f}x, training time {t:.2f}x")


if __name__ == "__main__":
    main()
