"""The server's OpenBLAS threads sleep at once (core.runtime.blas_threads), set before numpy loads."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _run(code: str, **env) -> str:
    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_timeout_is_set_before_numpy_loads_and_a_users_value_is_kept():
    code = ("import os; from core.runtime.blas_threads import let_blas_threads_sleep as f; ok = f(); "
            "import numpy; print(ok, os.environ['OPENBLAS_THREAD_TIMEOUT'])")
    assert _run(code) == "True 4"
    assert _run(code, OPENBLAS_THREAD_TIMEOUT="20") == "True 20"
    late = "import numpy; from core.runtime.blas_threads import let_blas_threads_sleep as f; print(f())"
    assert _run(late) == "False"  # too late to take effect: says so


def test_the_server_sets_it_before_anything_imports_numpy():
    # dashboard.server.main, stopped right after the call: numpy was not loaded yet, so OpenBLAS will read the value
    code = ("import os, sys, core.runtime.blas_threads as b\n"
            "orig = b.let_blas_threads_sleep\n"
            "def stop():\n"
            "    print(orig(), os.environ.get('OPENBLAS_THREAD_TIMEOUT')); raise SystemExit(0)\n"
            "b.let_blas_threads_sleep = stop\n"
            "from dashboard import server; server.main([])\n")
    assert _run(code) == "True 4"
