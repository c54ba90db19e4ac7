"""Shared fixtures of the core.io tests: a small labelled space, writers of embeddings and parquet vector files,
the digits collection and a valid session for the session tests."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest


@pytest.fixture()
def vecs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8)).astype(np.float32)
    ids = np.arange(100, 160)
    labels = np.repeat(["cat", "dog", "eel"], 20)
    return X, ids, labels


def _write(fmt, path, X, ids=None, labels=None):
    if fmt == "npy":
        np.save(path, X)
    elif fmt == "npz":
        arrays = {"vectors": X}
        if ids is not None:
            arrays["ids"] = ids
        if labels is not None:
            arrays["labels"] = labels
        np.savez(path, **arrays)
    else:
        df = pd.DataFrame(X, columns=[f"d{i}" for i in range(X.shape[1])])
        if ids is not None:
            df.insert(0, "id", ids)
        if labels is not None:
            df["label"] = labels
        df.to_csv(path, index=False) if fmt == "csv" else df.to_parquet(path)


@pytest.fixture()
def write_vectors():
    """``write_vectors(fmt, path, X, ids=None, labels=None)``: X (and ids, labels) as a .npy/.npz/.csv/.parquet file."""
    return _write


def _write_parquet(path, X, *, layout="list", row_group_size=None, ids=None):
    n, d = X.shape
    ids = [f"s{i:04d}" for i in range(n)] if ids is None else ids
    if layout == "wide":
        table = pa.table({"id": ids, **{f"f{j}": X[:, j] for j in range(d)}})
    else:
        typ = pa.list_(pa.float32(), d) if layout == "fixed" else pa.list_(pa.float32())
        table = pa.table({"id": ids, "embedding": pa.array(list(X), type=typ)})
    pq.write_table(table, path, row_group_size=row_group_size or n)
    return ids


@pytest.fixture()
def write_parquet():
    """``write_parquet(path, X, *, layout="list", row_group_size=None, ids=None)``: X with an id column; returns the ids."""
    return _write_parquet


@pytest.fixture(scope="module")
def coll(zoo):
    return zoo.collection()


# plain functions, imported by the session tests
def context(coll, **kw):
    return dict(datasets=("digits", "wine"), collection_of=lambda s: coll, **kw)


def good(coll):
    train = [int(i) for i in coll.ids[coll.split == "train"][:5]]
    return {"version": 1, "dataset": "digits", "enc_a": "mlp-s0", "enc_b": "cnn-s1", "anchors": train,
            "highlight": [int(coll.ids[coll.split == "test"][0])], "strategy": "fps", "n_anchors": 50, "seed": 3,
            "method": "tsne", "frame": "own", "n_neighbors": 15, "min_dist": 0.1, "perplexity": 30, "color_by": "label",
            "pick_mode": "highlight"}
