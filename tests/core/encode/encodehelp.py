"""Shared by the tests of core.encode: a few texts, a media set of them, reference vectors and image bytes."""

import io

import numpy as np

from core.encode.media import MediaSet

TEXTS = ("the cat sat on the mat", "a dog runs fast", "music and film", "the stock market price",
         "science of the cell", "red car", "the big small blue space code", "vote law", "team match game")


def text_media(n_repeat=1):
    items = TEXTS * n_repeat
    return MediaSet(name="t", modality="text", items=items, ids=np.arange(len(items)),
                    labels=np.array([i % 3 for i in range(len(items))]))


def reference_text(folder, texts, *, pooling, layer=None):
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


def png(colour, size=(8, 8)) -> bytes:
    from PIL import Image

    b = io.BytesIO()
    Image.new("RGB", size, colour).save(b, "PNG")
    return b.getvalue()


def csv_bytes(df) -> bytes:
    return df.to_csv(index=False).encode()
