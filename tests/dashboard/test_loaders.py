"""Uploaded collections are shared only by content hash and released with their sessions."""

import gc

import numpy as np

from core.collection import Collection, default_split
from core.latent_space import LatentSpace
from dashboard import loaders


def _coll(seed):
    X = np.random.default_rng(seed).normal(size=(12, 3))
    sp = LatentSpace(X, np.arange(12), name="a")
    return Collection(f"c{seed}", {"a": sp}, default_split(sp.ids))


def test_upload_is_released_when_its_holder_goes():
    holder = {}
    src = loaders.register_collection("abc123", _coll(0), holder=holder)
    assert src == "upload:abc123" and loaders.is_available(src)
    assert loaders.collection(src).name == "c0"
    holder.clear()
    gc.collect()
    assert not loaders.is_available(src)


def test_same_key_is_one_object_different_keys_are_isolated():
    h1, h2 = {}, {}
    s1 = loaders.register_collection("k1", _coll(1), holder=h1)
    s2 = loaders.register_collection("k2", _coll(2), holder=h2)
    assert loaders.collection(s1).name == "c1" and loaders.collection(s2).name == "c2"
    again = {}
    loaders.register_collection("k1", _coll(99), holder=again)  # same bytes -> the loaded one is reused
    assert again["upload:k1"] is h1["upload:k1"]
