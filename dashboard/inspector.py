"""Show samples themselves: a digit as an image, a sentence as text, a row as its values; lists of samples
(a selection, search matches, nearest neighbours) as tables with a thumbnail or the text."""

from __future__ import annotations

import base64
import io

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


def similarity_column(sims) -> dict:
    """The neighbours' cosine similarities as a table column; when they all round to 1.000 (a saturated
    space), their distance 1 − cos instead, which still tells them apart."""
    sims = np.asarray(sims, dtype=float)
    if sims.min() > 0.9995:
        return {"1 − cos": [f"{1 - s:.2g}" for s in sims]}
    return {"cos": [f"{s:.3f}" for s in sims]}


def thumbnail_uri(coll, sample_id, *, size: int = 28) -> str | None:
    """The sample's image as a small PNG ``data:`` URI (a table's image cell), or None without images."""
    from PIL import Image

    img = image_of(coll, sample_id, scale=1)
    if img is None:
        return None
    pil = Image.fromarray(np.rint(img * 255).astype(np.uint8)).resize((size, size), Image.NEAREST)
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def sample_table(coll, sample_ids, *, extra: dict | None = None, text_chars: int | None = 140,
                 split: bool = True) -> pd.DataFrame:
    """One row per sample: its image (if any), id, label, split, then its text or first feature values.

    Parameters
    ----------
    coll : Collection
    sample_ids : sequence of ids
    extra : dict of str -> sequence, optional
        More columns, one value per sample (e.g. a similarity), placed after the id.
    text_chars : int or None, default=140
        Longer text is cut with "…"; None keeps it whole.
    split : bool, default=True
        Include the ``split`` column.

    Returns
    -------
    pandas.DataFrame
        Human column names; no missing cells (an absent value is "—").
    """
    sample_ids = list(sample_ids)
    pos = coll.spaces[coll.names[0]].positions(sample_ids) if sample_ids else np.array([], dtype=np.int64)
    df = coll.samples.iloc[pos].reset_index(drop=True)
    out = pd.DataFrame()
    if coll.images is not None:
        out["image"] = [thumbnail_uri(coll, i) for i in sample_ids]
    out["id"] = df["id"].astype(str)
    for name, values in (extra or {}).items():
        out[name] = list(values)
    if "label" in df.columns:
        out["label"] = df["label"].astype(str)
    if split:
        out["split"] = df["split"].astype(str)
    meta = metadata_columns(coll)
    text_cols = [c for c in meta if not pd.api.types.is_numeric_dtype(coll.samples[c])]
    for c in text_cols[:1]:
        out[c.replace("_", " ")] = [t if text_chars is None or len(t) <= text_chars else t[: text_chars - 1] + "…"
                                    for t in df[c].astype(str)]
    if not text_cols:
        for c in [c for c in meta if c not in text_cols][:4]:
            out[c.replace("_", " ")] = [f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v) for v in df[c]]
    return out.fillna("—")


def show_table(coll, sample_ids, *, key: str, extra: dict | None = None, height: int | str = "auto",
               selectable: bool = False, split: bool = True) -> int | None:
    """:func:`sample_table` as a dataframe (images as thumbnails); returns the row the user picked, if ``selectable``.

    A list of texts that is only read (not ``selectable``) is drawn whole by :func:`dashboard.tables.show`:
    a grid cuts a sentence to its column's width, and half a page's width cuts most of them.
    """
    if not selectable and coll.images is None:
        tables.show(sample_table(coll, sample_ids, extra=extra, split=split, text_chars=None),
                    height=height if isinstance(height, int) else None)
        return None
    df = sample_table(coll, sample_ids, extra=extra, split=split)
    config = {"image": st.column_config.ImageColumn("image", width="small")} if "image" in df.columns else None
    kw = dict(on_select="rerun", selection_mode="single-row") if selectable else {}
    event = st.dataframe(df, hide_index=True, width="stretch", column_config=config, key=key, height=height, **kw)
    rows = list(getattr(getattr(event, "selection", None), "rows", None) or []) if selectable else []
    return rows[0] if rows and rows[0] < len(df) else None
