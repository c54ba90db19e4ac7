import numpy as np

from core.reproduce.stitching_table import pair_group, stitching_results, stitching_section, summary_table
from core.reproduce.translation_table import translation_section


def test_pair_groups(small_zoos):
    wine = small_zoos["wine"]
    assert pair_group(wine, "mlp-s0", "mlp-s1") == "seeds"
    assert pair_group(wine, "mlp-s0", "mlp-wide-s0") == "architectures"


def test_tables_are_the_means_of_the_stitching_matrices(small_zoos):
    results = stitching_results(small_zoos, seeds=(0, 1))
    assert [r.n_anchors for r in results["wine"]] == [71, 71]  # half of the 142 training wines
    df = summary_table(results, small_zoos)
    runs = results["wine"]
    names = runs[0].encoders
    seeds_pairs = [(i, j) for i, a in enumerate(names) for j, b in enumerate(names) if a != b and
                   pair_group(small_zoos["wine"], a, b) == "seeds"]
    expected = np.mean([np.mean([r.scores["relative"][i, j] for i, j in seeds_pairs]) for r in runs])
    row = df[(df["dataset"] == "wine") & (df["pairs"] == "across seeds")].iloc[0]
    assert abs(row["relative stitched"] - 100 * expected) < 1e-9
    assert row["n pairs"] == len(seeds_pairs)
    tr = translation_section(results, small_zoos).tables[0][1].set_index("dataset")
    off = ~np.eye(len(names), dtype=bool)
    assert abs(tr.loc["wine", "ortho"] - np.mean([r.scores["translated"][off].mean() for r in runs])) < 1e-12
    assert abs(tr.loc["wine", "no-stitch"] - np.mean([np.diag(r.scores["absolute"]).mean() for r in runs])) < 1e-12
    # the note names exactly the zoos with fewer anchors than their widest encoder's dims
    under = [d for d, runs in results.items()
             if runs[0].n_anchors < max(small_zoos[d].collection().dim(n) for n in runs[0].encoders)]
    note = translation_section(results, small_zoos).notes[0]
    assert ("fewer anchors" in note) == bool(under)
    assert all(f"{d}" in note for d in under)
    sec = stitching_section(results, small_zoos)
    assert sec.figures and sec.tables[0][1]["relative stitched"].notna().all()
