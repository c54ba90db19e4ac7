"""A callback at every UMAP epoch and every t-SNE iteration, for progress and cancellation.

umap-learn and scikit-learn's t-SNE have no callback of their own, but both run their
optimisation as a Python loop around a compiled step:

- umap-learn's ``umap.layouts.optimize_layout_*`` iterate ``tqdm(range(n_epochs))``;
- scikit-learn's ``TSNE`` calls ``sklearn.manifold._t_sne._gradient_descent``, which
  calls its ``objective`` once per iteration.

:func:`iteration_hook` wraps those two module attributes, once per process and only
when first needed, with pass-through versions that call the hook active *in the
current thread or context* (a :class:`contextvars.ContextVar`) before each
epoch/iteration. Without an active hook they behave exactly like the originals (the
same calls, the same results), so other threads and other users of umap/scikit-learn
are unaffected. A hook may raise (e.g. :class:`core.errors.CancelledError`): the
exception leaves the loop between two steps, outside any lock. If a future release
renames these attributes, nothing is wrapped and only the coarser stage checks of
:mod:`core.runtime.progress` remain; ``tests/core/test_layout.py`` checks that hooks fire.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from typing import Callable, Iterator

__all__ = ["iteration_hook", "installed"]

Hook = Callable[[int, int], None]

_HOOK: contextvars.ContextVar[Hook | None] = contextvars.ContextVar("stitchboard_iteration_hook", default=None)
_LOCK = threading.Lock()
_MARK = "_stitchboard_hook"
_done: set[str] = set()


@contextlib.contextmanager
def iteration_hook(hook: Hook | None) -> Iterator[None]:
    """Within the block, call ``hook(i, n)`` before UMAP epoch / t-SNE iteration ``i`` of ``n``.

    ``n`` is the length of the loop being run: a UMAP fit's or transform's epochs, or
    the end of the current t-SNE stage (250 for early exaggeration, then ``max_iter``),
    with ``i`` counted from 0 over the whole t-SNE run. ``hook=None`` does nothing.
    """
    if hook is None:
        yield
        return
    _install()
    token = _HOOK.set(hook)
    try:
        yield
    finally:
        _HOOK.reset(token)


def installed() -> set[str]:
    """Which libraries are hooked so far: a subset of ``{"umap", "tsne"}``."""
    return set(_done)


def _install() -> None:
    with _LOCK:
        if "umap" not in _done:
            try:
                import umap.layouts as ul
            except ImportError:  # pragma: no cover - umap-learn is a dependency
                ul = None
            if ul is not None and callable(getattr(ul, "tqdm", None)):
                if not getattr(ul.tqdm, _MARK, False):
                    ul.tqdm = _wrap_tqdm(ul.tqdm)
                _done.add("umap")
        if "tsne" not in _done:
            from sklearn.manifold import _t_sne

            if callable(getattr(_t_sne, "_gradient_descent", None)):
                if not getattr(_t_sne._gradient_descent, _MARK, False):
                    _t_sne._gradient_descent = _wrap_gradient_descent(_t_sne._gradient_descent)
                _done.add("tsne")


def _wrap_tqdm(real):
    @functools.wraps(real)
    def tqdm(iterable=None, *args, **kwargs):
        bar = real(iterable, *args, **kwargs)
        hook = _HOOK.get()
        if hook is None:
            return bar
        try:
            n = len(iterable)
        except TypeError:
            n = 0
        return _hooked(bar, hook, n)

    setattr(tqdm, _MARK, True)
    return tqdm


def _hooked(bar, hook: Hook, n: int):
    try:
        for i, item in enumerate(bar):
            hook(i, n)
            yield item
    finally:
        bar.close()


def _wrap_gradient_descent(real):
    @functools.wraps(real)
    def _gradient_descent(objective, p0, *args, **kwargs):
        hook = _HOOK.get()
        if hook is None:
            return real(objective, p0, *args, **kwargs)
        it = kwargs.get("it", args[0] if args else 0)
        n = kwargs.get("max_iter", args[1] if len(args) > 1 else 0)
        count = [it]

        def hooked_objective(p, *a, **k):
            hook(count[0], n)
            count[0] += 1
            return objective(p, *a, **k)

        return real(hooked_objective, p0, *args, **kwargs)

    setattr(_gradient_descent, _MARK, True)
    return _gradient_descent
