"""core.limits: each limit read from its setting when checked, and named with it when it refuses."""

import numpy as np
import pytest

from core.errors import FileTooLargeError, InvalidInputError, LoadError
from core.limits import LIMITS, MAX_JSON_DEPTH, MAX_VALUES, Limit


def test_every_limit_has_a_distinct_setting_a_positive_default_and_a_description():
    settings = [lim.setting for lim in LIMITS.values()]
    assert len(set(settings)) == len(settings)
    for name, lim in LIMITS.items():
        assert isinstance(lim, Limit) and lim.default > 0 and lim.what and lim.unit, name
        assert lim.setting in lim.how_to_raise


def test_a_setting_is_read_when_the_limit_is_checked(monkeypatch):
    from core.validation import parse_json

    monkeypatch.delenv("STITCHBOARD_MAX_JSON_DEPTH", raising=False)
    assert MAX_JSON_DEPTH.value == 64
    deep = "[" * 70 + "]" * 70
    with pytest.raises(LoadError, match=r"nested over the limit of 64 levels \(set the environment variable "
                                        r"STITCHBOARD_MAX_JSON_DEPTH to raise it\)"):
        parse_json(deep, what="x")
    monkeypatch.setenv("STITCHBOARD_MAX_JSON_DEPTH", "100")
    nested = parse_json(deep, what="x")
    for _ in range(69):
        assert len(nested) == 1
        nested = nested[0]
    assert nested == []

    assert MAX_JSON_DEPTH.value == 100


def test_a_bad_setting_is_named():
    lim = Limit("STITCHBOARD_TEST_LIMIT", 5, "things", "a test")
    import os

    os.environ["STITCHBOARD_TEST_LIMIT"] = "lots"
    try:
        with pytest.raises(InvalidInputError, match="STITCHBOARD_TEST_LIMIT='lots' must be a positive whole number"):
            _ = lim.value
    finally:
        del os.environ["STITCHBOARD_TEST_LIMIT"]
    assert lim.value == 5


def test_check_words_the_refusal_with_the_setting():
    with pytest.raises(FileTooLargeError) as err:
        MAX_VALUES.check(MAX_VALUES.value + 1, "x.npy: shape (a, b)", advice="; load fewer rows")
    assert str(err.value) == (f"x.npy: shape (a, b): {MAX_VALUES.value + 1:,} values is over the limit of "
                              f"{MAX_VALUES.value:,} values (set the environment variable STITCHBOARD_MAX_VALUES to "
                              "raise it); load fewer rows")
    MAX_VALUES.check(MAX_VALUES.value, "at the limit is fine")


def test_max_values_applies_to_every_embeddings_format(monkeypatch):
    """A 20 x 5 space is read at 100 values, refused at 99, whatever its format."""
    import io

    import pandas as pd

    from core.io.embeddings import read_embeddings

    X = np.arange(100, dtype=np.float32).reshape(20, 5)
    files = {}
    b = io.BytesIO()
    np.save(b, X)
    files["x.npy"] = b.getvalue()
    b = io.BytesIO()
    np.savez(b, vectors=X)
    files["x.npz"] = b.getvalue()
    df = pd.DataFrame(X, columns=list("abcde"))
    files["x.csv"] = df.to_csv(index=False).encode()
    b = io.BytesIO()
    df.to_parquet(b)
    files["x.parquet"] = b.getvalue()
    monkeypatch.setenv("STITCHBOARD_MAX_VALUES", "100")
    for name, data in files.items():
        assert read_embeddings((name, data)).vectors.shape == (20, 5), name
    monkeypatch.setenv("STITCHBOARD_MAX_VALUES", "99")
    for name, data in files.items():
        with pytest.raises(FileTooLargeError, match=r"100 values is over the limit of 99 values \(set the environment "
                                                    r"variable STITCHBOARD_MAX_VALUES"):
            read_embeddings((name, data))
