"""Cross-encoder retrieval, absolute vs relative: the word-embedding table's protocol on our zoos.

relreps's ``experiments/fig:latent-rotation-comparison/quantitative_analysis.ipynb``
(``evaluate_retrieval(k=5)``): every sample of space 1 is looked up among space 2 by
cosine. Jaccard of its top-5 with the top-5 of its partner, MRR@5 of the partner, and the
mean cosine with the partner; the relative spaces use the same anchor ids, picked in
space 1 (uniform, farthest-point or k-means). Published (FastText vs Word2Vec, 20k words,
300 anchors): absolute 0.00 / 0.00 / 0.01; relative FT -> W2V 0.38 / 0.93 / 0.86,
W2V -> FT 0.44 / 0.97 / 0.86.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..methods.anchors import select_anchors
from ..methods.metrics import MRR_K, cross_retrieval
from ..methods.relative import relative_projection
from .section import Headline, Section

__all__ = ["retrieval_section", "retrieval_scores", "PAIRS", "PUBLISHED"]

#: relreps's published rows: (direction, space) -> (jaccard, mrr, cosine).
PUBLISHED = {
    ("FastText -> Word2Vec", "absolute"): (0.00, 0.00, 0.01),
    ("FastText -> Word2Vec", "relative"): (0.38, 0.93, 0.86),
    ("Word2Vec -> FastText", "absolute"): (0.00, 0.00, 0.01),
    ("Word2Vec -> FastText", "relative"): (0.44, 0.97, 0.86),
}

#: Encoder pairs compared in each zoo (both directions): seeds, architectures, a classifier vs an autoencoder.
PAIRS = {
    "digits": [("mlp-s0", "mlp-s1"), ("mlp-s0", "cnn-s0"), ("mlp-wide-s0", "ae-s0")],
    "text": [("lsa-word", "lsa-bigram")],
    "wine": [("mlp-s0", "mlp-s1")],
    "breast_cancer": [("mlp-s0", "mlp-s1")],
}

_METRICS = ("jaccard", "mrr", "cosine")


def retrieval_scores(X, Y, *, k: int = MRR_K) -> dict:
    """Jaccard@k, MRR@k and mean cosine of space X looked up in space Y (relreps's three numbers).

    NaN for all three when the dims differ (absolute spaces of different widths).
    """
    if X.shape[1] != Y.shape[1]:
        return dict.fromkeys(_METRICS, float("nan"))
    return cross_retrieval(X, Y, k=k)


def _pairs_of(dataset: str, zoo) -> list:
    pairs = [p for p in PAIRS.get(dataset, []) if p[0] in zoo.names and p[1] in zoo.names]
    pretrained = [n for n in zoo.names if zoo.entries[n].get("model")]
    others = [n for n in zoo.names if not zoo.entries[n].get("model")]
    pairs += [(p, others[0]) for p in pretrained if others]
    return [d for a, b in pairs for d in ((a, b), (b, a))]


def retrieval_section(zoos: dict, *, n_anchors: int = 300, k: int = MRR_K, seeds=(0, 1, 2),
                      strategies=("random", "fps", "kmeans"), steps=None) -> Section:
    """Absolute vs relative retrieval for the encoder pairs of :data:`PAIRS` (and a pretrained one).

    Parameters
    ----------
    zoos : dict of str to core.spaces.zoo.Zoo
        Dataset name -> zoo; all samples of each are searched.
    n_anchors : int, default=300
        As relreps; at most a third of the samples (smaller zoos).
    k : int, default=5
        relreps's k, for Jaccard and MRR.
    seeds : sequence of int, default=(0, 1, 2)
        Seeds of the uniform anchors (averaged); farthest-point and k-means use the first.
    strategies : sequence of str, default=("random", "fps", "kmeans")
    steps : core.runtime.progress.Steps, optional

    Returns
    -------
    Section
    """
    jobs = [(ds, a, b) for ds, zoo in zoos.items() for a, b in _pairs_of(ds, zoo)]
    rows, done = [], 0
    for ds, zoo in zoos.items():
        spaces = zoo.spaces("all")
        n = len(next(iter(spaces.values())))
        m = min(n_anchors, n // 3)
        anchor_sets = {}  # (source, strategy, seed) -> ids; fps / k-means depend on the source space
        for i, (a, b) in enumerate(_pairs_of(ds, zoo)):
            if steps is not None:
                steps.tick(done, len(jobs))
            done += 1
            X, Y = spaces[a].vectors, spaces[b].vectors
            absolute = retrieval_scores(X, Y, k=k)
            # every anchor choice for the first pair (both directions), uniform anchors for the others
            for strategy in (strategies if i < 2 else strategies[:1]):
                per_seed = []
                for seed in (seeds if strategy == "random" else seeds[:1]):
                    key = ("any" if strategy == "random" else a, strategy, seed)
                    if key not in anchor_sets:
                        anchor_sets[key] = select_anchors(spaces[a], m, strategy=strategy, random_state=seed)
                    ids = anchor_sets[key]
                    RX = relative_projection(X, spaces[a].take(ids))
                    RY = relative_projection(Y, spaces[b].take(ids))
                    per_seed.append(retrieval_scores(RX, RY, k=k))
                rel = {q: float(np.mean([s[q] for s in per_seed])) for q in _METRICS}
                rows.append({"dataset": ds, "direction": f"{a} -> {b}", "anchors": f"{strategy} ({m})",
                             "pretrained": bool(zoo.entries[a].get("model") or zoo.entries[b].get("model")),
                             **{f"abs {q}": absolute[q] for q in _METRICS}, **{f"rel {q}": rel[q] for q in _METRICS}})
    df = pd.DataFrame(rows)
    pub = pd.DataFrame([{"direction": d, "space": s, "jaccard": v[0], "mrr": v[1], "cosine": v[2]}
                        for (d, s), v in PUBLISHED.items()])
    return Section(
        key="retrieval",
        title="2. Retrieval across encoders: absolute vs relative (the word-embedding table)",
        protocol=(f"For each pair of encoders of a zoo, every sample's vector in encoder A is looked up among all "
                  f"samples of encoder B by cosine: Jaccard of its top-{k} with its partner's top-{k} in B, MRR@{k} "
                  f"of its partner (0 outside the top {k}; ties to the earlier sample) and the mean cosine with its "
                  f"partner. Relative spaces: cosine to the same anchor ids, picked in A (uniform, averaged over seeds {list(seeds)}; for the first pair of each zoo "
                  f"also {', '.join(strategies[1:])}). Absolute metrics need equal dims (n/a "
                  f"otherwise)."),
        published=("relreps, quantitative_analysis.ipynb (FastText vs Word2Vec, 20,000 words, 300 anchors, k = 5): "
                   "absolute Jaccard / MRR / cosine 0.00 / 0.00 / 0.01; relative 0.38 / 0.93 / 0.86 (FT -> W2V) and "
                   "0.44 / 0.97 / 0.86 (W2V -> FT)."),
        tables=[("Ours: absolute (abs) and relative (rel) retrieval, per direction and anchor choice", df),
                ("Published (relreps)", pub)],
        figures=[("MRR@5 and Jaccard@5, uniform anchors: absolute (grey) vs relative (blue)", _figure(df, k))],
        headlines=_headlines(df),
        notes=[f"Anchors: {n_anchors} where the zoo has 900+ samples, else a third of its samples "
               f"(wine {min(n_anchors, 178 // 3)}, text {min(n_anchors, 300 // 3)}).",
               "Our zoos are small classifiers and autoencoders of one dataset, whose samples cluster by class: "
               "many near-duplicates compete with the true partner, so MRR is lower than for 20,000 distinct words."],
    )


def _headlines(df: pd.DataFrame) -> list:
    out = []
    row = df[(df["direction"] == "mlp-s0 -> cnn-s0") & df["anchors"].str.startswith("random")]
    if len(row):
        r = row.iloc[0]
        fmt = "{:.2f} / {:.2f} / {:.2f}"
        out.append(Headline("Retrieval Jaccard / MRR@5 / cosine, digits mlp-s0 -> cnn-s0, absolute",
                            fmt.format(r["abs jaccard"], r["abs mrr"], r["abs cosine"]), "0.00 / 0.00 / 0.01 (FT -> W2V)"))
        out.append(Headline("Retrieval Jaccard / MRR@5 / cosine, digits mlp-s0 -> cnn-s0, relative",
                            fmt.format(r["rel jaccard"], r["rel mrr"], r["rel cosine"]), "0.38 / 0.93 / 0.86 (FT -> W2V)"))
    return out


def _figure(df: pd.DataFrame, k: int) -> go.Figure:
    d = df[df["anchors"].str.startswith("random")]
    labels = [f"{ds}: {dr}" for ds, dr in zip(d["dataset"], d["direction"])]
    labels = ["words: FastText -> Word2Vec (published)"] + labels
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"MRR@{k}", f"Jaccard@{k}"), horizontal_spacing=0.08)
    for col, q in ((1, "mrr"), (2, "jaccard")):
        pub_abs = PUBLISHED[("FastText -> Word2Vec", "absolute")][1 if q == "mrr" else 0]
        pub_rel = PUBLISHED[("FastText -> Word2Vec", "relative")][1 if q == "mrr" else 0]
        fig.add_bar(y=labels, x=[pub_abs] + d[f"abs {q}"].fillna(0).tolist(), orientation="h", name="absolute",
                    marker_color="#9a9a9a", showlegend=col == 1, row=1, col=col)
        fig.add_bar(y=labels, x=[pub_rel] + d[f"rel {q}"].tolist(), orientation="h", name="relative",
                    marker_color="#1f77b4", showlegend=col == 1, row=1, col=col)
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(autorange="reversed")
    fig.update_yaxes(showticklabels=False, row=1, col=2)
    fig.update_layout(barmode="group", height=110 + 44 * len(labels), margin=dict(l=10, r=10, t=50, b=30),
                      legend=dict(orientation="h", y=1.08, x=0.5, xanchor="center"))
    return fig
