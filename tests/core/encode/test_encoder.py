"""PretrainedEncoder.encode (core.encode.encoder): pooling, layers, batches, normalisation, truncation."""

import numpy as np
import pytest

pytest.importorskip("transformers", reason="the pretrained extra is not installed")

from core.encode.images import bundled_digit_images  # noqa: E402
from core.encode.loading import load_encoder  # noqa: E402
from core.encode.specs import PretrainedSpec  # noqa: E402
from tests.core.encode.encodehelp import TEXTS, reference_text  # noqa: E402


@pytest.mark.parametrize("pooling,layer", [("mean", None), ("cls", None), ("pooler", None), ("mean", 1), ("cls", 0)])
def test_text_pooling_and_layer_match_transformers(tiny_models, pooling, layer):
    enc = load_encoder(PretrainedSpec(str(tiny_models["bert0"]), pooling=pooling, layer=layer, batch_size=4),
                       modality="text")
    Z = enc.encode(TEXTS)
    ref = reference_text(tiny_models["bert0"], TEXTS, pooling=pooling, layer=layer)
    assert Z.shape == (len(TEXTS), 32) and Z.dtype == np.float32
    np.testing.assert_allclose(Z, ref, atol=2e-5)  # batches of 4, sorted by length: padding must not leak in


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
    from core.encode.images import decode_image

    proc = ViTImageProcessor.from_pretrained(str(tiny_models["vit0"]))
    model = ViTModel.from_pretrained(str(tiny_models["vit0"])).eval()
    with torch.inference_mode():
        ref = model(**proc(images=[decode_image(x) for x in items], return_tensors="pt")).pooler_output.numpy()
    assert Z.shape == (10, 32)
    np.testing.assert_allclose(Z, ref, atol=1e-4)


def test_texts_longer_than_the_model_are_cut_and_counted(tiny_models):
    enc = load_encoder(PretrainedSpec(str(tiny_models["bert0"]), batch_size=4), modality="text")
    long = " ".join(TEXTS * 20)
    texts = [long, "the cat sat", long, "a dog"] + [" ".join(["cat"] * (enc.max_length - 2))]  # the last fits exactly
    Z = enc.encode(texts)
    assert Z.shape == (5, 32) and np.isfinite(Z).all()
    assert enc.notes == [f"bert0: 2 of 5 texts are longer than its {enc.max_length} tokens and were cut to fit"]
