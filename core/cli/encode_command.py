"""``stitchboard encode``: the user's texts or images through pretrained models, written as ``.npz`` spaces."""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["cmd_encode"]


def _per_model(values, n_models: int, what: str, default):
    """One value per model: a single value applies to all; with one model, several values make several spaces."""
    values = list(values) if values else [default]
    if len(values) == 1:
        return values * n_models, n_models
    if n_models == 1:
        return values, len(values)
    if len(values) != n_models:
        raise ValueError(f"give one {what} for all models, or one per --model ({n_models}); got {len(values)}")
    return values, n_models


def _read_media(args):
    from ..encode.hf_datasets import read_hf_dataset
    from ..encode.images import bundled_digit_images, read_image_zip
    from ..encode.media import bundled_texts, read_texts

    data = args.data
    if data in ("bundled:text", "bundled:digits"):
        return bundled_texts() if data.endswith("text") else bundled_digit_images()
    if data.startswith("hf:"):
        return read_hf_dataset(data[3:], split=args.split, text_column=args.text_column,
                               image_column=args.image_column, id_column=args.id_column,
                               label_column=args.label_column)
    if data.lower().endswith(".zip"):
        return read_image_zip(data, table=args.table, image_column=args.image_column, id_column=args.id_column,
                              label_column=args.label_column)
    if args.image_column:
        raise ValueError("--image-column names paths inside a zip: give the zip as DATA and this table as --table")
    return read_texts(data, text_column=args.text_column, id_column=args.id_column, label_column=args.label_column)


def _file_name(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "space"


def cmd_encode(args) -> int:
    import numpy as np

    from ..runtime.disk_cache import default_cache
    from ..encode.encoding import encode_media
    from ..encode.specs import PretrainedSpec

    media = _read_media(args)
    n_models = len(args.model)
    layers, n1 = _per_model(args.layer, n_models, "--layer", None)
    poolings, n2 = _per_model(args.pooling, n_models, "--pooling", "default")
    n_spaces = max(n1, n2)
    models = args.model * n_spaces if n_models == 1 else args.model
    layers = layers * n_spaces if len(layers) == 1 else layers
    poolings = poolings * n_spaces if len(poolings) == 1 else poolings
    specs = [PretrainedSpec(m, source=args.source, revision=args.revision, pooling=p, layer=lay,
                            normalize=args.normalize, batch_size=args.batch_size, device=args.device)
             for m, p, lay in zip(models, poolings, layers)]
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(media) * len(specs), unit="row", file=sys.stderr, dynamic_ncols=True)

    def progress(done, total, what):
        if bar is not None:
            bar.set_description(what.split(":")[0])
            bar.update(max(0, int(done) - bar.n))

    try:
        coll = encode_media(media, specs, cache=None if args.no_cache else default_cache(), progress=progress,
                            name=args.collection)
    finally:
        if bar is not None:
            bar.close()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for n, sp in coll.spaces.items():
        path = out / f"{_file_name(n)}.npz"
        arrays = {"vectors": sp.vectors, "ids": sp.ids}
        if sp.labels is not None:
            arrays["labels"] = np.asarray(coll.target_names)[sp.labels]
        np.savez(path, **arrays)
        written.append(str(path))
    (out / "split.json").write_text(json.dumps({"ids": coll.ids.tolist(), "split": coll.split.tolist()}))
    report = {**coll.summary(), "data": coll.meta["data"], "modality": coll.meta["modality"],
              "encoders": json.loads(coll.encoders.drop(columns=["spec"]).to_json(orient="records")),
              "written": written + [str(out / "split.json"), str(out / "report.json")]}
    (out / "report.json").write_text(json.dumps(report, indent=2))
    if args.format == "json":
        print(json.dumps(report))
        return 0
    print(f"{coll.meta['modality']}s: {coll.n_samples:,} from {coll.meta['data']}"
          + (f", {report['labels']['n_classes']} classes" if report["labels"] else ", unlabelled"))
    for r in report["encoders"]:
        how = "from the cache" if r["cached"] else f"{r['seconds']:.1f} s, {r['rows_per_s'] or 0:,.0f} rows/s"
        print(f"  {r['name']:<28} dim {r['dim']:<5} {r['source']} {r['model']} · pooling {r['pooling']} · "
              f"layer {r['layer']} · {how}")
    for note in coll.notes:
        print(f"  note: {note}")
    print(f"  wrote {len(written)} space{'s' if len(written) != 1 else ''} to {out} (read them back with: stitchboard import {out}/*.npz)")
    return 0
