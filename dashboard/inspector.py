"""Show samples themselves: a digit as an image, a sentence as text, a row as its values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.spaces.describe import metadata_columns
from dashboard import tables, text


def image_of(coll, sample_id, *, scale: int = 10) -> np.ndarray | None:
    """The sample as a dark-on-white grey image, upscaled by pixel repetition (None if no image)."""
    if coll.images is None:
        return None
    pos = int(coll.spaces[coll.names[0]].positions([sample_id])[0])
    img = np.asarray(coll.images[pos], dtype=np.float32)
    lo, hi = float(img.min()), float(img.max())
    img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return np.kron(1.0 - img, np.ones((scale, scale), dtype=np.float32))


def row_of(coll, sample_id) -> pd.Series:
    df = coll.samples
    pos = int(coll.spaces[coll.names[0]].positions([sample_id])[0])
    return df.iloc[pos]


def show_sample(coll, sample_id, *, caption: str = "", image_scale: int = 10) -> None:
    """One sample in the current container: image, text or feature values, plus its label."""
    row = row_of(coll, sample_id)
    head = f"**id {text.md(sample_id)}** · {row['split']}" + (f" · label **{text.md(row['label'])}**" if "label" in row.index else "")
    img = image_of(coll, sample_id, scale=image_scale)
    if img is not None:
        st.image(img, clamp=True)
        st.caption(head.replace("**", "") + (f" · {text.md(caption)}" if caption else ""))
        return
    st.markdown(head + (f" · {text.md(caption)}" if caption else ""))
    extra = metadata_columns(coll)
    text_cols = [c for c in extra if not pd.api.types.is_numeric_dtype(coll.samples[c])]
    for c in text_cols:
        st.markdown(f"> {text.md(row[c])}")
    num_cols = [c for c in extra if c not in text_cols]
    if num_cols:
        def fmt(v):
            return f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)

        st.markdown("  \n".join(f"{text.code(c)} {text.md(fmt(row[c]))}" for c in num_cols[:12]))
        if len(num_cols) > 12:
            with st.expander(f"all {len(num_cols)} values"):
                st.dataframe(row[num_cols].rename("value").to_frame(), width="stretch")


def show_grid(coll, sample_ids, *, captions=None, per_row: int = 6, image_scale: int = 8) -> None:
    """Several samples: images in a grid, text and rows as a table."""
    sample_ids = list(sample_ids)
    captions = list(captions) if captions is not None else [""] * len(sample_ids)
    if not sample_ids:
        st.caption("No samples to show.")
        return
    if coll.images is not None:
        for start in range(0, len(sample_ids), per_row):
            cols = st.columns(per_row)
            for col, sid, cap in zip(cols, sample_ids[start:start + per_row], captions[start:start + per_row]):
                with col:
                    st.image(image_of(coll, sid, scale=image_scale), caption=f"id {sid}" + (f" · {cap}" if cap else ""), clamp=True)
        return
    pos = coll.spaces[coll.names[0]].positions(sample_ids)
    df = coll.samples.iloc[pos].reset_index(drop=True)
    if any(captions):
        df.insert(1, "outcome", captions)
    tables.show(df)  # human headers, "—" for gaps, and short tables drawn whole: a sentence is never cut
