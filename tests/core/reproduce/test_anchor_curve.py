from core.reproduce.anchor_curve import anchor_curve_section


def test_anchor_curve_on_wine(small_zoos):
    s = anchor_curve_section(small_zoos["wine"], counts=(2, 10, 60, 5000), seeds=(0, 1))
    table = s.tables[0][1]
    assert list(table.index) == [2, 10, 60]  # counts above the train split are dropped
    assert table.loc[60, "relative"] > table.loc[2, "relative"]
    assert table.loc[60, "translated"] > table.loc[2, "translated"]
    assert "mlp-s0, mlp-s1, mlp-s2" in s.protocol  # another zoo: its first three encoders
    fig = s.figures[0][1]
    assert fig.layout.xaxis.type == "log" and len(fig.data) == 4
