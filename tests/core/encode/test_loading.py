"""load_encoder (core.encode.loading): default pooling, spec checks, and each source (ST, CLIP, ONNX)."""

import json
import shutil

import numpy as np
import pytest

pytest.importorskip("transformers", reason="the pretrained extra is not installed")

from core.encode.images import bundled_digit_images  # noqa: E402
from core.encode.loading import load_encoder  # noqa: E402
from core.encode.specs import PretrainedSpec  # noqa: E402
from core.errors import InvalidInputError, LoadError, UnsafeFileError  # noqa: E402
from tests.core.encode.encodehelp import TEXTS, reference_text, text_media  # noqa: E402


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
    ref = reference_text(tiny_models["bert0"], TEXTS, pooling="cls")
    np.testing.assert_allclose(Z, ref, atol=2e-5)
    with pytest.raises(InvalidInputError, match="own modules"):
        PretrainedSpec(str(folder), source="sentence-transformers", pooling="mean")


def test_clip_vision_tower_gives_the_projected_image_features(tiny_models):
    import torch
    from transformers import CLIPImageProcessor, CLIPModel

    from core.encode.images import decode_image

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
    texts = list(text_media().items)
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
    texts = list(text_media().items)
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
