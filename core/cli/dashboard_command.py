"""``stitchboard dashboard``: start the app's server on the default port or the next free one."""

from __future__ import annotations

import socket
import subprocess
import sys

__all__ = ["cmd_dashboard", "free_port", "DEFAULT_PORT"]

#: Streamlit's default port; when it is busy the next free one is taken.
DEFAULT_PORT = 8501
#: How many ports after the default are tried.
PORT_TRIES = 50


def _is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` on every interface (what Streamlit binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("", port))
        except OSError:
            return False
    return True


def free_port(start: int | None = None, *, tries: int = PORT_TRIES) -> int | None:
    """The first free port in ``[start, start + tries)`` (``start`` defaults to 8501), or None when all are taken."""
    start = DEFAULT_PORT if start is None else start
    return next((p for p in range(start, start + tries) if _is_free(p)), None)


def cmd_dashboard(args, extra) -> int:
    import importlib.util

    spec = importlib.util.find_spec("dashboard")
    if spec is None or spec.origin is None:
        print("error: the `dashboard` package is not installed next to `core`", file=sys.stderr)
        return 2
    if args.port is not None:
        if not _is_free(args.port):
            print(f"error: port {args.port} is in use; pick another with --port, or leave --port out to take "
                  "the next free one", file=sys.stderr)
            return 2
        port = args.port
    else:
        port = free_port()
        if port is None:
            print(f"error: ports {DEFAULT_PORT}-{DEFAULT_PORT + PORT_TRIES - 1} are all in use; pick one with --port",
                  file=sys.stderr)
            return 2
        if port != DEFAULT_PORT:
            print(f"Port {DEFAULT_PORT} is in use, so Stitchboard takes port {port}.", file=sys.stderr)
    # dashboard.server = `streamlit run dashboard/app.py` plus a warm-up (imports, default zoo)
    cmd = [
        sys.executable, "-m", "dashboard.server",
        "--browser.gatherUsageStats", "false",
        "--server.port", str(port),
        "--client.toolbarMode", "viewer",
    ]
    if args.headless:
        cmd += ["--server.headless", "true"]
    cmd += extra
    print(f"Stitchboard: http://localhost:{port}", file=sys.stderr)
    print("running:", " ".join(cmd), file=sys.stderr)
    return subprocess.call(cmd)
