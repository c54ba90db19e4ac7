"""Zero-shot stitching over seeds and architectures: absolute vs relative heads.

Moschella et al. (ICLR 2023), text stitching in the relreps repository (weighted F1 x 100):
TREC absolute 91.4 non-stitched / 21.5 stitched, relative 87.2 / 74.5; DBpedia absolute
98.6 / 7.0, relative 97.5 / 80.8. :func:`stitching_results` also feeds the translation
section (:mod:`core.reproduce.translation_table`).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..methods.anchors import select_anchors
from ..methods.stitching import MODES, stitching_matrix
from ..spaces.datasets import load_dataset
from .section import Headline, Section

__all__ = ["stitching_results", "stitching_section", "pair_group", "PUBLISHED"]

#: (dataset, row) -> (non-stitched, stitched), weighted F1 x 100.
PUBLISHED = {
    ("TREC", "absolute"): (91.4, 21.5), ("TREC", "relative"): (87.2, 74.5),
    ("DBpedia", "absolute"): (98.6, 7.0), ("DBpedia", "relative"): (97.5, 80.8),
}


def pair_group(zoo, a: str, b: str) -> str:
    """How encoders ``a`` and ``b`` differ: ``"seeds"`` (same architecture and size, another
    seed), ``"architectures"``, or ``"pretrained"`` (one of them is a pretrained model)."""
    if zoo.entries[a].get("model") or zoo.entries[b].get("model"):
        return "pretrained"
    family = lambda n: re.sub(r"-s\d+$", "", n)  # noqa: E731  (mlp-s0 / mlp-s1: one family)
    return "seeds" if family(a) == family(b) else "architectures"


def stitching_results(zoos: dict, *, n_anchors: int = 300, seeds=(0, 1, 2), steps=None) -> dict:
    """:func:`core.methods.stitching.stitching_matrix` (absolute, relative, translated) per zoo and seed.

    Parameters
    ----------
    zoos : dict of str to core.spaces.zoo.Zoo
    n_anchors : int, default=300
        Uniform anchors from the train split; at most half of it (smaller zoos).
    seeds : sequence of int, default=(0, 1, 2)
        Anchor seeds.
    steps : core.runtime.progress.Steps, optional

    Returns
    -------
    dict of str to list of StitchingResult
    """
    out, total, done = {}, len(zoos) * len(seeds), 0
    for ds, zoo in zoos.items():
        train, test = zoo.spaces("train"), zoo.spaces("test")
        first = next(iter(train.values()))
        m = min(n_anchors, len(first) // 2)
        out[ds] = []
        for seed in seeds:
            base = done
            tick = (lambda d, t, what: steps.tick(round(base + d / t, 1), total)) if steps is not None else None
            done += 1
            ids = select_anchors(first, m, strategy="random", random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # fewer anchors than dims (text): noted in the report
                out[ds].append(stitching_matrix(train, test, ids, modes=MODES, progress=tick))
    return out


def _group_means(res, zoo, mode: str) -> dict:
    """Mean accuracy of the diagonal and of the stitched pairs of each group, one result."""
    M = res.scores[mode]
    names = res.encoders
    out = {"non-stitched": float(np.nanmean(np.diag(M)))}
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if i != j and not np.isnan(M[i, j]):
                out.setdefault(pair_group(zoo, a, b), []).append(M[i, j])
    return {g: (float(np.mean(v)) if isinstance(v, list) else v) for g, v in out.items()}


def summary_table(results: dict, zoos: dict) -> pd.DataFrame:
    """One row per (dataset, pair group): mean and sd over seeds of each mode, non-stitched and stitched."""
    rows = []
    for ds, runs in results.items():
        per = {mode: [_group_means(r, zoos[ds], mode) for r in runs] for mode in MODES}
        groups = [g for g in ("seeds", "architectures", "pretrained") if any(g in p for p in per["relative"])]
        for g in groups:
            row = {"dataset": ds, "pairs": f"across {g}" if g != "pretrained" else "pretrained <-> zoo",
                   "n pairs": sum(pair_group(zoos[ds], a, b) == g for a in runs[0].encoders for b in runs[0].encoders
                                  if a != b)}
            for mode in MODES:
                ns = [p["non-stitched"] for p in per[mode]]
                st = [p.get(g, np.nan) for p in per[mode]]
                row[f"{mode} non-stitched"] = 100 * float(np.mean(ns))
                row[f"{mode} stitched"] = 100 * float(np.mean(st)) if not np.all(np.isnan(st)) else np.nan
                row[f"{mode} stitched sd"] = 100 * float(np.std(st)) if not np.all(np.isnan(st)) else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def stitching_section(results: dict, zoos: dict) -> Section:
    """The stitching table: accuracy x 100 of each encoder's head on its own space and on the others'."""
    df = summary_table(results, zoos)
    cols = ["dataset", "pairs", "n pairs", "absolute non-stitched", "absolute stitched", "relative non-stitched",
            "relative stitched", "relative stitched sd"]
    pub = pd.DataFrame([{"dataset": d, "space": s, "non-stitched": v[0], "stitched": v[1]}
                        for (d, s), v in PUBLISHED.items()])
    seeds = len(next(iter(results.values())))
    heads = []
    dig = df[(df["dataset"] == "digits") & (df["pairs"] == "across architectures")]
    if len(dig):
        r = dig.iloc[0]
        heads = [Headline("Stitching, digits across architectures: absolute stitched accuracy (%)",
                          f"{r['absolute stitched']:.1f}", "21.5 (TREC, weighted F1)"),
                 Headline("Stitching, digits across architectures: relative stitched accuracy (%)",
                          f"{r['relative stitched']:.1f}", "74.5 (TREC, weighted F1)")]
    return Section(
        key="stitching",
        title="3. Zero-shot stitching over seeds and architectures",
        protocol=(f"Each encoder's head (ridge classifier) is trained on its own train split, absolute or relative "
                  f"(cosine to uniform anchors of the train split), then fed every other encoder's test split: "
                  f"non-stitched = its own encoder, stitched = another one. Test accuracy x 100, mean over "
                  f"{seeds} anchor seeds and over the pairs of a group (same architecture with another seed, or "
                  f"another architecture); sd = spread over the seeds. Absolute stitching needs equal dims."),
        published=("Moschella et al. (ICLR 2023), relreps text stitching (weighted F1 x 100): TREC absolute 91.4 / "
                   "21.5, relative 87.2 / 74.5; DBpedia absolute 98.6 / 7.0, relative 97.5 / 80.8 "
                   "(non-stitched / stitched)."),
        tables=[("Ours: accuracy x 100", df[cols]), ("Published (relreps, text)", pub)],
        figures=[("Digits: accuracy of each row's head fed each column's encoder (mean over seeds)",
                  _heatmaps(results.get("digits") or next(iter(results.values()))))],
        headlines=heads,
        notes=["Our heads are ridge classifiers on row-standardised vectors (core.methods.heads), not the paper's "
               f"trained MLP decoders; our zoos are small ({_train_sizes(results)} for training)."],
    )


def _train_sizes(results) -> str:
    """How many training samples each zoo has, e.g. "1,437 digits, 142 wine"."""
    return ", ".join(f"{len(load_dataset(d).part('train')[0]):,} {d.replace('_', ' ')}" for d in results)


def _heatmaps(runs) -> go.Figure:
    names = runs[0].encoders
    fig = make_subplots(rows=1, cols=2, subplot_titles=("absolute", "relative"), horizontal_spacing=0.14)
    for col, mode in ((1, "absolute"), (2, "relative")):
        M = np.mean([r.scores[mode] for r in runs], axis=0)
        text = [["n/a" if np.isnan(v) else f"{100 * v:.0f}" for v in row] for row in M]
        fig.add_heatmap(z=M, x=names, y=names, zmin=0, zmax=1, colorscale="Viridis", text=text,
                        texttemplate="%{text}", showscale=col == 2, colorbar=dict(title="accuracy"),
                        hovertemplate="head %{y} fed %{x}: %{z:.3f}<extra></extra>", row=1, col=col)
    fig.update_yaxes(autorange="reversed", title_text="head trained on", row=1, col=1)
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    fig.update_xaxes(title_text="encoder fed to it", tickangle=-45)
    fig.update_layout(height=470, margin=dict(t=40, b=110, l=100, r=20))
    return fig
