"""Encode a :class:`~core.encode.media.MediaSet` with pretrained encoders into a :class:`~core.spaces.collection.Collection`.

:func:`encode_media` is the one entry point of the dashboard's "Pretrained encoders"
tab and of ``stitchboard encode``. For each :class:`~core.encode.specs.PretrainedSpec`
it looks the vectors up in the disk cache (keyed by the model's hub commit or a hash
of its local files, the data's content hash, the spec and the library versions), and
encodes on a miss, in a bounded worker process when ``isolate=True`` (the dashboard)
or in this process (the CLI). The collection's ``encoders`` table holds each spec and
what it resolved to, so every page shows how a space was made.
"""

from __future__ import annotations

import io
import json
import time

import numpy as np
import pandas as pd

from ..spaces.collection import Collection, default_split
from ..runtime.disk_cache import content_key, package_versions
from ..runtime.pool import shared_pool
from ..runtime.workers import worker_progress, worker_should_stop
from ..errors import InvalidInputError, LoadError
from ..spaces.latent_space import LatentSpace
from .loading import load_encoder
from .media import MediaSet
from .model_files import model_fingerprint
from .specs import PretrainedSpec

__all__ = ["encode_media", "EncodeRate", "cache_key"]

#: Bump when the vectors of an unchanged spec and data would change meaning.
ENCODE_FORMAT = 1


class EncodeRate:
    """Turns row counts into ``"120/240 rows · 35 rows/s · ETA 4 s"`` for progress lines."""

    def __init__(self, total: int):
        self.total, self.start = int(total), None

    def text(self, done: int) -> str:
        """The line after ``done`` rows; the rate is measured from the first report (model loading excluded)."""
        now = time.monotonic()
        if self.start is None:
            self.start = (now, done)  # the first batch includes warm-up; measure from its end
        t0, d0 = self.start
        rate = (done - d0) / (now - t0) if now > t0 and done > d0 else 0.0
        eta = (self.total - done) / rate if rate else None
        s = f"{done:,}/{self.total:,} rows"
        if rate:
            s += f" · {rate:,.0f} rows/s" if rate >= 10 else f" · {rate:.1f} rows/s"
        if eta is not None and done < self.total:
            s += f" · ETA {eta:,.0f} s"
        return s


def cache_key(spec: PretrainedSpec, media: MediaSet, *, fingerprint: str | None = None) -> str:
    """Disk-cache key of one spec's vectors of ``media``."""
    fp = fingerprint if fingerprint is not None else model_fingerprint(spec)
    fields = {k: v for k, v in spec.as_dict().items() if k not in ("batch_size", "name")}
    return content_key("pretrained", ENCODE_FORMAT, json.dumps(fields, sort_keys=True), fp, media.content_key(),
                       media.modality, package_versions("torch", "transformers", "sentence-transformers", "numpy"))


def _encode_payload(spec_dict: dict, modality: str, items: tuple, progress=None, should_stop=None) -> bytes:
    """Load and run one encoder; the vectors and what was resolved, as npz bytes (no pickle)."""
    spec = PretrainedSpec.from_dict(spec_dict)
    enc = load_encoder(spec, modality=modality)
    t0 = time.monotonic()
    Z = enc.encode(items, progress=progress, should_stop=should_stop)
    info = {**enc.describe(), "seconds": time.monotonic() - t0, "notes": enc.notes}
    buf = io.BytesIO()
    np.savez(buf, vectors=Z, info=np.asarray(json.dumps(info)))
    return buf.getvalue()


def _encode_many(spec_dicts: list, modality: str, items: tuple, progress=None, should_stop=None) -> list:
    """Encode with each spec in turn; ``progress(done, n, str(j))`` names the spec's index j."""
    out = []
    for j, d in enumerate(spec_dicts):
        report = None if progress is None else (lambda done, total, _w, _j=j: progress(done, total, str(_j)))
        out.append(_encode_payload(d, modality, items, progress=report, should_stop=should_stop))
    return out


def _encode_in_worker(spec_dicts: list, modality: str, items: tuple) -> list:
    return _encode_many(spec_dicts, modality, items, progress=worker_progress, should_stop=worker_should_stop)


def _unpack(payload: bytes) -> tuple[np.ndarray, dict]:
    with np.load(io.BytesIO(payload), allow_pickle=False) as z:
        Z = np.asarray(z["vectors"], dtype=np.float32)
        info = json.loads(str(z["info"]))
    return Z, info


def encode_media(media: MediaSet, specs, *, cache=None, progress=None, should_stop=None, isolate: bool = False,
                 name: str | None = None, test_size: float = 0.2, random_state: int = 0, limits=None) -> Collection:
    """Encode texts or images with several pretrained encoders: one space each.

    Parameters
    ----------
    media : MediaSet
    specs : sequence of PretrainedSpec
        One space per spec, in order; names must end up unique (repeats get ``-2``...).
    cache : core.runtime.disk_cache.DiskCache, optional
        Where vectors are kept between runs; None encodes every time.
    progress : callable(done, total, what), optional
        ``done``/``total`` count rows over all specs; ``what`` says which encoder,
        the rows/s and the ETA.
    should_stop : callable() -> bool, optional
        Polled between batches; True raises :class:`~core.errors.CancelledError`.
    isolate : bool, default=False
        Run the encoders in a bounded worker process of their own (:mod:`core.runtime.pool`).
    name : str, optional
        Collection name; the media set's by default.
    test_size, random_state
        The seeded split, unless the media set brings its own (the bundled data).
    limits : core.runtime.workers.WorkerLimits, optional

    Returns
    -------
    Collection
        ``encoders`` has one row per spec: name, dim, source, model, revision, pooling,
        layer, normalize, device, seconds, rows_per_s, cached.
    """
    specs = list(specs)
    if not specs:
        raise InvalidInputError("no encoders given: add at least one model")
    if not all(isinstance(s, PretrainedSpec) for s in specs):
        raise InvalidInputError("specs must be PretrainedSpec objects")
    names, seen = [], {}
    for s in specs:
        base = s.display_name
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    n, k = len(media), len(specs)
    total = n * k
    labels = [f"{nm} ({i + 1}/{k})" if k > 1 else nm for i, nm in enumerate(names)]
    keys, results = [], {}
    for i, spec in enumerate(specs):
        if progress is not None:
            progress(0, total, f"{labels[i]}: checking the model and the cache")
        keys.append(cache_key(spec, media))
        hit = cache.get("pretrained", keys[i]) if cache is not None else None
        if hit is not None and "payload" in hit:
            results[i] = (*_unpack(hit["payload"].tobytes()), True)
    misses = [i for i in range(k) if i not in results]
    if misses:
        done_before = len(results) * n
        rates = {j: EncodeRate(n) for j in range(len(misses))}

        def report(done, _total, what):
            if progress is None:
                return
            if not what.isdigit():  # the pool's own news ("starting a worker process"), before any row
                progress(done_before, total, f"{labels[misses[0]]}: {what}")
                return
            j = int(what)
            progress(done_before + j * n + done, total, f"{labels[misses[j]]}: {rates[j].text(int(done))}")

        if progress is not None:
            progress(done_before, total, f"{labels[misses[0]]}: loading the model"
                     + (" in a worker process" if isolate else ""))
        todo = [specs[i].as_dict() for i in misses]
        if isolate:  # a process of its own: the model's code and files never share one with another job
            payloads = shared_pool().run(_encode_in_worker, todo, media.modality, media.items, progress=report,
                                         should_stop=should_stop, limits=limits, fresh=True,
                                         what="encoding with " + ", ".join(specs[i].model for i in misses))
        else:
            payloads = _encode_many(todo, media.modality, media.items, progress=report, should_stop=should_stop)
        for i, payload in zip(misses, payloads):
            Z, info = _unpack(payload)
            if Z.shape[0] != n:
                raise LoadError(f"{specs[i].model} returned {Z.shape[0]} vectors for {n} samples")
            if cache is not None:
                cache.put("pretrained", keys[i], {"payload": np.frombuffer(payload, dtype=np.uint8)})
            results[i] = (Z, info, False)
    spaces_Z, rows, notes = [], [], list(media.notes)
    for i, (spec, nm) in enumerate(zip(specs, names)):
        Z, info, cached = results[i]
        secs = float(info.get("seconds") or 0.0)
        notes += [nt for nt in info.get("notes", []) if nt not in notes]
        spaces_Z.append(Z)
        pooling = spec.pooling if spec.pooling != "default" else f"default ({info.get('resolved_pooling')})"
        rows.append({
            "name": nm, "dim": int(Z.shape[1]), "source": spec.source, "model": spec.model,
            "revision": info.get("resolved_revision") or spec.revision or "local folder",
            "pooling": pooling, "layer": "last" if spec.layer is None else str(int(spec.layer)),
            "n_layers": info.get("n_layers"), "normalize": bool(spec.normalize),
            "device": info.get("resolved_device"), "seconds": round(secs, 2),
            "rows_per_s": round(n / secs, 1) if secs else None, "cached": cached,
            "spec": json.dumps(spec.as_dict(), sort_keys=True),
        })
    if progress is not None:
        progress(total, total, "done")
    return _collection(media, names, spaces_Z, rows, notes, name=name, test_size=test_size, random_state=random_state)


def _default_name(data: str, names) -> str:
    joined = " vs ".join(names)
    return f"{data}: {joined if len(joined) <= 60 else joined[:59] + '…'}"


def _collection(media, names, spaces_Z, rows, notes, *, name, test_size, random_state) -> Collection:
    ids = np.asarray(media.ids)
    target_names, labels = (), None
    if media.labels is not None:
        target_names, labels = np.unique(np.asarray(media.labels).astype(str), return_inverse=True)
        target_names = tuple(str(t) for t in target_names)
        labels = labels.astype(np.int64)
    split = media.meta.get("split")
    if split is None:
        split = default_split(ids, labels if len(target_names) > 1 else None, test_size=test_size,
                              random_state=random_state)
    spaces = {nm: LatentSpace(Z, ids, labels=labels, name=nm, meta={"kind": "pretrained", **rows[j]})
              for j, (nm, Z) in enumerate(zip(names, spaces_Z))}
    samples = pd.DataFrame({"id": ids, "split": np.asarray(split)})
    if labels is not None:
        samples["label"] = np.asarray(target_names, dtype=object)[labels]
    if media.columns is not None:
        for c in media.columns.columns:
            if c not in samples.columns:
                samples[c] = media.columns[c].to_numpy()
    return Collection(
        name=name or _default_name(media.name, names), spaces=spaces, split=np.asarray(split), target_names=target_names, samples=samples,
        images=media.thumbnails, encoders=pd.DataFrame(rows), notes=tuple(notes),
        meta={"source": "pretrained", "modality": media.modality, "data": media.meta.get("file") or media.name,
              "specs": [json.loads(r["spec"]) for r in rows]},
    )
