"""The ``stitchboard`` command line: the parser and the dispatch to each command.

Sub-commands
------------
stitchboard dashboard [--port P] [STREAMLIT ARGS...]
stitchboard stitch --dataset digits --n-anchors N --seed S [--strategy random] [--similarity cosine]
                   [--translation orthogonal] [--format json|table]
stitchboard compare --dataset digits --n-anchors N [--k 10] [--mrr-k 5] [--format json|table]
stitchboard relative --anchors ANCHORS IN OUT [--similarity cosine] [--center anchors] [--scale]
                     [--topk K] [--power P] [--column NAME] [--id-column NAME] [--chunk-rows N] [--quiet]
stitchboard import FILE... [--name NAME...] [--table CSV] [--out DIR] [--intersect]
stitchboard encode DATA --model M [--model M2 ...] [--text-column C] [--image-column C] [--label-column L]
                   [--id-column I] [--pooling P] [--layer K] [--batch-size B] [--device D] --out DIR [--format json]
stitchboard zoo build [--dataset digits|wine|breast_cancer|text|all] [--out DIR] [--check | --onnx-only]
stitchboard zoo list [--dataset ...|all]
stitchboard reproduce [--out report.html] [--quiet]

The commands live in :mod:`core.cli.zoo_commands` (stitch, compare, zoo),
:mod:`core.cli.file_commands` (relative, import), :mod:`core.cli.encode_command` (encode),
:mod:`core.cli.reproduce_command` (reproduce) and :mod:`core.cli.dashboard_command` (dashboard).
"""

from __future__ import annotations

import argparse
import sys

from ..errors import StitchboardError
from ..runtime.disk_cache import use_numba_cache_dir
from .dashboard_command import cmd_dashboard
from .encode_command import cmd_encode
from .file_commands import cmd_import, cmd_relative
from .reproduce_command import cmd_reproduce
from .zoo_commands import cmd_compare, cmd_stitch, cmd_zoo

__all__ = ["main", "build_parser"]


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


def _add_collection_args(q: argparse.ArgumentParser, *, collection_help: str, out_required: bool,
                         out_help: str) -> None:
    """The id/label columns, collection name, output folder and format that import and encode share."""
    q.add_argument("--id-column", default=None)
    q.add_argument("--label-column", default=None)
    q.add_argument("--collection", default=None, help=collection_help)
    q.add_argument("--out", required=out_required, default=None, metavar="DIR", help=out_help)
    q.add_argument("--format", default="table", choices=("json", "table"))


def build_parser() -> argparse.ArgumentParser:
    from ..methods.anchors import STRATEGIES
    from ..spaces.datasets import DATASETS
    from ..methods.similarities import SIMILARITIES
    from ..methods.translation import TRANSLATIONS

    p = argparse.ArgumentParser(prog="stitchboard", description="Relative representations and zero-shot stitching.")
    sub = p.add_subparsers(dest="cmd", required=True)

    d = sub.add_parser("dashboard", help="open the Streamlit dashboard (extra args go to `streamlit run`)")
    d.add_argument("--port", type=int, default=None,
                   help="port to serve on (default: 8501, or the next free one when it is in use)")
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
    c.add_argument("--mrr-k", type=int, default=5, help="MRR@k truncation (relreps: 5); 0 ranks over all samples")

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
    im.add_argument("--intersect", action="store_true", help="keep only ids present in every file")
    _add_collection_args(im, collection_help="name of the whole collection", out_required=False,
                         out_help="folder to write the converted spaces into")

    from ..encode.specs import POOLINGS, SOURCES

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
    en.add_argument("--pooling", action="append", choices=POOLINGS, default=None,
                    help="default: mean for texts, the model's pooler (else CLS) for images; repeat to pair with --model")
    en.add_argument("--layer", action="append", type=int, default=None,
                    help="hidden layer (0 = embeddings, -1 = last); with one model, repeat to compare layers")
    en.add_argument("--normalize", action="store_true", help="L2-normalise the vectors")
    en.add_argument("--batch-size", type=int, default=32)
    en.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, mps")
    en.add_argument("--no-cache", action="store_true", help="do not read or write the disk cache")
    en.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_collection_args(en, collection_help="name of the collection (default: the data file's stem)",
                         out_required=True, out_help="folder to write DIR/<encoder>.npz, split.json and report.json")

    rp = sub.add_parser(
        "reproduce", help="regenerate the paper's central effects on the bundled data as one HTML report",
        description="Recompute the relative-representations paper's central effects on the bundled zoos (isometry "
                    "demo, absolute vs relative retrieval, stitching over seeds and architectures, translation vs "
                    "relative, the anchor-count curve, the invariance table) and write them, with plots and the "
                    "published numbers, to one self-contained HTML file that opens offline. About a minute.",
    )
    rp.add_argument("--out", default="report.html", help="output HTML file (default: report.html)")
    rp.add_argument("--quiet", action="store_true", help="no progress on stderr")

    z = sub.add_parser("zoo", help="build or list the bundled encoder zoo")
    zsub = z.add_subparsers(dest="zoo_cmd", required=True)
    zb = zsub.add_parser("build", help="train the zoo deterministically into assets/ (needs the zoo-build extra)")
    zb.add_argument("--dataset", default="digits", choices=(*DATASETS, "all"))
    zb.add_argument("--out", default=None, help="output folder (default: assets/<dataset>)")
    how = zb.add_mutually_exclusive_group()
    how.add_argument("--check", action="store_true",
                     help="rebuild into a temp dir and compare with the bundled weights and ONNX models (needs torch)")
    how.add_argument("--onnx-only", action="store_true",
                     help="no training: write the ONNX models of the weights already in the zoo folder (no torch)")
    zl = zsub.add_parser("list", help="list the bundled encoders")
    zl.add_argument("--dataset", default="digits", choices=(*DATASETS, "all"))
    return p


def main(argv=None) -> int:
    use_numba_cache_dir()  # umap's compiled code is kept between runs (before numba is imported)
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.cmd != "dashboard":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.cmd == "dashboard":
            return cmd_dashboard(args, extra)
        commands = {"stitch": cmd_stitch, "compare": cmd_compare, "import": cmd_import, "encode": cmd_encode,
                    "relative": cmd_relative, "reproduce": cmd_reproduce, "zoo": cmd_zoo}
        return commands[args.cmd](args)
    except (StitchboardError, ValueError, KeyError, FileNotFoundError, ImportError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
