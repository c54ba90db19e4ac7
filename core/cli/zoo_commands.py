"""``stitchboard stitch``, ``compare`` and ``zoo``: the commands on a zoo of encoders (bundled, or ``--files``)."""

from __future__ import annotations

import json
import sys

from ..errors import InvalidInputError

__all__ = ["cmd_stitch", "cmd_compare", "cmd_zoo"]


def _progress(done: int, total: int, what: str) -> None:
    print(f"[{done}/{total}] {what}", file=sys.stderr, flush=True)


def _zoo_and_anchors(args):
    from ..methods.anchors import select_anchors

    if args.files:  # the user's spaces (e.g. what `stitchboard encode` wrote), split as on import
        from ..io.collection_files import load_collection

        zoo = load_collection(args.files, name="files")
        if zoo.labels is None:
            raise InvalidInputError("these files have no labels; stitching and the metrics need a label per sample "
                                    "(a `labels` array in the .npz, or --label-column on import)")
        train, test = zoo.part("train"), zoo.part("test")
        args.dataset = "files"
    else:
        from ..spaces.zoo import Zoo

        zoo = Zoo(args.dataset)
        train, test = zoo.spaces("train"), zoo.spaces("test")
    first = next(iter(train.values()))
    anchors = select_anchors(first, args.n_anchors, strategy=args.strategy, random_state=args.seed)
    return zoo, train, test, anchors


def cmd_stitch(args) -> int:
    from ..methods.stitching import MODES, stitching_matrix

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
    from ..methods.metrics import compare_spaces
    from ..methods.relative import relative_projection

    _, train, test, anchors = _zoo_and_anchors(args)
    names = list(test)
    ref_ids = test[names[0]].ids
    absolute = {n: test[n].vectors[test[n].positions(ref_ids)] for n in names}  # rows aligned by id
    rel = {n: relative_projection(absolute[n], train[n].take(anchors), similarity=args.similarity) for n in names}
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            for kind, Xa, Xb in (("absolute", absolute[a], absolute[b]), ("relative", rel[a], rel[b])):
                m = compare_spaces(Xa, Xb, k=args.k, mrr_k=args.mrr_k or None)
                rows.append({"a": a, "b": b, "space": kind, **{k: (None if v != v else round(v, 6)) for k, v in m.items()}})
    if args.format == "json":
        print(json.dumps({"dataset": args.dataset, "split": "test", "n_anchors": args.n_anchors, "seed": args.seed,
                          "strategy": args.strategy, "similarity": args.similarity, "k": args.k, "mrr_k": args.mrr_k,
                          "pairs": rows}))
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
    from ..spaces.datasets import DATASETS
    from ..spaces.zoo import Zoo
    from ..spaces.zoo_build import build_zoo, check_zoo
    from ..spaces.zoo_onnx import write_zoo_onnx

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
                onnx = f"   ONNX vs torch max |diff| = {r['onnx_max_abs_diff']:.3g}" if "onnx_max_abs_diff" in r else ""
                print(f"{name:<14} {r['verdict']:<16} max |diff| = {r['max_abs_diff']:.3g}{onnx}")
            print(f"{ds}: {rep['verdict']} (tolerance {rep['tolerance']:g}) across {len(rep['encoders'])} rebuilt encoders")
            status = max(status, int(rep["verdict"] == "differs"))
        elif getattr(args, "onnx_only", False):
            manifest = write_zoo_onnx(ds, root=args.out if len(datasets) == 1 else None, progress=_progress)
            for e in manifest["encoders"]:
                if "onnx" in e:
                    print(f"{e['onnx']:<20} sha256={e['onnx_sha256'][:12]} (weights {e['file']}, unchanged)")
        else:
            manifest = build_zoo(ds, out_dir=args.out if len(datasets) == 1 else None, progress=_progress)
            for e in manifest["encoders"]:
                print(f"{e['name']:<14} {_scores(e)} sha256={e['sha256'][:12]}")
    return status
