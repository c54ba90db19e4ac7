"""``stitchboard relative`` and ``import``: the user's vector files, projected or converted."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["cmd_relative", "cmd_import"]


def cmd_relative(args) -> int:
    from ..io.streaming import relative_projection_file
    from ..io.vector_files import read_anchor_file

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


def cmd_import(args) -> int:
    import numpy as np

    from ..io.collection_files import load_collection

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
