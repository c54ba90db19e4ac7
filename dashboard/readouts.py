"""The live relative readout of Explore: for a large collection, computed in one server thread.

From :data:`READOUT_IN_BACKGROUND_FROM` samples the readout of an anchor edit costs seconds
of CPU (two heads fitted on every train row), so the page asks this module for it: the
readouts of a pair run one at a time in a thread, a burst of edits computes only the last
one, and the page waits for it by polling, so that a newer interaction's run starts at once.
Smaller collections get :func:`dashboard.loaders.pair_relative_stitching` directly.
"""

from __future__ import annotations

import threading

import streamlit as st

from core.methods.stitching import stitching_matrix
from core.spaces.latent_space import LatentSpace
from dashboard import loaders

__all__ = ["READOUT_IN_BACKGROUND_FROM", "finished_relative_readout", "readout_in_background", "relative_readout",
           "start_relative_readout", "wait_relative_readout"]

#: From this many samples, Explore's readout is computed in a server thread once the maps are laid out, and drawn
#: after them: at 1M rows it costs seconds of CPU, and the maps are what an edit is about.
READOUT_IN_BACKGROUND_FROM = 200_000


class _Background:
    """Readouts computed in one server thread, by key. A request for another anchor set of the same pair drops
    the older ones still queued (the running one finishes): after a burst of edits only the last one waits."""

    def __init__(self, keep: int = 4):
        from concurrent.futures import ThreadPoolExecutor

        self._executor = ThreadPoolExecutor(1, thread_name_prefix="stitchboard-readout")
        self._futures: dict = {}
        self._lock = threading.Lock()
        self._keep = keep

    def get(self, key: tuple, fn, *args, **kwargs):
        """The future of ``fn(*args, **kwargs)`` for ``key``: the one submitted earlier, unless it failed or was dropped."""
        with self._lock:
            fut = self._futures.get(key)
            if not _usable(fut):
                for k, other in self._futures.items():
                    if k[:-1] == key[:-1]:
                        other.cancel()
                self._futures = {k: f for k, f in self._futures.items() if not f.cancelled()}
                fut = self._futures[key] = self._executor.submit(fn, *args, **kwargs)
                while len(self._futures) > self._keep:
                    self._futures.pop(next(iter(self._futures)))
            return fut

    def finished(self, key: tuple):
        """The future for ``key`` if it has a result already, else None (nothing is started)."""
        with self._lock:
            fut = self._futures.get(key)
        return fut if _usable(fut) and fut.done() else None


def _usable(fut) -> bool:
    """A future that is running, queued or has a result (not dropped, not failed)."""
    return fut is not None and not fut.cancelled() and not (fut.done() and fut.exception() is not None)


@st.cache_resource(show_spinner=False)
def _background() -> _Background:
    return _Background()


def readout_in_background(source: str, anchor_ids: tuple) -> bool:
    """Whether the relative readout of ``source`` is computed in the server thread (:func:`start_relative_readout`)."""
    return loaders.collection(source).n_samples >= READOUT_IN_BACKGROUND_FROM and len(anchor_ids) >= 2


def finished_relative_readout(source: str, enc_a: str, enc_b: str, anchor_ids: tuple):
    """The server thread's future of this readout if its result is there already (an undo, a revisit), else None."""
    return _background().finished((source, enc_a, enc_b, tuple(anchor_ids)))


def start_relative_readout(source: str, enc_a: str, enc_b: str, anchor_ids: tuple):
    """For a collection of :data:`READOUT_IN_BACKGROUND_FROM` samples or more, the future of
    :func:`dashboard.loaders.pair_relative_stitching` computed in a server thread (started now if it is not running); else None."""
    if not readout_in_background(source, anchor_ids):
        return None
    train, test = loaders._pair_inputs(source, enc_a, enc_b)
    # an edit's maps are laid out by now: their relative vectors are looked up, not projected again
    relative = loaders.relative_vectors_at_hand(source, list(train), tuple(anchor_ids))
    ids = None if relative is None else {e: loaders.spaces(source, "all")[e].ids for e in relative}
    return _background().get((source, enc_a, enc_b, tuple(anchor_ids)), _readout, train, test, list(anchor_ids),
                             relative, ids)


def _readout(train: dict, test: dict, anchor_ids: list, relative: dict | None, ids: dict | None):
    """The relative stitching of the pair, from every sample's relative vectors when given (by encoder)."""
    spaces = None if relative is None else {e: LatentSpace(R, ids[e], name=e) for e, R in relative.items()}
    return stitching_matrix(train, test, anchor_ids, modes=("relative",), relative_spaces=spaces)


def wait_relative_readout(source: str, enc_a: str, enc_b: str, anchor_ids: tuple, *, should_stop) -> bool:
    """Start the server thread's readout if needed and wait for it; False as soon as ``should_stop()`` is true.

    A run blocked on the readout would hold off a newer interaction's run for as long as the
    readout takes (seconds at 1M rows); polling lets that run start at once.
    """
    from concurrent.futures import wait

    fut = start_relative_readout(source, enc_a, enc_b, anchor_ids)
    while fut is not None and not fut.done():
        if should_stop():
            return False
        wait([fut], timeout=0.1)
    return True


def relative_readout(source: str, enc_a: str, enc_b: str, anchor_ids: tuple):
    """:func:`dashboard.loaders.pair_relative_stitching`, from the server thread of :func:`start_relative_readout` for a large collection."""
    from concurrent.futures import CancelledError

    for _ in range(3):
        fut = start_relative_readout(source, enc_a, enc_b, anchor_ids)
        if fut is None:
            break
        try:
            return fut.result()
        except CancelledError:  # dropped for a newer edit of the same pair in another session: ask again
            continue
    return loaders.pair_relative_stitching(source, enc_a, enc_b, anchor_ids)
