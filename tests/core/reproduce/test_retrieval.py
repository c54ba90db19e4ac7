import numpy as np

from core.methods.relative import relative_projection
from core.reproduce.retrieval import retrieval_scores, retrieval_section


def _mrr5(X, Y):
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    Yn = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    S = Xn @ Yn.T
    out = []
    for i in range(len(X)):
        top = sorted(range(len(Y)), key=lambda j: (-S[i, j], j))[:5]
        out.append(1 / (top.index(i) + 1) if i in top else 0.0)
    return np.mean(out)


def test_relative_retrieval_beats_absolute_and_matches_a_direct_computation(small_zoos):
    s = retrieval_section(small_zoos, seeds=(0,), strategies=("random",))
    df = s.tables[0][1]
    assert set(df["dataset"]) == {"wine", "text"}
    same_dims = df["abs mrr"].notna()  # absolute retrieval needs equal dims
    assert same_dims.any() and df.loc[~same_dims, "abs cosine"].isna().all()
    assert (df.loc[same_dims, "rel mrr"] > df.loc[same_dims, "abs mrr"]).all()
    assert (df.loc[same_dims, "rel cosine"] > df.loc[same_dims, "abs cosine"]).all()
    # one row by hand: text lsa-word -> lsa-bigram, uniform anchors (seed 0) from all samples
    from core.methods.anchors import select_anchors

    sp = small_zoos["text"].spaces("all")
    row = df[(df["direction"] == "lsa-word -> lsa-bigram")].iloc[0]
    k = int(row["anchors"].split("(")[1].rstrip(")"))
    ids = select_anchors(sp["lsa-word"], k, strategy="random", random_state=0)
    RX = relative_projection(sp["lsa-word"].vectors, sp["lsa-word"].take(ids))
    RY = relative_projection(sp["lsa-bigram"].vectors, sp["lsa-bigram"].take(ids))
    assert row["anchors"] == f"random ({k})"
    assert abs(row["rel mrr"] - _mrr5(RX, RY)) < 1e-12
    assert abs(row["abs mrr"] - _mrr5(sp["lsa-word"].vectors.astype(float), sp["lsa-bigram"].vectors.astype(float))) < 1e-12


def test_scores_are_nan_across_dims():
    out = retrieval_scores(np.ones((6, 3)), np.ones((6, 4)))
    assert all(np.isnan(v) for v in out.values())
