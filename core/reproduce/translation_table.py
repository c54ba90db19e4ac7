"""Latent space translation vs relative stitching (Maiorca et al., NeurIPS 2023).

Their table (SVM head): no-stitch / absolute / relative / ortho. CIFAR-10 .95 / .16 / .80 /
.93, MNIST .96 / .15 / .50 / .91, TREC .87 / .20 / .36 / .79. Ortho is our
:class:`core.methods.translation.LatentTranslation` with its default, the paper's recipe.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .section import Headline, Section

__all__ = ["translation_section", "PUBLISHED"]

#: dataset -> (no-stitch, absolute, relative, ortho).
PUBLISHED = {"CIFAR-10": (0.95, 0.16, 0.80, 0.93), "MNIST": (0.96, 0.15, 0.50, 0.91), "TREC": (0.87, 0.20, 0.36, 0.79)}

_COLUMNS = ("no-stitch", "absolute", "relative", "ortho")


def _row(runs) -> dict:
    def stitched(mode):
        vals = []
        for r in runs:
            M = r.scores[mode]
            off = ~np.eye(len(M), dtype=bool)
            vals.append(np.nanmean(M[off]) if np.isfinite(M[off]).any() else np.nan)
        return float(np.nanmean(vals)) if np.isfinite(vals).any() else np.nan

    return {"no-stitch": float(np.mean([r.non_stitched_mean("absolute") for r in runs])),
            "absolute": stitched("absolute"), "relative": stitched("relative"), "ortho": stitched("translated"),
            "n anchors": runs[0].n_anchors}


def translation_section(results: dict, zoos: dict) -> Section:
    """The translation table from the stitching runs of :func:`core.reproduce.stitching_table.stitching_results`.

    Parameters
    ----------
    results : dict of str to list of StitchingResult
    zoos : dict of str to core.spaces.zoo.Zoo
        The same zoos (their encoders' dims).
    """
    df = pd.DataFrame([{"dataset": ds, **_row(runs),
                        "max dims": max(s.n_dims for s in zoos[ds].spaces("train").values())}
                       for ds, runs in results.items()])
    pub = pd.DataFrame([{"dataset": d, **dict(zip(_COLUMNS, v))} for d, v in PUBLISHED.items()])
    fig = go.Figure()
    labels = [f"{d} (published)" for d in pub["dataset"]] + list(df["dataset"])
    colors = {"no-stitch": "#2ca02c", "absolute": "#9a9a9a", "relative": "#1f77b4", "ortho": "#ff7f0e"}
    for c in _COLUMNS:
        fig.add_bar(x=labels, y=list(pub[c]) + list(df[c].fillna(0)), name=c, marker_color=colors[c])
    fig.update_layout(barmode="group", yaxis=dict(title="accuracy", range=[0, 1]), height=380,
                      legend=dict(orientation="h", y=1.1), margin=dict(t=40, b=60))
    heads = []
    dig = df[df["dataset"] == "digits"]
    if len(dig):
        r = dig.iloc[0]
        heads = [Headline("Translation vs relative, digits: stitched accuracy relative / ortho",
                          f"{r['relative']:.2f} / {r['ortho']:.2f}", "0.50 / 0.91 (MNIST)")]
    small = df[df["n anchors"] < df["max dims"]]
    return Section(
        key="translation",
        title="4. Latent space translation vs relative representations",
        protocol=("The same runs as section 3. no-stitch: each encoder's absolute head on its own space; absolute: "
                  "fed another encoder's raw vectors (equal dims only); relative: the relative heads, stitched; "
                  "ortho: another encoder's vectors translated into the head's space by an orthogonal map fitted "
                  "on the anchors (per-feature standard scaling on the anchors, zero-padding, R = U V^T, "
                  "de-standardised with the target's statistics), fed to the ORIGINAL absolute head. Mean over "
                  "the stitched (off-diagonal) pairs and the anchor seeds."),
        published=("Maiorca et al. (NeurIPS 2023), SVM head: CIFAR-10 .95 / .16 / .80 / .93, MNIST .96 / .15 / .50 / "
                   ".91, TREC .87 / .20 / .36 / .79 (no-stitch / absolute / relative / ortho)."),
        tables=[("Ours: accuracy", df), ("Published (Maiorca et al.)", pub)],
        figures=[("Stitched accuracy: published datasets first, then our zoos", fig)],
        headlines=heads,
        notes=["Our heads are ridge classifiers, theirs SVMs. The paper advises at least as many anchors as "
               "dimensions" + (f"; {', '.join(small['dataset'])}: fewer anchors than the widest encoder's dims (a zoo of "
                               f"few samples), so the translation is under-determined there" if len(small) else "") + "."],
    )
