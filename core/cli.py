"""The ``stitchboard`` command line.

Sub-commands
------------
stitchboard dashboard [--port P] [STREAMLIT ARGS...]
stitchboard stitch --dataset digits --n-anchors N --seed S [--strategy random] [--format json|table]
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


def cmd_stitch(args) -> int:
    from .anchors import select_anchors
    from .stitching import stitching_matrix
    from .zoo import Zoo

    zoo = Zoo(args.dataset)
    train, test = zoo.spaces("train"), zoo.spaces("test")
    first = next(iter(train.values()))
    anchors = select_anchors(first, args.n_anchors, strategy=args.strategy, random_state=args.seed)
    res = stitching_matrix(train, test, anchors, progress=_progress if args.format == "table" else None)
    out = {"dataset": args.dataset, **res.to_dict(), "seed": args.seed, "strategy": args.strategy, "head": res.params["head"]}
    if args.format == "json":
        print(json.dumps(out))
        return 0
    import pandas as pd

    for mode in ("absolute", "relative"):
        df = pd.DataFrame(res.scores[mode], index=res.encoders, columns=res.encoders)
        note = " (NaN: dims differ)" if mode == "absolute" else ""
        print(f"\n{mode}: rows = head of encoder i, columns = space of encoder j{note}")
        print(df.round(3).to_string())
    print(
        f"\nnon-stitched mean {res.non_stitched_mean('relative'):.3f} (relative), "
        f"{res.non_stitched_mean('absolute'):.3f} (absolute); stitched mean: "
        f"absolute {res.stitched_mean('absolute'):.3f}, relative {res.stitched_mean('relative'):.3f}"
    )
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
                if ref is None or ref["sha256"] != e["sha256"]:
                    bad.append(e["name"])
        if bad:
            print(f"NOT bit-for-bit: rebuilt weights differ for {bad} (different torch/CPU?)")
            return 1
        print(f"bit-for-bit: all {len(manifest['encoders'])} rebuilt encoders match the bundled sha256")
        return 0
    manifest = build_zoo(args.dataset, out_dir=args.out, progress=_progress)
    for e in manifest["encoders"]:
        print(f"{e['name']:<14} test_accuracy={e['test_accuracy']:.4f} sha256={e['sha256'][:12]}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .anchors import STRATEGIES
    from .datasets import DATASETS

    p = argparse.ArgumentParser(prog="stitchboard", description="Relative representations and zero-shot stitching.")
    sub = p.add_subparsers(dest="cmd", required=True)

    d = sub.add_parser("dashboard", help="open the Streamlit dashboard (extra args go to `streamlit run`)")
    d.add_argument("--port", type=int, default=8501)
    d.add_argument("--headless", action="store_true", help="do not open a browser window")

    s = sub.add_parser("stitch", help="all-pairs stitching accuracy, absolute vs relative")
    s.add_argument("--dataset", default="digits", choices=DATASETS)
    s.add_argument("--n-anchors", type=int, default=100)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--strategy", default="random", choices=STRATEGIES)
    s.add_argument("--format", default="table", choices=("json", "table"))

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
        return cmd_zoo(args)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
