"""The ``stitchboard`` command line.

Sub-commands
------------
stitchboard dashboard [--port P] [STREAMLIT ARGS...]
stitchboard stitch --dataset digits --n-anchors N --seed S [--strategy random] [--similarity cosine]
                   [--translation orthogonal] [--format json|table]
stitchboard compare --dataset digits --n-anchors N [--k 10] [--format json|table]
stitchboard zoo build [--dataset digits] [--out DIR] [--check]
stitchboard zoo list [--dataset digits]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import StitchboardError

__all__ = ["main"]


def _progress(done: int, total: int, what: str) -> None:
    print(f"[{done}/{total}] {what}", file=sys.stderr, flush=True)


def cmd_dashboard(args, extra) -> int:
    import importlib.util

    spec = importlib.util.find_spec("dashboard")
    if spec is None or spec.origin is None:
        print("error: the `dashboard` package is not installed next to `core`", file=sys.stderr)
        return 2
    app = Path(spec.origin).parent / "app.py"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app),
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
    from .anchors import select_anchors
    from .zoo import Zoo

    zoo = Zoo(args.dataset)
    train, test = zoo.spaces("train"), zoo.spaces("test")
    first = next(iter(train.values()))
    anchors = select_anchors(first, args.n_anchors, strategy=args.strategy, random_state=args.seed)
    return zoo, train, test, anchors


def cmd_stitch(args) -> int:
    from .stitching import MODES, stitching_matrix

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
    from .metrics import compare_spaces
    from .relative import relative_projection

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


def cmd_zoo(args) -> int:
    from .zoo import Zoo, build_zoo

    if args.zoo_cmd == "list":
        zoo = Zoo(args.dataset)
        for e in zoo.manifest["encoders"]:
            print(f"{e['name']:<14} arch={e['arch']:<4} seed={e['seed']} latent_dim={e['latent_dim']:<3} test_accuracy={e['test_accuracy']:.4f}")
        return 0
    if args.check:
        bundled = Zoo(args.dataset)
        with tempfile.TemporaryDirectory() as tmp:
            manifest = build_zoo(args.dataset, out_dir=tmp, progress=_progress)
            bad = []
            for e in manifest["encoders"]:
                ref = bundled.entries.get(e["name"])
                if ref is None or ref.get("tensor_sha256") != e["tensor_sha256"]:
                    bad.append(e["name"])
        if bad:
            print(f"NOT bit-for-bit: rebuilt tensors differ for {bad} (different torch/CPU?); "
                  "the test suite checks mlp-s0 within 1e-6")
            return 1
        print(f"bit-for-bit: the tensors of all {len(manifest['encoders'])} rebuilt encoders match the bundled ones")
        return 0
    manifest = build_zoo(args.dataset, out_dir=args.out, progress=_progress)
    for e in manifest["encoders"]:
        print(f"{e['name']:<14} test_accuracy={e['test_accuracy']:.4f} sha256={e['sha256'][:12]}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .anchors import STRATEGIES
    from .datasets import DATASETS
    from .relative import SIMILARITIES
    from .translation import TRANSLATIONS

    p = argparse.ArgumentParser(prog="stitchboard", description="Relative representations and zero-shot stitching.")
    sub = p.add_subparsers(dest="cmd", required=True)

    d = sub.add_parser("dashboard", help="open the Streamlit dashboard (extra args go to `streamlit run`)")
    d.add_argument("--port", type=int, default=8501)
    d.add_argument("--headless", action="store_true", help="do not open a browser window")

    s = sub.add_parser("stitch", help="all-pairs stitching accuracy: absolute, relative, translated")
    c = sub.add_parser("compare", help="space metrics for every pair, absolute vs relative (test split)")
    for q in (s, c):
        q.add_argument("--dataset", default="digits", choices=DATASETS)
        q.add_argument("--n-anchors", type=int, default=100)
        q.add_argument("--seed", type=int, default=0)
        q.add_argument("--strategy", default="random", choices=STRATEGIES)
        q.add_argument("--similarity", default="cosine", choices=SIMILARITIES)
        q.add_argument("--format", default="table", choices=("json", "table"))
    s.add_argument("--center", default=None, choices=("anchors",), help="centre on the anchor mean")
    s.add_argument("--translation", default="orthogonal", choices=TRANSLATIONS, help="method of the translated mode")
    c.add_argument("--k", type=int, default=10, help="neighbourhood size of jaccard and mutual_knn")

    z = sub.add_parser("zoo", help="build or list the bundled encoder zoo")
    zsub = z.add_subparsers(dest="zoo_cmd", required=True)
    zb = zsub.add_parser("build", help="train the zoo deterministically into assets/")
    zb.add_argument("--dataset", default="digits", choices=DATASETS)
    zb.add_argument("--out", default=None, help="output folder (default: assets/<dataset>)")
    zb.add_argument("--check", action="store_true", help="rebuild into a temp dir and compare with the bundled weights")
    zl = zsub.add_parser("list", help="list the bundled encoders")
    zl.add_argument("--dataset", default="digits", choices=DATASETS)
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
        return cmd_zoo(args)
    except (StitchboardError, ValueError, KeyError, FileNotFoundError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
