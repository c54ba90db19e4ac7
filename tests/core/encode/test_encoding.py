"""encode_media (core.encode.encoding): the disk cache, several layers, Cancel, the worker, the zoo source."""

import json

import numpy as np
import pytest

pytest.importorskip("transformers", reason="the pretrained extra is not installed")

from core.encode.encoding import encode_media  # noqa: E402
from core.encode.images import bundled_digit_images  # noqa: E402
from core.encode.media import bundled_texts  # noqa: E402
from core.encode.model_files import model_fingerprint  # noqa: E402
from core.encode.specs import PretrainedSpec  # noqa: E402
from core.errors import CancelledError, InvalidInputError  # noqa: E402
from core.runtime.disk_cache import DiskCache  # noqa: E402
from tests.core.encode.encodehelp import text_media  # noqa: E402


def test_encode_media_caches_and_the_hit_gives_the_same_vectors(tiny_models, tmp_path):
    cache = DiskCache(tmp_path / "cache")
    media = text_media(4)
    specs = [PretrainedSpec(str(tiny_models["bert0"])), PretrainedSpec(str(tiny_models["bert1"]), pooling="cls")]
    seen = []
    col = encode_media(media, specs, cache=cache, progress=lambda d, t, w: seen.append((d, t)))
    assert list(col.encoders["cached"]) == [False, False]
    assert seen[-1] == (2 * len(media), 2 * len(media)) and all(d <= t for d, t in seen)
    again = encode_media(media, specs, cache=cache)
    assert list(again.encoders["cached"]) == [True, True]
    for nm in col.spaces:
        np.testing.assert_array_equal(col.spaces[nm].vectors, again.spaces[nm].vectors)
    row = col.encoders.iloc[1]
    assert row["pooling"] == "cls" and row["layer"] == "last" and row["dim"] == 32
    assert PretrainedSpec.from_dict(json.loads(row["spec"])) == specs[1]
    # a changed model file is a different model: no stale hit
    fp = model_fingerprint(specs[0])
    (tiny_models["bert0"] / "extra.txt").write_text("x")
    try:
        assert model_fingerprint(specs[0]) != fp
        assert not encode_media(media, specs[:1], cache=cache).encoders["cached"].iloc[0]
    finally:
        (tiny_models["bert0"] / "extra.txt").unlink()


def test_one_model_at_several_layers_gives_one_space_each(tiny_models):
    specs = [PretrainedSpec(str(tiny_models["bert0"]), layer=k) for k in (0, 1, 2)]
    col = encode_media(text_media(2), specs)
    assert list(col.encoders["name"]) == ["bert0-L0", "bert0-L1", "bert0-L2"]
    assert not np.allclose(col.spaces["bert0-L0"].vectors, col.spaces["bert0-L2"].vectors)


def test_cancel_stops_in_process_and_in_the_worker(tiny_models):
    spec = PretrainedSpec(str(tiny_models["bert0"]), batch_size=1)
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(CancelledError):
        encode_media(text_media(3), [spec], should_stop=stop)
    flag = {"stop": False}

    def progress(done, total, what):
        if done >= 2:
            flag["stop"] = True

    with pytest.raises(CancelledError):
        encode_media(text_media(30), [spec], isolate=True, progress=progress, should_stop=lambda: flag["stop"])


def test_isolated_encoding_equals_in_process(tiny_models, monkeypatch):
    from core.runtime import pool as pool_mod

    own = pool_mod.WorkerPool(1, 2, spare=False)  # no process started in advance: the job waits for one
    monkeypatch.setattr(pool_mod, "_SHARED", [own])
    specs = [PretrainedSpec(str(tiny_models["bert1"]))]
    a = encode_media(text_media(), specs)
    seen = []
    try:
        b = encode_media(text_media(), specs, isolate=True, progress=lambda *r: seen.append(r))
    finally:
        own.shutdown()
    n = len(text_media())
    assert any(w == "bert1: starting a worker process" for *_, w in seen), seen
    assert seen[-1] == (n, n, "done") and [d for d, *_ in seen] == sorted(d for d, *_ in seen)
    np.testing.assert_allclose(a.spaces["bert1"].vectors, b.spaces["bert1"].vectors, atol=1e-6)


def test_zoo_source_on_bundled_texts_and_digit_images():
    texts = bundled_texts()
    col = encode_media(texts, [PretrainedSpec("lsa-word", source="zoo"), PretrainedSpec("lsa-bigram", source="zoo")])
    assert [s.vectors.shape[0] for s in col.spaces.values()] == [len(texts)] * 2
    np.testing.assert_array_equal(col.split, texts.meta["split"])  # the bundled split, not a new one
    digits = bundled_digit_images()
    col = encode_media(digits, [PretrainedSpec("mlp-s0", source="zoo")])
    assert next(iter(col.spaces.values())).vectors.shape[0] == len(digits)
    with pytest.raises(InvalidInputError, match="one latent space"):
        PretrainedSpec("lsa-word", source="zoo", layer=1)
