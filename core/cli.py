"""The ``stitchboard`` command line.

Sub-commands
------------
stitchboard dashboard [--port P] [STREAMLIT ARGS...]
stitchboard stitch --dataset digits --n-anchors N --seed S [--strategy random] [--similarity cosine]
                   [--translation orthogonal] [--format json|table]
stitchboard compare --dataset digits --n-anchors N [--k 10] [--format json|table]
stitchboard relative --anchors ANCHORS IN OUT [--similarity cosine] [--center anchors] [--scale]
                     [--topk K] [--power P] [--column NAME] [--id-column NAME] [--chunk-rows N] [--quiet]
stitchboard import FILE... [--name NAME...] [--table CSV] [--out DIR] [--intersect]
stitchboard encode DATA --model M [--model M2 ...] [--text-column C] [--image-column C] [--label-column L]
                   [--id-column I] [--pooling P] [--layer K] [--batch-size B] [--device D] --out DIR [--format json]
stitchboard zoo build [--dataset digits|wine|breast_cancer|text|all] [--out DIR] [--check]
stitchboard zoo list [--dataset ...|all]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import InvalidInputError, StitchboardError

__all__ = ["main"]


def _progress(done: int, total: int, what: str) -> None:
    print(f"[{done}/{total}] {what}", file=sys.stderr, flush=True)


def cmd_dashboard(args, extra) -> int:
    import importlib.util

    spec = importlib.util.find_spec("dashboard")
    if spec is None or spec.origin is None:
        print("error: the `dashboard` package is not installed next to `core`", file=sys.stderr)
        return 2
    # dashboard.server = `streamlit run dashboard/app.py` plus a background warm-up (imports, default zoo)
    cmd = [
        sys.executable, "-m", "dashboard.server",
        "--browser.gatherUsageStats", "false",
        "--server.port", str(args.port),
        "--client.toolbarMode", "viewer",
    ]
    if args.headless:
        cmd += ["--server.headless", "true"]
    cmd += extra
    print("running:", " ".join(cmd), file=sys.stderr)
    return subprocess.call(cmd)


def _zoo_and_anchors(args):
    from .methods.anchors import select_anchors

    if args.files:  # the user's spaces (e.g. what `stitchboard encode` wrote), split as on import
        from .io.collection_files import load_collection

        zoo = load_collection(args.files, name="files")
        if zoo.labels is None:
            raise InvalidInputError("these files have no labels; stitching and the metrics need a label per sample "
                                    "(a `labels` array in the .npz, or --label-column on import)")
        train, test = zoo.part("train"), zoo.part("test")
        args.dataset = "files"
    else:
        from .spaces.zoo import Zoo

        zoo = Zoo(args.dataset)
        train, test = zoo.spaces("train"), zoo.spaces("test")
    first = next(iter(train.values()))
    anchors = select_anchors(first, args.n_anchors, strategy=args.strategy, random_state=args.seed)
    return zoo, train, test, anchors


def cmd_stitch(args) -> int:
    from .methods.stitching import MODES, stitching_matrix

    _, train, test, anchors = _zoo_and_anchors(args)
    res = stitching_matrix(
        train, test, anchors, modes=MODES, similarity=args.similarity, center=args.center,
        translation=args.translation, progress=_progress if args.format == "table" else None,
    )
    out = {
        "dataset": args.dataset, **res.to_dict(), "seed": args.seed, "strategy": args.strategy,
        "similarity": args.similarity, "center": args.center, "translation": args.translation, "head": res.params["head"],
        "summary": {
            mode: {"non_stitched": res.non_stitched_mean(mode), "stitched": res.stitched_mean(mode)} for mode in res.scores
        },
    }
    if args.format == "json":
        print(json.dumps(out))
        return 0
    import pandas as pd

    for mode in res.scores:
        df = pd.DataFrame(res.scores[mode], index=res.encoders, columns=res.encoders)
        note = " (NaN: dims differ)" if mode == "absolute" else ""
        print(f"\n{mode}: rows = head of encoder i, columns = space of encoder j{note}")
        print(df.round(3).to_string())
    print()
    for mode in res.scores:
        print(f"{mode:<10} non-stitched mean {res.non_stitched_mean(mode):.3f}   stitched mean {res.stitched_mean(mode):.3f}")
    return 0


def cmd_compare(args) -> int:
    from .methods.metrics import compare_spaces
    from .methods.relative import relative_projection

    _, train, test, anchors = _zoo_and_anchors(args)
    names = list(test)
    ref_ids = test[names[0]].ids
    absolute = {n: test[n].vectors[test[n].positions(ref_ids)] for n in names}  # rows aligned by id
    rel = {n: relative_projection(absolute[n], train[n].take(anchors), similarity=args.similarity) for n in names}
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            for kind, Xa, Xb in (("absolute", absolute[a], absolute[b]), ("relative", rel[a], rel[b])):
                m = compare_spaces(Xa, Xb, k=args.k)
                rows.append({"a": a, "b": b, "space": kind, **{k: (None if v != v else round(v, 6)) for k, v in m.items()}})
    if args.format == "json":
        print(json.dumps({"dataset": args.dataset, "split": "test", "n_anchors": args.n_anchors, "seed": args.seed,
                          "strategy": args.strategy, "similarity": args.similarity, "k": args.k, "pairs": rows}))
        return 0
    import pandas as pd

    df = pd.DataFrame(rows)
    print(df.to_string(index=False))
    print("\nmeans over pairs (NaN: coordinates cannot be compared when dims differ):")
    print(df.drop(columns=["a", "b"]).groupby("space").mean().round(3).to_string())
    return 0


def _scores(e: dict) -> str:
    return " ".join(f"{k}={e[k]:.4f}" for k in ("test_accuracy", "test_mse", "explained_variance") if k in e)


def cmd_zoo(args) -> int:
    from .spaces.datasets import DATASETS
    from .spaces.zoo import Zoo, build_zoo, check_zoo

    datasets = list(DATASETS) if args.dataset == "all" else [args.dataset]
    status = 0
    for ds in datasets:
        if len(datasets) > 1:
            print(f"== {ds}")
        if args.zoo_cmd == "list":
            zoo = Zoo(ds)
            for name in zoo.names:
                e = zoo.entries[name]
                dim = e["latent_dim"] if e["latent_dim"] is not None else "?"
                extra = f"model={e['model']} (pretrained, from the text extra)" if e.get("model") else _scores(e)
                print(f"{name:<14} arch={e['arch']:<4} seed={e.get('seed')} latent_dim={dim:<3} {extra}")
        elif args.check:
            rep = check_zoo(ds, progress=_progress)
            for name, r in rep["encoders"].items():
                print(f"{name:<14} {r['verdict']:<16} max |diff| = {r['max_abs_diff']:.3g}")
            print(f"{ds}: {rep['verdict']} (tolerance {rep['tolerance']:g}) across {len(rep['encoders'])} rebuilt encoders")
            status = max(status, int(rep["verdict"] == "differs"))
        else:
            manifest = build_zoo(ds, out_dir=args.out if len(datasets) == 1 else None, progress=_progress)
            for e in manifest["encoders"]:
                print(f"{e['name']:<14} {_scores(e)} sha256={e['sha256'][:12]}")
    return status


def cmd_relative(args) -> int:
    from .io.streaming import relative_projection_file
    from .io.vector_files import read_anchor_file

    kind, value = read_anchor_file(args.anchors)
    summary = relative_projection_file(
        args.input, dst=args.output,
        anchor_ids=value if kind == "ids" else None, anchor_vectors=value if kind == "vectors" else None,
        similarity=args.similarity, center=args.center, scale=args.scale, topk=args.topk, power=args.power,
        column=args.column, id_column=args.id_column, chunk_rows=args.chunk_rows, progress=not args.quiet,
    )
    if args.format == "json":
        print(json.dumps(summary))
    else:
        print(f"wrote {summary['rows']:,} rows x {summary['n_outputs']} ({summary['dtype']}) to {summary['dst']} in "
              f"{summary['seconds']:.1f} s ({summary['rows_per_second']:,.0f} rows/s)")
    return 0


_RELATIVE_HELP = """Relative representation of a vector file, streamed in chunks: each row of IN becomes its
similarities to the anchors (cosine by default), written row by row to OUT. Memory stays
bounded by a few chunks, so IN and OUT may be far larger than RAM.

IN   .npy (a 2-D numeric array) or .parquet (one list column of vectors, e.g.
     'embedding', or one numeric column per dimension; optional id/label columns).
OUT  .npy (shape n_rows x n_anchors) or .parquet (IN's id/label columns plus the relative
     vectors: a list column 'relative', or columns rel_<similarity>_<j> when IN had one
     column per dimension). Written to OUT.partial, renamed when complete.

ANCHORS is one of
  ids.json       a JSON list of sample ids of IN, e.g. [3, 17, 42] or ["doc-1", "doc-9"]
                 (or {"anchor_ids": [...]}): looked up in IN's id column (--id-column, else
                 'id'/'ids'/'sample_id'), or row numbers (0-based) when IN has no ids (.npy);
  vectors.npy    anchor vectors, shape (n_anchors, n_dims), in the same space as IN,
  vectors.parquet  e.g. the anchors of a reference set.

Nothing is unpickled (np.load(allow_pickle=False), pyarrow).

examples:
  stitchboard relative --anchors anchors.json embeddings.parquet relative.parquet
  stitchboard relative --anchors ref_anchors.npy --center anchors X.npy R.npy
"""


def cmd_import(args) -> int:
    import numpy as np

    from .io.collection_files import load_collection

    coll = load_collection(
        args.files, names=args.name, table=args.table, name=args.collection or "imported",
        id_column=args.id_column, label_column=args.label_column, intersect=args.intersect,
    )
    info = coll.summary()
    written = []
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for n, sp in coll.spaces.items():
            path = out / f"{n}.npz"
            arrays = {"vectors": sp.vectors, "ids": sp.ids}
            if sp.labels is not None:
                arrays["labels"] = np.asarray(coll.target_names)[sp.labels] if coll.target_names else sp.labels
            np.savez(path, **arrays)
            written.append(str(path))
        (out / "split.json").write_text(json.dumps({"ids": coll.ids.tolist(), "split": coll.split.tolist()}))
        written.append(str(out / "split.json"))
    if args.format == "json":
        print(json.dumps({**info, "matching": "by id" if not coll.notes else list(coll.notes), "written": written}))
        return 0
    print(f"collection {info['name']!r}: {info['n_samples']:,} samples ({info['n_train']:,} train / {info['n_test']:,} test, seeded split)")
    for n, d in info["spaces"].items():
        sp = coll.spaces[n]
        print(f"  space {n:<20} dim {d:<5} from {sp.meta.get('file')}" + (f" on {sp.meta['table']}" if sp.meta.get("table") else ""))
    if info["labels"] is None:
        print("  labels: none (classification stitching unavailable)")
    else:
        print(f"  labels: {info['labels']['n_classes']} classes: {', '.join(info['labels']['classes'][:10])}")
    print("  rows matched by id in every file" if not any("ORDER" in n for n in coll.notes) else "")
    for note in coll.notes:
        print(f"  note: {note}")
    for w in written:
        print(f"  wrote {w}")
    return 0


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
    from .encode.media import bundled_digit_images, bundled_texts, read_hf_dataset, read_image_zip, read_texts

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

    from .runtime.disk_cache import default_cache
    from .encode.encoding import encode_media
    from .encode.pretrained import PretrainedSpec

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


def build_parser() -> argparse.ArgumentParser:
    from .methods.anchors import STRATEGIES
    from .spaces.datasets import DATASETS
    from .methods.relative import SIMILARITIES
    from .methods.translation import TRANSLATIONS

    p = argparse.ArgumentParser(prog="stitchboard", description="Relative representations and zero-shot stitching.")
    sub = p.add_subparsers(dest="cmd", required=True)

    d = sub.add_parser("dashboard", help="open the Streamlit dashboard (extra args go to `streamlit run`)")
    d.add_argument("--port", type=int, default=8501)
    d.add_argument("--headless", action="store_true", help="do not open a browser window")

    s = sub.add_parser("stitch", help="all-pairs stitching accuracy: absolute, relative, translated")
    c = sub.add_parser("compare", help="space metrics for every pair, absolute vs relative (test split)")
    for q in (s, c):
        q.add_argument("--dataset", default="digits", choices=DATASETS)
        q.add_argument("--files", nargs="+", metavar="FILE",
                       help="your own spaces instead of a bundled dataset: embeddings files (e.g. DIR/*.npz from "
                            "`stitchboard encode`), matched by id and split 80/20 as `stitchboard import` does")
        q.add_argument("--n-anchors", type=int, default=100)
        q.add_argument("--seed", type=int, default=0)
        q.add_argument("--strategy", default="random", choices=STRATEGIES)
        q.add_argument("--similarity", default="cosine", choices=SIMILARITIES)
        q.add_argument("--format", default="table", choices=("json", "table"))
    s.add_argument("--center", default=None, choices=("anchors",), help="centre on the anchor mean")
    s.add_argument("--translation", default="orthogonal", choices=TRANSLATIONS, help="method of the translated mode")
    c.add_argument("--k", type=int, default=10, help="neighbourhood size of jaccard and mutual_knn")

    r = sub.add_parser(
        "relative", help="stream a relative representation: vector file in, relative vectors out",
        description=_RELATIVE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("--anchors", required=True, metavar="ANCHORS",
                   help="ids.json (sample ids of IN) or vectors.npy/.parquet (anchor vectors); see above")
    r.add_argument("input", metavar="IN", help="input vectors, .npy or .parquet")
    r.add_argument("output", metavar="OUT", help="output file, .npy or .parquet")
    r.add_argument("--similarity", default="cosine", choices=SIMILARITIES)
    r.add_argument("--center", default=None, choices=("anchors",), help="subtract the anchor mean first")
    r.add_argument("--scale", action="store_true", help="standard-scale each feature with the anchors' statistics")
    r.add_argument("--topk", type=int, default=None, help="ASIF: keep the K largest similarities per row")
    r.add_argument("--power", type=float, default=1.0, help="ASIF: sign-preserving exponent (default 1)")
    r.add_argument("--column", default=None, help="parquet list column holding the vectors")
    r.add_argument("--id-column", default=None, help="parquet id column (default: id, ids or sample_id)")
    r.add_argument("--chunk-rows", type=int, default=None, help="rows per chunk (default: ~64 MiB of input)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--format", default="table", choices=("json", "table"), help="summary as text or JSON")

    im = sub.add_parser(
        "import", help="check and convert your own embeddings/models into parallel spaces",
        description="Read embeddings files (.npy .npz .csv .parquet) and/or models (.onnx, .safetensors + .json "
                    "sidecar, run on --table), match rows by id, and report what was found. With --out, write one "
                    "normalised .npz per space (vectors, ids, labels) plus split.json. Pickles are refused.",
    )
    im.add_argument("files", nargs="+", help="embeddings files and/or models (one space each), .json sidecars")
    im.add_argument("--name", nargs="+", default=None, help="one name per space (default: file stems)")
    im.add_argument("--table", default=None, help="CSV/parquet data table for the models to encode")
    im.add_argument("--collection", default=None, help="name of the whole collection")
    im.add_argument("--id-column", default=None)
    im.add_argument("--label-column", default=None)
    im.add_argument("--intersect", action="store_true", help="keep only ids present in every file")
    im.add_argument("--out", default=None, help="folder to write the converted spaces into")
    im.add_argument("--format", default="table", choices=("json", "table"))

    from .encode.pretrained import POOLINGS, SOURCES

    en = sub.add_parser(
        "encode", help="encode your texts or images with pretrained models (Hugging Face name or folder)",
        description="Encode a CSV/parquet of texts, or a .zip of images in class folders (label/file.png), with one "
                    "or more pretrained models. Writes DIR/<encoder>.npz (vectors, ids, labels) per model, split.json "
                    "and report.json; `stitchboard import DIR/*.npz` reads them back. Models load with "
                    "trust_remote_code=False from safetensors only. DATA may also be bundled:text, bundled:digits, or "
                    "hf:NAME (a Hugging Face dataset or a save_to_disk folder; the hf-datasets extra) with --split.",
    )
    en.add_argument("data", metavar="DATA",
                    help="texts .csv/.parquet, images .zip, bundled:text / bundled:digits, or hf:NAME")
    en.add_argument("--split", default="train", help="with hf:NAME: the split, e.g. train or 'test[:2000]'")
    en.add_argument("--model", action="append", required=True, metavar="M",
                    help="Hugging Face name or local folder (repeat for several); a zoo name with --source zoo")
    en.add_argument("--source", default="transformers", choices=SOURCES)
    en.add_argument("--revision", default=None, help="branch, tag or commit of hub models")
    en.add_argument("--text-column", default=None, help="default: text, sentence, document or content")
    en.add_argument("--image-column", default=None, help="with --table: the column of paths inside the zip")
    en.add_argument("--table", default=None, help="CSV/parquet listing the zip's images (with --image-column)")
    en.add_argument("--label-column", default=None)
    en.add_argument("--id-column", default=None)
    en.add_argument("--pooling", action="append", choices=POOLINGS, default=None,
                    help="default: mean for texts, the model's pooler (else CLS) for images; repeat to pair with --model")
    en.add_argument("--layer", action="append", type=int, default=None,
                    help="hidden layer (0 = embeddings, -1 = last); with one model, repeat to compare layers")
    en.add_argument("--normalize", action="store_true", help="L2-normalise the vectors")
    en.add_argument("--batch-size", type=int, default=32)
    en.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, mps")
    en.add_argument("--collection", default=None, help="name of the collection (default: the data file's stem)")
    en.add_argument("--no-cache", action="store_true", help="do not read or write the disk cache")
    en.add_argument("--quiet", action="store_true", help="no progress bar")
    en.add_argument("--out", required=True, metavar="DIR")
    en.add_argument("--format", default="table", choices=("json", "table"))

    z = sub.add_parser("zoo", help="build or list the bundled encoder zoo")
    zsub = z.add_subparsers(dest="zoo_cmd", required=True)
    zb = zsub.add_parser("build", help="train the zoo deterministically into assets/")
    zb.add_argument("--dataset", default="digits", choices=(*DATASETS, "all"))
    zb.add_argument("--out", default=None, help="output folder (default: assets/<dataset>)")
    zb.add_argument("--check", action="store_true", help="rebuild into a temp dir and compare with the bundled weights")
    zl = zsub.add_parser("list", help="list the bundled encoders")
    zl.add_argument("--dataset", default="digits", choices=(*DATASETS, "all"))
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.cmd != "dashboard":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.cmd == "dashboard":
            return cmd_dashboard(args, extra)
        if args.cmd == "stitch":
            return cmd_stitch(args)
        if args.cmd == "compare":
            return cmd_compare(args)
        if args.cmd == "import":
            return cmd_import(args)
        if args.cmd == "encode":
            return cmd_encode(args)
        if args.cmd == "relative":
            return cmd_relative(args)
        return cmd_zoo(args)
    except (StitchboardError, ValueError, KeyError, FileNotFoundError, ImportError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
