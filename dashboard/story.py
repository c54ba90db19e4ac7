"""The presenter's story: four steps that tell the paper's result on the bundled default, for a room.

What each step says, which page shows it in full, how the step travels in the URL, and the
figures of the story (one class followed across maps, the stitching bars). The page
(``pages/presenter.py``) draws it; this module holds no streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from core.errors import InvalidInputError
from dashboard.figures import Coloring, plain

__all__ = ["SOURCE", "STEPS", "STEP_PARAM", "ROTATION_DEGREES", "Step", "parse_step", "follow_coloring",
           "next_follow", "stitching_bars"]

#: The story runs on the bundled default dataset, its first two encoders and Explore's first-visit anchors.
SOURCE = "digits"
#: Query parameter holding the step, so a reload (or a shared link) opens the same step.
STEP_PARAM = "step"
#: Step 4 rotates B by this angle in every plane of a random basis (a new basis per click).
ROTATION_DEGREES = 90.0
REL, ABS, FADED = "#1a7f37", "#b42318", "#dcdcdc"


@dataclass(frozen=True)
class Step:
    """One step: a title, one short sentence, and the page that shows it in full.

    Attributes
    ----------
    title : str
    lead : str
        One or two short sentences, markdown; ``{n_anchors}`` is filled in.
    page : str
        Page file, relative to ``dashboard/`` (for ``st.page_link``).
    link : str
        The link's label.
    """

    title: str
    lead: str
    page: str
    link: str


STEPS = (
    Step("Absolute spaces disagree",
         "Two networks learned the same digits. Drawn in A's map, **B's vectors land in the wrong places**.",
         "pages/explore.py", "All four maps: Explore & stitch"),
    Step("Relative spaces agree",
         "Describe every digit by its cosine to {n_anchors} anchor digits (★): **both networks draw the same map**.",
         "pages/explore.py", "Pick your own anchors: Explore & stitch"),
    Step("Stitching works only relatively",
         "A classifier trained on A reads B **with no retraining**, if both speak relative.",
         "pages/stitching.py", "Every encoder pair: Stitching"),
    Step("Rotate B: nothing relative moves",
         "Rotate every vector of B. **Its absolute map moves; angles, so its relative map, do not.**",
         "pages/playground.py", "Other transforms: Invariance playground"),
)


def parse_step(raw) -> int:
    """The step number (1-based) of a query value.

    Raises
    ------
    InvalidInputError
        Not an integer from 1 to ``len(STEPS)``, with the accepted values.
    """
    text = str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= len(STEPS):
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise InvalidInputError(f"step={shown!r} is not a step of the story; use step=1 to step={len(STEPS)}")
    return int(text)


def next_follow(current: str | None, categories) -> str | None:
    """The class followed after ``current``: the next one in ``categories``, then none (all classes) again."""
    cats = list(categories)
    if current not in cats:
        return cats[0] if cats else None
    k = cats.index(current) + 1
    return cats[k] if k < len(cats) else None


def follow_coloring(coloring: Coloring, follow: str | None) -> Coloring:
    """``coloring`` with one class in its colour and every other one faded grey (drawn under it).

    Parameters
    ----------
    coloring : Coloring
        Categorical.
    follow : str or None
        The class to keep; None returns ``coloring`` itself.
    """
    if follow is None or coloring.continuous:
        return coloring
    vals = np.asarray(coloring.values).astype(str)
    rest = "other classes"
    return Coloring(f"{coloring.name} {follow}", np.where(vals == follow, follow, rest), categories=(rest, follow),
                    colors={rest: FADED, follow: coloring.color_of(follow)})


def stitching_bars(readout, *, chance: float | None, height: int = 520) -> go.Figure:
    """Relative against absolute stitching accuracy, one pair of bars per direction, in type a room can read.

    Parameters
    ----------
    readout : sequence of dashboard.slide.Readout
        One per direction (``head``, ``relative``, ``absolute``).
    chance : float, optional
        Drawn as a dashed line.
    height : int, default=520
    """
    heads = [plain(r.head) for r in readout]
    fig = go.Figure()
    for name, color, attr in (("relative", REL, "relative"), ("absolute", ABS, "absolute")):
        vals = [getattr(r, attr) for r in readout]
        fig.add_trace(go.Bar(
            x=heads, y=vals, name=name, marker_color=color, text=[f"{v:.3f}" if np.isfinite(v) else "n/a" for v in vals],
            textposition="outside", textfont=dict(size=38, color=color), cliponaxis=False,
            hovertemplate=f"{name}: %{{y:.3f}}<extra>%{{x}}</extra>",
        ))
    if chance is not None:
        # named in the legend: a label on the line sat under the absolute bar's number, which is near chance
        line = dict(color="#555", width=2, dash="dash")
        fig.add_hline(y=chance, line=line)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line, name=f"chance {chance:.2f}",
                                 hoverinfo="skip"))
    fig.update_layout(
        barmode="group", bargap=0.3, height=height, margin=dict(l=10, r=10, t=30, b=10),
        yaxis=dict(range=[0, 1.18], tickfont=dict(size=20), title=dict(text="test accuracy", font=dict(size=22)),
                   tickvals=[0, 0.25, 0.5, 0.75, 1.0]),
        xaxis=dict(tickfont=dict(size=30)), legend=dict(font=dict(size=26), orientation="h", y=1.08, x=0),
        plot_bgcolor="white",
    )
    return fig
