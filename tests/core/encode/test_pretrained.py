"""Pretrained encoders (core.encode.pretrained, core.encode.encoding) on tiny random models built per run."""

import json
import pickle
import shutil

import numpy as np
import pytest

pytest.importorskip("transformers", reason="the pretrained extra is not installed")

from core.runtime.disk_cache import DiskCache  # noqa: E402
from core.encode.encoding import encode_media  # noqa: E402
from core.errors import CancelledError, InvalidInputError, LoadError, UnsafeFileError  # noqa: E402
from core.encode.media import MediaSet, bundled_digit_images, bundled_texts  # noqa: E402
from core.encode.pretrained import PretrainedSpec, check_model_folder, load_encoder, model_fingerprint  # noqa: E402

TEXTS = ("the cat sat on the mat", "a dog runs fast", "music and film", "the stock market price",
         "science of the cell", "red car", "the big small blue space code", "vote law", "team match game")


def _texts(n_repeat=1):
    items = TEXTS * n_repeat
    return MediaSet(name="t", modality="text", items=items, ids=np.arange(len(items)),
                    labels=np.array([i % 3 for i in range(len(items))]))


def _reference_text(folder, texts, *, pooling, layer=None):
    """What the model gives by hand, with transformers directly."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder)).eval()
    enc = tok(list(texts), padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = model(**enc, output_hidden_states=True)
    if pooling == "pooler":
        return out.pooler_output.numpy()
    H = out.hidden_states[layer] if layer is not None else out.last_hidden_state
    if pooling == "cls":
        return H[:, 0].numpy()
    m = enc["attention_mask"].unsqueeze(-1).float()
    return ((H * m).sum(1) / m.sum(1)).numpy()


@pytest.mark.parametrize("pooling,layer", [("mean", None), ("cls", None), ("pooler", None), ("mean", 1), ("cls", 0)])
def test_text_pooling_and_layer_match_transformers(tiny_models, pooling, layer):
    enc = load_encoder(PretrainedSpec(str(tiny_models["bert0"]), pooling=pooling, layer=layer, batch_size=4),
                       modality="text")
    Z = enc.encode(TEXTS)
    ref = _reference_text(tiny_models["bert0"], TEXTS, pooling=pooling, layer=layer)
    assert Z.shape == (len(TEXTS), 32) and Z.dtype == np.float32
    np.testing.assert_allclose(Z, ref, atol=2e-5)  # batches of 4, sorted by length: padding must not leak in


def test_default_pooling_is_mean_for_texts_and_the_pooler_for_vit(tiny_models):
    assert load_encoder(PretrainedSpec(str(tiny_models["bert0"])), modality="text").resolved_pooling == "mean"
    assert load_encoder(PretrainedSpec(str(tiny_models["vit0"])), modality="image").resolved_pooling == "pooler"
    # below the last layer there is no pooler: the class token
    assert load_encoder(PretrainedSpec(str(tiny_models["vit0"]), layer=1), modality="image").resolved_pooling == "cls"


def test_layers_out_of_range_and_bad_specs_are_clear(tiny_models):
    with pytest.raises(InvalidInputError, match="layer=5 is out of range .* 2 layers"):
        load_encoder(PretrainedSpec(str(tiny_models["bert0"]), layer=5), modality="text")
    with pytest.raises(InvalidInputError, match="pooler"):
        load_encoder(PretrainedSpec(str(tiny_models["bert0"]), layer=1, pooling="pooler"), modality="text")
    with pytest.raises(InvalidInputError, match="pooling='max'"):
        PretrainedSpec("x", pooling="max")
    with pytest.raises(InvalidInputError, match="batch_size"):
        PretrainedSpec("x", batch_size=0)
    with pytest.raises(LoadError, match="no image processor"):
        load_encoder(PretrainedSpec(str(tiny_models["bert0"])), modality="image")
    with pytest.raises(LoadError, match="no tokenizer"):
        load_encoder(PretrainedSpec(str(tiny_models["vit0"])), modality="text")


def test_last_layer_by_index_equals_the_default_and_normalize_gives_unit_rows(tiny_models):
    a = load_encoder(PretrainedSpec(str(tiny_models["bert1"])), modality="text").encode(TEXTS)
    b = load_encoder(PretrainedSpec(str(tiny_models["bert1"]), layer=-1), modality="text").encode(TEXTS)
    np.testing.assert_allclose(a, b, atol=1e-6)
    c = load_encoder(PretrainedSpec(str(tiny_models["bert1"]), normalize=True), modality="text").encode(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(c, a / np.linalg.norm(a, axis=1, keepdims=True), atol=1e-6)


def test_vit_on_the_bundled_digits_matches_transformers(tiny_models):
    import torch
    from transformers import ViTImageProcessor, ViTModel

    media = bundled_digit_images()
    items = media.items[:10]
    Z = load_encoder(PretrainedSpec(str(tiny_models["vit0"]), batch_size=3), modality="image").encode(items)
    from core.encode.media import decode_image

    proc = ViTImageProcessor.from_pretrained(str(tiny_models["vit0"]))
    model = ViTModel.from_pretrained(str(tiny_models["vit0"])).eval()
    with torch.inference_mode():
        ref = model(**proc(images=[decode_image(x) for x in items], return_tensors="pt")).pooler_output.numpy()
    assert Z.shape == (10, 32)
    np.testing.assert_allclose(Z, ref, atol=1e-4)


def test_encode_media_caches_and_the_hit_gives_the_same_vectors(tiny_models, tmp_path):
    cache = DiskCache(tmp_path / "cache")
    media = _texts(4)
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
    col = encode_media(_texts(2), specs)
    assert list(col.encoders["name"]) == ["bert0-L0", "bert0-L1", "bert0-L2"]
    assert not np.allclose(col.spaces["bert0-L0"].vectors, col.spaces["bert0-L2"].vectors)


def test_cancel_stops_in_process_and_in_the_worker(tiny_models):
    spec = PretrainedSpec(str(tiny_models["bert0"]), batch_size=1)
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(CancelledError):
        encode_media(_texts(3), [spec], should_stop=stop)
    flag = {"stop": False}

    def progress(done, total, what):
        if done >= 2:
            flag["stop"] = True

    with pytest.raises(CancelledError):
        encode_media(_texts(30), [spec], isolate=True, progress=progress, should_stop=lambda: flag["stop"])


def test_isolated_encoding_equals_in_process(tiny_models):
    specs = [PretrainedSpec(str(tiny_models["bert1"]))]
    a = encode_media(_texts(), specs)
    b = encode_media(_texts(), specs, isolate=True)
    np.testing.assert_allclose(a.spaces["bert1"].vectors, b.spaces["bert1"].vectors, atol=1e-6)


# ------------------------------------------------------------------ refusals


def test_custom_code_is_refused_and_never_runs(tiny_models, tmp_path):
    folder = tmp_path / "remote"
    shutil.copytree(tiny_models["bert0"], folder)
    marker = tmp_path / "PWNED"
    (folder / "modeling_evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    cfg = json.loads((folder / "config.json").read_text())
    cfg["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(UnsafeFileError, match="never runs model code"):
        load_encoder(PretrainedSpec(str(folder)), modality="text")
    with pytest.raises(UnsafeFileError):
        encode_media(_texts(), [PretrainedSpec(str(folder))], isolate=True)
    assert not marker.exists()


class _Evil:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_only_weights_are_refused_and_never_unpickled(tiny_models, tmp_path):
    folder = tmp_path / "pickled"
    shutil.copytree(tiny_models["bert0"], folder)
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "PWNED"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(_Evil(marker)))
    with pytest.raises(UnsafeFileError, match="pickle"):
        check_model_folder(folder)
    with pytest.raises(UnsafeFileError, match="pickle"):
        load_encoder(PretrainedSpec(str(folder)), modality="text")
    assert not marker.exists()


def test_a_folder_without_weights_or_config_says_what_is_missing(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match="config.json"):
        load_encoder(PretrainedSpec(str(tmp_path / "empty")), modality="text")


def test_offline_a_missing_hub_model_is_named_with_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"), raising=False)
    with pytest.raises(LoadError) as err:
        load_encoder(PretrainedSpec("someone/not-downloaded-model"), modality="text")
    msg = str(err.value)
    assert "someone/not-downloaded-model" in msg and "offline" in msg.lower() and "folder" in msg


def test_a_model_in_the_hugging_face_cache_loads_by_name_offline(tiny_models, monkeypatch, tmp_path):
    """The normal cache layout (models--org--name/snapshots/<commit>/), as a download leaves it."""
    hub = tmp_path / "hub"
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = hub / "models--tiny--bert0"
    shutil.copytree(tiny_models["bert0"], repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(hub), raising=False)
    enc = load_encoder(PretrainedSpec("tiny/bert0"), modality="text")
    assert enc.revision == commit
    ref = load_encoder(PretrainedSpec(str(tiny_models["bert0"])), modality="text").encode(TEXTS)
    np.testing.assert_allclose(enc.encode(TEXTS), ref, atol=1e-6)
    assert model_fingerprint(PretrainedSpec("tiny/bert0")) == f"hub:tiny/bert0@{commit}"


# ------------------------------------------------------------------ other sources


def test_sentence_transformers_source_pools_with_its_own_modules(tiny_models, tmp_path):
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Pooling, Transformer

    folder = tmp_path / "st"
    word = Transformer(str(tiny_models["bert0"]))
    SentenceTransformer(modules=[word, Pooling(32, pooling_mode="cls")]).save(str(folder))
    Z = load_encoder(PretrainedSpec(str(folder), source="sentence-transformers"), modality="text").encode(TEXTS)
    ref = _reference_text(tiny_models["bert0"], TEXTS, pooling="cls")
    np.testing.assert_allclose(Z, ref, atol=2e-5)
    with pytest.raises(InvalidInputError, match="own modules"):
        PretrainedSpec(str(folder), source="sentence-transformers", pooling="mean")


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


def test_clip_vision_tower_gives_the_projected_image_features(tiny_models):
    import torch
    from transformers import CLIPImageProcessor, CLIPModel

    from core.encode.media import decode_image

    items = bundled_digit_images().items[:8]
    enc = load_encoder(PretrainedSpec(str(tiny_models["clip"]), batch_size=3), modality="image")
    assert enc.resolved_pooling == "pooler"  # CLIP's default: what get_image_features returns
    Z = enc.encode(items)
    model = CLIPModel.from_pretrained(str(tiny_models["clip"])).eval()
    proc = CLIPImageProcessor.from_pretrained(str(tiny_models["clip"]))
    with torch.inference_mode():
        ref = model.get_image_features(**proc(images=[decode_image(x) for x in items], return_tensors="pt"))
    ref = ref if torch.is_tensor(ref) else ref.pooler_output
    assert Z.shape == (8, 16)
    np.testing.assert_allclose(Z, ref.numpy(), atol=1e-5)
    inner = load_encoder(PretrainedSpec(str(tiny_models["clip"]), layer=1), modality="image")
    assert inner.resolved_pooling == "cls" and inner.encode(items).shape == (8, 32)  # the tower's own width
    with pytest.raises(LoadError, match="no tokenizer"):  # saved without one
        load_encoder(PretrainedSpec(str(tiny_models["clip"])), modality="text")


def _onnx_export(folder, dst, *, image=False):
    """An optimum-style export: onnx/model.onnx next to the model's tokenizer or image processor files."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder)).eval()
    (dst / "onnx").mkdir(parents=True)
    for f in folder.iterdir():
        if f.suffix in (".json", ".txt"):
            shutil.copy(f, dst / f.name)

    class Outputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, *x):
            names = ("pixel_values",) if image else ("input_ids", "attention_mask", "token_type_ids")
            o = self.m(**dict(zip(names, x)))
            return o.last_hidden_state, o.pooler_output

    if image:
        args, names, axes = (torch.zeros(2, 3, 32, 32),), ["pixel_values"], {"pixel_values": {0: "b"}}
    else:
        ids = torch.ones(2, 7, dtype=torch.long)
        args, names = (ids, ids, torch.zeros_like(ids)), ["input_ids", "attention_mask", "token_type_ids"]
        axes = {k: {0: "b", 1: "s"} for k in names}
    axes |= {"last_hidden_state": {0: "b", 1: "s"}, "pooler_output": {0: "b"}}
    torch.onnx.export(Outputs(), args, str(dst / "onnx" / "model.onnx"), input_names=names,
                      output_names=["last_hidden_state", "pooler_output"], dynamic_axes=axes, dynamo=False)
    return dst


@pytest.fixture(scope="module")
def onnx_models(tiny_models, tmp_path_factory):
    d = tmp_path_factory.mktemp("onnx")
    return {"bert0": _onnx_export(tiny_models["bert0"], d / "bert0"),
            "vit0": _onnx_export(tiny_models["vit0"], d / "vit0", image=True)}


@pytest.mark.parametrize("pooling", ["default", "mean", "cls", "pooler"])
def test_onnx_source_gives_the_vectors_of_the_transformers_model(tiny_models, onnx_models, pooling):
    texts = list(_texts().items)
    got = load_encoder(PretrainedSpec(str(onnx_models["bert0"]), source="onnx", pooling=pooling), modality="text")
    want = load_encoder(PretrainedSpec(str(tiny_models["bert0"]), pooling=pooling), modality="text")
    assert got.resolved_pooling == want.resolved_pooling
    np.testing.assert_allclose(got.encode(texts), want.encode(texts), rtol=0, atol=1e-4)
    images = bundled_digit_images().items[:12]
    got = load_encoder(PretrainedSpec(str(onnx_models["vit0"]), source="onnx", pooling=pooling), modality="image")
    want = load_encoder(PretrainedSpec(str(tiny_models["vit0"]), pooling=pooling), modality="image")
    assert got.resolved_pooling == want.resolved_pooling
    np.testing.assert_allclose(got.encode(images), want.encode(images), rtol=0, atol=1e-4)


def test_onnx_source_external_data_only_inside_its_folder(onnx_models, tmp_path):
    import onnx

    d = tmp_path / "ext"
    shutil.copytree(onnx_models["bert0"], d)
    model = onnx.load(str(d / "onnx" / "model.onnx"))
    onnx.save_model(model, str(d / "onnx" / "model.onnx"), save_as_external_data=True, location="model.onnx_data",
                    size_threshold=0)
    texts = list(_texts().items)
    inside = load_encoder(PretrainedSpec(str(d), source="onnx"), modality="text").encode(texts)
    ref = load_encoder(PretrainedSpec(str(onnx_models["bert0"]), source="onnx"), modality="text").encode(texts)
    np.testing.assert_allclose(inside, ref, rtol=0, atol=1e-6)
    # the same bytes moved one folder up: the export now points outside its folder
    (tmp_path / "model.onnx_data").write_bytes((d / "onnx" / "model.onnx_data").read_bytes())
    (d / "onnx" / "model.onnx_data").unlink()
    raw = onnx.load(str(d / "onnx" / "model.onnx"), load_external_data=False)
    for t in raw.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = "../../model.onnx_data"
    onnx.save_model(raw, str(d / "onnx" / "model.onnx"))
    with pytest.raises(UnsafeFileError, match="outside the model's own folder"):
        load_encoder(PretrainedSpec(str(d), source="onnx"), modality="text")
    # a symlink inside the folder that leads out is refused too
    for t in raw.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = "link.bin"
    onnx.save_model(raw, str(d / "onnx" / "model.onnx"))
    (d / "onnx" / "link.bin").symlink_to(tmp_path / "model.onnx_data")
    with pytest.raises(UnsafeFileError, match="outside the model's own folder"):
        load_encoder(PretrainedSpec(str(d), source="onnx"), modality="text")


def test_onnx_source_refusals_are_clear(onnx_models, tmp_path):
    with pytest.raises(InvalidInputError, match="only its outputs"):
        PretrainedSpec(str(onnx_models["bert0"]), source="onnx", layer=1)
    empty = tmp_path / "no-onnx"
    shutil.copytree(onnx_models["bert0"], empty)
    shutil.move(empty / "onnx" / "model.onnx", empty / "onnx" / "model_qint8.onnx")
    with pytest.raises(LoadError, match="rename the one to use to model.onnx"):
        load_encoder(PretrainedSpec(str(empty), source="onnx"), modality="text")
    with pytest.raises(LoadError, match="no image processor"):
        load_encoder(PretrainedSpec(str(onnx_models["bert0"]), source="onnx"), modality="image")
    with pytest.raises(InvalidInputError, match="onnxruntime"):
        load_encoder(PretrainedSpec(str(onnx_models["bert0"]), source="onnx", device="cuda"), modality="text")
    # a tokenizer that needs its own code is refused before anything runs
    cfg = json.loads((onnx_models["bert0"] / "tokenizer_config.json").read_text())
    evil = tmp_path / "evil"
    shutil.copytree(onnx_models["bert0"], evil)
    (evil / "tokenizer_config.json").write_text(json.dumps({**cfg, "auto_map": {"AutoTokenizer": ["tok.Evil", None]}}))
    with pytest.raises(UnsafeFileError, match="auto_map"):
        load_encoder(PretrainedSpec(str(evil), source="onnx"), modality="text")


def test_texts_longer_than_the_model_are_cut_and_counted(tiny_models):
    enc = load_encoder(PretrainedSpec(str(tiny_models["bert0"]), batch_size=4), modality="text")
    long = " ".join(TEXTS * 20)
    texts = [long, "the cat sat", long, "a dog"] + [" ".join(["cat"] * (enc.max_length - 2))]  # the last fits exactly
    Z = enc.encode(texts)
    assert Z.shape == (5, 32) and np.isfinite(Z).all()
    assert enc.notes == [f"bert0: 2 of 5 texts are longer than its {enc.max_length} tokens and were cut to fit"]
