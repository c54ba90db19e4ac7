"""One section of the reproduction report: what we measured, next to what was published."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Section", "Headline"]


@dataclass(frozen=True)
class Headline:
    """One number of the report's summary table.

    Attributes
    ----------
    effect : str
        What is measured, e.g. "isometry: mean cosine, absolute spaces".
    ours : str
        Our value, formatted.
    published : str
        The reference value and its source, or "" when there is none.
    """

    effect: str
    ours: str
    published: str = ""


@dataclass
class Section:
    """A section of the report.

    Attributes
    ----------
    key : str
        HTML anchor of the section.
    title : str
    protocol : str
        What was run, in a paragraph.
    published : str
        The reference numbers and where they come from.
    tables : list of (str, pandas.DataFrame)
        Caption and table.
    figures : list of (str, plotly.graph_objects.Figure)
        Caption and figure.
    headlines : list of Headline
        This section's rows of the summary table.
    notes : list of str
        Differences from the reference protocol, caveats.
    seconds : float
        Time the section took (set by :func:`core.reproduce.report.build_report`).
    """

    key: str
    title: str
    protocol: str
    published: str = ""
    tables: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    headlines: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    seconds: float = 0.0
