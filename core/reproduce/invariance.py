"""The invariance table: which transforms of a space leave its relative representation unchanged.

latentis tests an (similarity, transform, expected invariant?) table, e.g. cosine x random
orthogonal -> True, cosine x translation -> False but True with centring; Cannistraci et
al. (ICLR 2024) note that L1, L-inf and euclidean are not scale invariant. Here every cell
is measured on a zoo space and checked against the expectation from the formulas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..methods.relative import relative_projection
from ..methods.similarities import SIMILARITIES
from ..methods.transforms import transform_space
from .section import Headline, Section

__all__ = ["invariance_section", "invariance_table", "EXPECTED", "TRANSFORMS"]

#: Transforms of the table: (kind, strength) for :func:`core.methods.transforms.transform_space`.
TRANSFORMS = {"orthogonal": ("random_orthogonal", 1.0), "permutation": ("permutation", 1.0),
              "isotropic scale x3": ("isotropic_scale", 3.0), "translation": ("translation", 1.0),
              "anisotropic scale": ("anisotropic_scale", 5.0)}

_ROTATION_FREE = {"cosine", "angular", "euclidean"}  # invariant to any orthogonal map
_SCALE_FREE = {"cosine", "angular", "product"}  # product: each block z-scored on the anchors
_SHIFT_FREE = {"euclidean", "l1", "linf"}  # differences only


def expected(similarity: str, center: str | None, transform: str) -> bool:
    """Whether the formulas say ``similarity`` (with ``center``) is invariant to ``transform``."""
    if transform == "permutation":
        return True  # every similarity is a symmetric function of the coordinates
    if transform == "orthogonal":
        return similarity in _ROTATION_FREE
    if transform.startswith("isotropic"):
        return similarity in _SCALE_FREE
    if transform == "translation":
        return similarity in _SHIFT_FREE or center == "anchors"
    return False  # anisotropic scaling changes angles and distances alike


#: (similarity, center, transform) -> expected invariant?
EXPECTED = {(s, c, t): expected(s, c, t) for s in SIMILARITIES for c in (None, "anchors") for t in TRANSFORMS}


def invariance_table(X: np.ndarray, anchor_rows, *, tol: float = 1e-6, random_state: int = 0) -> pd.DataFrame:
    """Measured change of the relative vectors under each transform, for every similarity.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_dims)
    anchor_rows : array-like of int
        Rows of X used as anchors (the same rows after the transform).
    tol : float, default=1e-6
        ``max |R - R'| / max |R|`` below this counts as invariant.
    random_state : int, default=0

    Returns
    -------
    pandas.DataFrame
        One row per (similarity, center, transform): ``change``, ``invariant``, ``expected``, ``agrees``.
    """
    X = np.asarray(X, dtype=np.float64)
    rows = []
    moved = {t: transform_space(X, kind=k, strength=s, random_state=random_state) for t, (k, s) in TRANSFORMS.items()}
    for sim in SIMILARITIES:
        for center in (None, "anchors"):
            R = relative_projection(X, X[anchor_rows], similarity=sim, center=center)
            for t, Y in moved.items():
                R2 = relative_projection(Y, Y[anchor_rows], similarity=sim, center=center)
                change = float(np.abs(R - R2).max() / np.abs(R).max())
                exp = EXPECTED[(sim, center, t)]
                rows.append({"similarity": sim, "center": center or "none", "transform": t, "change": change,
                             "invariant": change < tol, "expected": exp, "agrees": (change < tol) == exp})
    return pd.DataFrame(rows)


def invariance_section(space, *, n_anchors: int = 100, random_state: int = 0) -> Section:
    """The table on one zoo space (float64), with a heatmap of the measured changes.

    Parameters
    ----------
    space : core.spaces.latent_space.LatentSpace
    n_anchors : int, default=100
    random_state : int, default=0
    """
    rng = np.random.default_rng(random_state)
    anchors = rng.choice(len(space), n_anchors, replace=False)
    df = invariance_table(space.vectors, anchors, random_state=random_state)
    wide = df.assign(cell=np.where(df["invariant"], "yes", "no") + np.where(df["agrees"], "", " (unexpected!)"))
    wide = wide.pivot_table(index=["similarity", "center"], columns="transform", values="cell", aggfunc="first",
                            sort=False)[list(TRANSFORMS)]
    change = df.pivot_table(index=["similarity", "center"], columns="transform", values="change", sort=False)[
        list(TRANSFORMS)]
    labels = [f"{s}" + (" (centred)" if c == "anchors" else "") for s, c in change.index]
    values = change.to_numpy()
    agrees = df.pivot_table(index=["similarity", "center"], columns="transform", values="agrees", sort=False)[
        list(TRANSFORMS)].to_numpy().astype(bool)
    z = np.where(values < 1e-6, 0.0, 1.0)
    text = [["invariant" if v < 1e-6 else f"{v:.2g}" for v in row] for row in values]
    text = [[t if ok else f"{t} (unexpected!)" for t, ok in zip(trow, arow)] for trow, arow in zip(text, agrees)]
    fig = go.Figure(go.Heatmap(z=z, x=list(TRANSFORMS), y=labels, text=text, texttemplate="%{text}", zmin=0, zmax=1,
                               colorscale=[[0, "#8fd18f"], [0.5, "#8fd18f"], [0.5, "#f29c9c"], [1, "#f29c9c"]],
                               showscale=False, xgap=2, ygap=2,
                               hovertemplate="%{y} under %{x}: %{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top")
    fig.update_layout(height=120 + 30 * len(labels), margin=dict(t=40, b=20, l=150, r=20))
    n_ok, n = int(df["agrees"].sum()), len(df)
    return Section(
        key="invariance",
        title="6. The invariance table",
        protocol=(f"Space {space.name} ({len(space)} x {space.n_dims}, float64), {n_anchors} random anchor rows. Each "
                  f"transform is applied to the whole space, anchors included; the relative vectors are recomputed "
                  f"and compared: change = max |R - R'| / max |R|, invariant when below 1e-6. Expected = what the "
                  f"formulas imply (cosine and angular ignore orthogonal maps and isotropic scale; euclidean, L1 "
                  f"and L-inf ignore translations, euclidean also orthogonal maps; product z-scores each block on "
                  f"the anchors, which removes isotropic scale; centring on the anchors removes translations)."),
        published=("latentis's invariance tests: cosine x orthogonal -> invariant; cosine x translation -> not, but "
                   "invariant with centring. Cannistraci et al. (ICLR 2024): L1, L-inf and euclidean are not scale "
                   "invariant."),
        tables=[("Invariant? (measured; 'unexpected!' marks a disagreement with the formulas)", wide),
                ("Measured change max |R - R'| / max |R|", change)],
        figures=[("Green: the relative vectors did not change (to 1e-6); red: max |R - R'| / max |R|", fig)],
        headlines=[Headline("Invariance table: cells agreeing with the formulas", f"{n_ok} / {n}",
                            "all agree (incl. latentis's cosine rows)")],
    )
