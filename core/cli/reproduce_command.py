"""``stitchboard reproduce``: the paper's central effects on the bundled data, as one HTML report."""

from __future__ import annotations

import sys
import time

__all__ = ["cmd_reproduce"]


class _StderrProgress:
    """``progress(done, total, what)`` as one line per stage plus a percentage now and then, on stderr."""

    def __init__(self, quiet: bool):
        self.quiet, self.stage, self.last, self.start = quiet, None, -1.0, time.perf_counter()

    def __call__(self, done: float, total: float, what: str) -> None:
        if self.quiet:
            return
        stage = what.split(" · ")[0]
        pct = 100 * done / total if total else 100.0
        if stage != self.stage or pct - self.last >= 5 or done == total:
            self.stage, self.last = stage, pct
            print(f"[{pct:5.1f}% {time.perf_counter() - self.start:5.0f} s] {what}", file=sys.stderr, flush=True)


def cmd_reproduce(args) -> int:
    from pathlib import Path

    from ..errors import InvalidInputError
    from ..reproduce.report import build_report, write_report

    folder = Path(args.out).expanduser().resolve().parent
    if not folder.is_dir():  # before a minute of work, not after
        raise InvalidInputError(f"--out {args.out}: the folder {folder} does not exist; create it or choose another path")
    report = build_report(progress=_StderrProgress(args.quiet))
    path = write_report(report, args.out)
    heads = report.headlines()
    width = max(len(e) for e in heads["effect"])
    print(f"{'effect':<{width}}  {'ours':>20}  published")
    for _, r in heads.iterrows():
        print(f"{r['effect']:<{width}}  {r['ours']:>20}  {r['published']}")
    print(f"\n{report.pretrained_note}")
    print(f"report written to {path} ({path.stat().st_size / 1e6:.1f} MB, {report.seconds:.0f} s)")
    return 0
