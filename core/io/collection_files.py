"""Bring your own: embeddings files, ONNX models and safetensors weights -> a Collection.

One entry point, :func:`load_collection`, turns the user's files into parallel
:class:`~core.spaces.latent_space.LatentSpace` objects sharing one id order and one split:

- **embeddings files**, one per space (:mod:`core.io.embeddings`): ``.npy`` (a 2-D
  array), ``.npz`` (arrays ``vectors``, optional ``ids`` and ``labels``), ``.csv`` and
  ``.parquet`` (numeric vector columns, or one list column, plus optional id and label
  columns);
- **models** applied to one **data table** (:mod:`core.io.models`; CSV/parquet: feature
  columns + optional id/label columns): ``.onnx`` (run with onnxruntime) or
  ``.safetensors`` weights of a zoo architecture named by a JSON sidecar
  ``{"arch": "mlp", "config": {...}}``.

Nothing is ever unpickled: ``np.load(allow_pickle=False)``, safetensors, onnxruntime,
pandas/pyarrow readers. ``.pt``/``.pkl``/``.joblib`` files are refused with a message
saying how to export them safely (:mod:`core.io.files`).

Matching rules (several files form parallel spaces):

- every file has ids -> rows are matched **by id**, never by order; ids that are not
  in every file are an error (which files, how many match), unless ``intersect=True``;
- no file has ids -> rows are matched **by order**, only if the row counts agree, and
  the collection's ``notes`` say so;
- some files have ids -> the others take those ids by order (counts must agree), noted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InvalidInputError, LoadError, MismatchError
from ..spaces.collection import Collection, default_split
from ..spaces.latent_space import LatentSpace
from .embeddings import EMBEDDING_FORMATS, read_embeddings
from .files import ID_COLUMNS, ReadFile, pick_column, read_table, refuse_pickles
from .models import MODEL_FORMATS, encode_table, load_model

__all__ = ["load_collection"]


def _match(spaces: list[LatentSpace], *, intersect: bool) -> tuple[list[LatentSpace], list[str]]:
    notes = []
    with_ids = [s for s in spaces if s.meta.get("has_ids", True)]
    without = [s for s in spaces if not s.meta.get("has_ids", True)]
    if without:
        ref = with_ids[0] if with_ids else without[0]
        bad = [f"{s.meta.get('file', s.name)} ({len(s)} rows)" for s in without if len(s) != len(ref)]
        if bad:
            raise MismatchError(
                f"files without ids can only be matched by row order when row counts agree: "
                f"{ref.meta.get('file', ref.name)} has {len(ref)} rows, but {', '.join(bad)}. Add an id column "
                "(or 'ids' array) to every file"
            )
        names = ", ".join(s.meta.get("file", s.name) for s in without)
        if with_ids:
            notes.append(f"{names}: no ids, so rows were matched BY ORDER to the ids of {ref.meta.get('file', ref.name)}")
        else:
            notes.append(f"no file has ids, so rows were matched BY ORDER (row i is the same sample in every file): {names}")
        spaces = [
            s if s.meta.get("has_ids", True) else
            LatentSpace(s.vectors, ref.ids, labels=s.labels, name=s.name, meta={**s.meta, "ids_from": ref.name})
            for s in spaces
        ]
    first = spaces[0]
    common = first.ids
    for s in spaces[1:]:
        common = np.intersect1d(common, s.ids)
    problems = [(s, len(np.intersect1d(s.ids, common))) for s in spaces if len(s) != len(common)]
    if problems:
        detail = "; ".join(f"{s.meta.get('file', s.name)}: {len(s)} ids" for s in spaces)
        if len(common) == 0:
            raise MismatchError(f"the files share no ids ({detail}); they are not the same samples")
        if not intersect:
            raise MismatchError(
                f"ids do not match across files: only {len(common)} ids are in every file ({detail}). Fix the ids, or "
                f"load with intersect=True (CLI --intersect; app: Options › Keep only shared ids) to use the {len(common)} shared samples"
            )
        notes.append(f"kept the {len(common)} ids present in every file ({detail}); the other rows were dropped as requested")
    order = common if len(common) != len(first) else first.ids
    return [s.subset(order) if not np.array_equal(s.ids, order) else s for s in spaces], notes


def _unify_labels(spaces: list[LatentSpace]) -> tuple[list[LatentSpace], tuple, list[str]]:
    labelled = [s for s in spaces if s.labels is not None]
    if not labelled:
        return spaces, (), ["no labels: classification stitching is unavailable (add a label column to show it)"]
    ref = labelled[0]
    for s in labelled[1:]:
        if not np.array_equal(np.asarray(s.labels).astype(str), np.asarray(ref.labels).astype(str)):
            n_diff = int((np.asarray(s.labels).astype(str) != np.asarray(ref.labels).astype(str)).sum())
            raise MismatchError(
                f"labels disagree between {ref.meta.get('file', ref.name)} and {s.meta.get('file', s.name)} for "
                f"{n_diff} samples; keep labels in one file only, or make them agree"
            )
    raw = np.asarray(ref.labels)
    classes, y = np.unique(raw.astype(str) if raw.dtype.kind not in "iub" else raw, return_inverse=True)
    notes = []
    if len(classes) < 2:
        notes.append(f"all samples have the same label ({classes[0]!s}): classification stitching is unavailable")
    out = [LatentSpace(s.vectors, s.ids, labels=y.astype(np.int64), name=s.name, meta=s.meta) for s in spaces]
    return out, tuple(str(c) for c in classes), notes


def load_collection(
    files,
    *,
    names=None,
    table=None,
    sidecars=None,
    name: str = "uploaded",
    id_column: str | None = None,
    label_column: str | None = None,
    intersect: bool = False,
    test_size: float = 0.2,
    random_state: int = 0,
    max_bytes: int | None = None,
) -> Collection:
    """Turn the user's files into a :class:`~core.spaces.collection.Collection` of parallel spaces.

    Parameters
    ----------
    files : sequence of path, (name, bytes) or uploaded file
        Embeddings files (one space each) and/or models (``.onnx``,
        ``.safetensors``), in the order the spaces should appear. ``.json`` files are
        taken as sidecars of the ``.safetensors`` file with the same stem.
    names : sequence of str, optional
        Space names, one per embeddings/model file; file stems by default.
    table : path, (name, bytes) or uploaded file, optional
        The data table the models encode; required when ``files`` holds models.
    sidecars : dict of str -> dict or file, optional
        JSON sidecars by safetensors file stem, when not passed among ``files``.
    name : str, default="uploaded"
        Collection name.
    id_column, label_column : str, optional
        Column names in CSV/parquet files (defaults: ``id``, ``label`` and variants).
    intersect : bool, default=False
        Keep only ids present in every file instead of refusing partial overlap.
    test_size : float, default=0.2
    random_state : int, default=0
        Seed of the (stratified when possible) train/test split.
    max_bytes : int, optional
        Per-file size limit.

    Returns
    -------
    Collection
        ``notes`` lists how rows were matched and anything the user must know.
    """
    rfs = [ReadFile.of(f, max_bytes=max_bytes) for f in files]
    if not rfs:
        raise InvalidInputError("no files given; pass at least one embeddings file or model")
    side = dict(sidecars or {})
    for rf in rfs:
        if rf.suffix == ".json":
            side[rf.stem] = rf
    items = [rf for rf in rfs if rf.suffix != ".json"]
    if not items:
        raise InvalidInputError(
            f"only JSON sidecars given ({', '.join(rf.name for rf in rfs)}); add the .safetensors weights they "
            "describe (and a data table), or embeddings files"
        )
    for rf in items:
        refuse_pickles(rf)
        if rf.suffix not in EMBEDDING_FORMATS + MODEL_FORMATS:
            raise LoadError(
                f"{rf.name}: unsupported format {rf.suffix or '(no suffix)'}; embeddings: {list(EMBEDDING_FORMATS)}, "
                f"models: {list(MODEL_FORMATS)} (+ .json sidecar)"
            )
    if names is not None:
        names = [str(n) for n in names]
        if len(names) != len(items):
            raise InvalidInputError(f"names has {len(names)} entries but there are {len(items)} spaces; give one per file")
    else:
        names = [rf.stem for rf in items]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InvalidInputError(
            f"space names must be unique; {dup} appear more than once: rename the files (or pass names=...)"
        )
    models = [rf for rf in items if rf.suffix in MODEL_FORMATS]
    table_df = None
    if models:
        if table is None:
            raise InvalidInputError(
                f"{models[0].name} is a model: also give the data table it should encode (CSV/parquet with feature "
                "columns and optional id/label columns)"
            )
        trf = ReadFile.of(table, max_bytes=max_bytes)
        table_df = (trf.name, read_table(trf))
    spaces = []
    for rf, nm in zip(items, names):
        if rf.suffix in MODEL_FORMATS:
            model = load_model(rf, sidecar=side.get(rf.stem))
            spaces.append(encode_table(table_df[1], model, name=nm, id_column=id_column, label_column=label_column))
            spaces[-1].meta.update({"file": rf.name, "table": table_df[0],
                                    "has_ids": pick_column(table_df[1], id_column, ID_COLUMNS, "id", table_df[0]) is not None})
        else:
            spaces.append(read_embeddings(rf, name=nm, id_column=id_column, label_column=label_column))
    spaces, notes = _match(spaces, intersect=intersect)
    spaces, target_names, label_notes = _unify_labels(spaces)
    notes += label_notes
    ids = spaces[0].ids
    labels = spaces[0].labels
    split = default_split(ids, labels if target_names and len(target_names) > 1 else None,
                          test_size=test_size, random_state=random_state)
    samples = pd.DataFrame({"id": ids, "split": split})
    if labels is not None:
        samples["label"] = np.asarray(target_names, dtype=object)[labels]
    if table_df is not None:
        tdf = table_df[1]
        id_col = pick_column(tdf, id_column, ID_COLUMNS, "id", table_df[0])
        key = tdf[id_col].to_numpy() if id_col is not None else np.arange(len(tdf))
        feats = tdf.set_axis(key).drop(columns=[c for c in (id_col,) if c is not None])
        feats = feats.loc[ids].reset_index(drop=True)
        for c in feats.columns:
            if c not in samples.columns:
                samples[c] = feats[c].to_numpy()
    rows = []
    for rf, s in zip(items, spaces):
        rows.append({"name": s.name, "dim": s.n_dims, "file": rf.name, "kind": s.meta.get("kind"),
                     "rows_in_file": None})
    return Collection(
        name=name,
        spaces={s.name: LatentSpace(s.vectors, s.ids, labels=s.labels, name=s.name, meta=s.meta) for s in spaces},
        split=split,
        target_names=target_names,
        samples=samples,
        encoders=pd.DataFrame(rows).drop(columns=["rows_in_file"]),
        notes=tuple(notes),
        meta={"source": "upload", "files": [rf.name for rf in rfs], "intersect": intersect,
              "split": {"test_size": test_size, "random_state": random_state}},
    )
