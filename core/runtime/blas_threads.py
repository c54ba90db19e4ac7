"""The server's OpenBLAS threads sleep as soon as a BLAS call ends, instead of spinning.

After each call OpenBLAS keeps its idle threads spinning (yielding) for 2**28 CPU cycles,
about 0.1 s, so that a next call finds them awake. The dashboard's server makes small BLAS
calls (a readout's ridge fit, the projection of a few thousand rows), and after each of
them that spin took a CPU from the browsers and the pool's workers on the same machine.
With the shortest timeout OpenBLAS accepts they sleep at once; a large GEMM pays one
wake-up per call (microseconds). The pool's workers run one BLAS thread and never spin.
"""

from __future__ import annotations

import os
import sys

__all__ = ["ENV", "SLEEP_AT_ONCE", "let_blas_threads_sleep"]

ENV = "OPENBLAS_THREAD_TIMEOUT"
#: OpenBLAS's shortest timeout: 2**4 cycles of spinning before an idle thread sleeps.
SLEEP_AT_ONCE = "4"


def let_blas_threads_sleep() -> bool:
    """Ask OpenBLAS to put its idle threads to sleep at once, in this process and its children.

    OpenBLAS reads ``OPENBLAS_THREAD_TIMEOUT`` when it is loaded (with numpy), so call
    this before numpy is imported. A value the user set is kept.

    Returns
    -------
    bool
        Whether it can take effect here: numpy (and so OpenBLAS) is not loaded yet.
    """
    os.environ.setdefault(ENV, SLEEP_AT_ONCE)
    return "numpy" not in sys.modules
