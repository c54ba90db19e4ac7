"""Text: LSA encoders, the bundled sentences, and the Hugging Face loading path on a tiny local BERT."""

import numpy as np
import pytest

from core.spaces.datasets import load_dataset
from core.errors import InvalidInputError, LoadError
from core.spaces.text_encoders import LSAEncoder, encode_texts, load_sentence_encoder

SENTENCES = ["the cat sat on the mat", "a dog chased the ball", "rain falls on the town", "the oven is hot"] * 3


def test_bundled_sentences_are_balanced_and_split_is_fixed():
    d = load_dataset("text")
    assert len(d.X) >= 240 and len(d.target_names) >= 4
    counts = np.bincount(d.y)
    assert counts.min() >= 60, counts
    assert len(set(d.X.tolist())) == len(d.X)  # no duplicate sentences
    assert (load_dataset("text").split == d.split).all()
    assert (d.split == "test").sum() == int(np.ceil(0.2 * len(d.X)))


def test_lsa_save_load_round_trip(tmp_path):
    enc = LSAEncoder(3, random_state=0).fit(SENTENCES)
    Z = enc.encode(SENTENCES)
    assert Z.shape == (len(SENTENCES), 3) and Z.dtype == np.float32
    enc.save(tmp_path / "lsa.safetensors")
    again = LSAEncoder.load(tmp_path / "lsa.safetensors")
    np.testing.assert_array_equal(again.encode(SENTENCES), Z)
    assert again.get_params() == enc.get_params()


def test_lsa_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="n_components=50"):
        LSAEncoder(50).fit(SENTENCES)
    with pytest.raises(InvalidInputError, match="not fitted"):
        LSAEncoder(2).encode(SENTENCES)
    with pytest.raises(InvalidInputError, match="not one string"):
        LSAEncoder(2).fit("just one string")
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 40)
    with pytest.raises(LoadError):
        LSAEncoder.load(tmp_path / "junk.safetensors")


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A random 2-layer BERT + WordPiece tokenizer saved locally: the HF path with no download."""
    transformers = pytest.importorskip("transformers", reason="the HF path needs transformers (dev extra)")
    path = tmp_path_factory.mktemp("tiny-bert")
    words = sorted({w for s in SENTENCES for w in s.split()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok = transformers.BertTokenizerFast(vocab_file=str(path / "vocab.txt"), do_lower_case=True)
    cfg = transformers.BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=64, max_position_embeddings=64)
    import torch

    torch.manual_seed(0)
    transformers.BertModel(cfg).save_pretrained(str(path))
    tok.save_pretrained(str(path))
    return path


def test_sentence_encoder_from_local_path(tiny_bert):
    model = load_sentence_encoder(str(tiny_bert))
    Z = encode_texts(model, SENTENCES)
    assert Z.shape == (len(SENTENCES), 32) and Z.dtype == np.float32 and np.isfinite(Z).all()
    # deterministic: the same sentence twice gives the same vector
    np.testing.assert_allclose(Z[0], Z[4], atol=1e-5)
    assert not np.allclose(Z[0], Z[1])


def test_sentence_encoder_errors(tmp_path, tiny_bert):
    f = tmp_path / "model.bin"
    f.write_bytes(b"x")
    with pytest.raises(LoadError, match="is a file"):
        load_sentence_encoder(str(f))
    with pytest.raises(InvalidInputError, match="empty"):
        encode_texts(load_sentence_encoder(str(tiny_bert)), [])


def test_transformer_to_lsa_stitching_runs_offline(tiny_bert):
    """Cross-architecture spaces of the same sentences: relative stitching type-checks across dims."""
    from core.methods.anchors import select_anchors
    from core.spaces.latent_space import LatentSpace
    from core.methods.stitching import stitching_matrix

    d = load_dataset("text")
    lsa = LSAEncoder(24, random_state=0).fit(list(d.X[d.split == "train"]))
    bert = load_sentence_encoder(str(tiny_bert))
    spaces = {"lsa": lsa.encode(list(d.X)), "bert": encode_texts(bert, list(d.X))}
    train = {n: LatentSpace(Z[d.split == "train"], d.ids[d.split == "train"], labels=d.y[d.split == "train"], name=n)
             for n, Z in spaces.items()}
    test = {n: LatentSpace(Z[d.split == "test"], d.ids[d.split == "test"], labels=d.y[d.split == "test"], name=n)
            for n, Z in spaces.items()}
    anchors = select_anchors(train["lsa"], 40, random_state=0)
    res = stitching_matrix(train, test, anchors, modes=("absolute", "relative"))
    assert np.isnan(res.scores["absolute"][0, 1])  # 24-d LSA vs 32-d BERT: absolute stitching does not type-check
    assert np.isfinite(res.scores["relative"]).all()
