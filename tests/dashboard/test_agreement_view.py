"""Per-sample agreement in the dashboard: Explore's colour-by entries, the cached loader, the distributions."""

import numpy as np
import pytest

from core.methods.agreement import sample_agreement
from dashboard import agreement_view, controls
from tests.dashboard.apphelp import anchors_of, legend, maps, no_errors, on_upload, plotly_array, start

PCA = {"method": "pca"}


def colours_by_id(spec) -> dict:
    """id -> colour value of a continuous map (its first trace holds every finite value)."""
    t = spec["data"][0]
    ids = plotly_array(t["customdata"]).reshape(-1)
    return dict(zip(ids.tolist(), plotly_array(t["marker"]["color"]).astype(float).tolist()))


def test_every_dataset_offers_the_agreement_entries(digits):
    choices = controls.color_choices(digits)
    assert list(agreement_view.COLOR_CHOICES) == choices[-4:]
    assert [agreement_view.MEASURES[c][0] for c in agreement_view.COLOR_CHOICES] == [
        "relative_cosine", "relative_overlap", "absolute_overlap", "absolute_cosine"]


@pytest.mark.parametrize("color_by", agreement_view.COLOR_CHOICES)
def test_explore_colours_every_map_by_the_agreement_of_each_sample(digits, color_by):
    at = start(color_by=color_by, **PCA)
    no_errors(at)
    anchors = list(anchors_of(at))
    want = sample_agreement(digits.spaces["mlp-s0"], digits.spaces["mlp-s1"], anchors, k=agreement_view.MAP_K)
    column, title, (lo, hi) = agreement_view.MEASURES[color_by]
    drawn = maps(at)
    assert len(drawn) == 4
    for m in drawn:  # all four maps show the same per-sample values, on the same fixed scale, with a colour bar
        marker = m["fig"]["data"][0]["marker"]
        assert marker["colorbar"]["title"]["text"] == title
        assert (marker["cmin"], marker["cmax"]) == (lo, hi)
        got = colours_by_id(m["fig"])
        assert len(got) == digits.n_samples
        np.testing.assert_allclose([got[i] for i in want.index], want[column].to_numpy(), atol=1e-9)
    lg = legend(at)  # the shared legend names the measure and draws its fixed scale once
    assert lg["title"] == title
    assert [(s["title"], s["lo"], s["hi"]) for s in lg["scales"]] == [(title, f"{lo:.3g}", f"{hi:.3g}")]


def test_the_contrast_relative_high_absolute_near_zero(digits):
    at = start(color_by="agreement: relative cosine", **PCA)
    rel = np.array(list(colours_by_id(maps(at)[0]["fig"]).values()))
    at.selectbox(key="color_by").set_value("agreement: absolute cosine").run()
    no_errors(at)
    absolute = np.array(list(colours_by_id(maps(at)[0]["fig"]).values()))
    assert np.median(rel) > 0.9 and abs(np.median(absolute)) < 0.1


def test_absolute_cosine_says_why_when_dims_differ():
    at = start(color_by="agreement: absolute cosine", enc_b="ae-s0", **PCA)
    no_errors(at)
    spec = maps(at)[0]["fig"]
    names = [t.get("name", "") for t in spec["data"]]
    assert any("n/a: dims differ (64 vs 32)" in n for n in names), names
    assert "n/a: dims differ (64 vs 32)" in legend(at)["title"]


def test_text_dataset_colours_by_overlap():
    at = start(source="text", color_by="agreement: neighbours@10, relative", **PCA)
    no_errors(at)
    vals = np.array(list(colours_by_id(maps(at)[0]["fig"]).values()))
    assert len(vals) == 1500 and set(np.round(vals * 10, 9)) <= set(range(11))  # multiples of 1/10


def test_distribution_figure_counts_every_sample(digits):
    df = sample_agreement(digits.spaces["mlp-s0"], digits.spaces["mlp-wide-s0"], list(range(0, 400, 4)), k=10)
    fig = agreement_view.distribution_figure(df, k=10)
    names = [t.name for t in fig.data]
    # absolute cosine is all NaN (64 vs 32 dims): three histograms, each of every sample
    assert names == ["relative", "relative", "absolute"]
    assert [t.showlegend for t in fig.data] == [True, False, True]  # one legend entry per kind
    assert all(len(t.x) == digits.n_samples for t in fig.data)
    np.testing.assert_allclose(np.sort(fig.data[0].x), np.sort(df["relative_cosine"]))
    # room above the tallest bar of each panel (plotly's own range ends at its top)
    for axis, panel in (("yaxis", 0), ("yaxis2", 1)):
        tallest = max(np.histogram(t.x, bins=np.arange(t.xbins.start, t.xbins.end + t.xbins.size / 2, t.xbins.size))[0].max()
                      for t in fig.data if t.xaxis == ("x" if panel == 0 else "x2"))
        lo, hi = fig.layout[axis].range
        assert lo == 0 and 1.05 * tallest <= hi <= 1.15 * tallest


def test_least_agreeing_is_lowest_first_ties_in_order():
    import pandas as pd

    df = pd.DataFrame({"relative_cosine": [0.5, 0.1, 0.9, 0.1, 0.3]}, index=[10, 11, 12, 13, 14])
    assert agreement_view.least_agreeing(df, "relative_cosine", 3).index.tolist() == [11, 13, 14]


def test_the_first_paint_snapshot_uses_the_fixed_scale():
    from dashboard import figures, snapshot

    values = np.array([0.0, 0.5, 1.0])
    fixed = figures.Coloring("cos", values, continuous=True, vrange=(-1.0, 1.0))
    own = figures.Coloring("cos", values, continuous=True)
    rgb_fixed = snapshot._point_colors(fixed, 3)[0]
    rgb_own = snapshot._point_colors(own, 3)[0]
    assert rgb_fixed[2].tolist() == rgb_own[2].tolist()  # 1.0 is the top of both scales
    assert rgb_fixed[0].tolist() == rgb_own[1].tolist()  # 0.0 is the middle of [-1, 1]


def test_a_dead_encoder_leaves_the_maps_grey_with_the_reason(unlabelled_source, monkeypatch):
    from core.errors import InvalidInputError
    from dashboard import loaders

    def dead(*a, **k):
        raise InvalidInputError("rows [0, 1] of X are all zero: their cosine neighbours are undefined; drop those samples")

    monkeypatch.setattr(loaders, "agreement", dead)
    at = start(color_by="agreement: relative cosine", **on_upload(unlabelled_source), **PCA)
    no_errors(at)
    assert len(maps(at)) == 4
    assert "n/a, rows [0, 1] of X are all zero" in legend(at)["title"]


def test_the_agreement_colours_are_the_direct_numpy_computation(digits):
    """The four maps' colours, computed here from the encoders' vectors with plain numpy (no core helper)."""
    at = start(color_by="agreement: relative cosine", **PCA)
    anchors = list(anchors_of(at))
    A, B = digits.spaces["mlp-s0"], digits.spaces["mlp-s1"]
    ids = np.asarray(A.ids).tolist()
    assert np.asarray(B.ids).tolist() == ids
    at_anchor = [ids.index(a) for a in anchors]

    def unit(M):
        M = np.asarray(M, dtype=float)
        return M / np.linalg.norm(M, axis=1, keepdims=True)

    def overlap(X, Y, k):
        """Share of common k nearest neighbours; NaN where the k-th and (k+1)-th are a near tie (1e-6) in either
        space, which float32 and float64 may order differently."""
        def knn(M):
            S = unit(M) @ unit(M).T
            np.fill_diagonal(S, -np.inf)  # a sample is not its own neighbour
            order = np.argsort(-S, axis=1, kind="stable")
            edge = np.take_along_axis(S, order[:, k - 1:k + 1], axis=1)
            return order[:, :k], edge[:, 0] - edge[:, 1] < 1e-6
        (NX, tx), (NY, ty) = knn(X), knn(Y)
        out = np.array([len(set(a) & set(b)) / k for a, b in zip(NX, NY)])
        out[tx | ty] = np.nan
        assert np.isnan(out).mean() < 0.05
        return out

    RA = unit(A.vectors) @ unit(A.vectors)[at_anchor].T  # relative vectors: cosines to the anchors
    RB = unit(B.vectors) @ unit(B.vectors)[at_anchor].T
    want = {
        "agreement: relative cosine": (unit(RA) * unit(RB)).sum(axis=1),
        "agreement: absolute cosine": (unit(A.vectors) * unit(B.vectors)).sum(axis=1),
        f"agreement: neighbours@{agreement_view.MAP_K}, relative": overlap(RA, RB, agreement_view.MAP_K),
        f"agreement: neighbours@{agreement_view.MAP_K}, absolute": overlap(A.vectors, B.vectors, agreement_view.MAP_K),
    }
    for choice, values in want.items():
        if at.session_state["color_by"] != choice:
            at.selectbox(key="color_by").set_value(choice).run()
        no_errors(at)
        for m in maps(at):
            got = np.array([colours_by_id(m["fig"])[i] for i in ids])
            sure = ~np.isnan(values)
            np.testing.assert_allclose(got[sure], values[sure], atol=1e-6, err_msg=choice)
