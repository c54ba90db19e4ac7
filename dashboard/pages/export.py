"""Share & export: save or load the whole session, share a link, download data and tables."""

import json

import pandas as pd
import streamlit as st

from core.io.export import csv_bytes, layout_table
from dashboard import anchor_state, bootstrap, controls, loaders, panels, results, share, text

bootstrap.prepare()
source, coll, enc_a, enc_b = controls.pair_setup()
controls.anchors_badge()
anchors = anchor_state.ids()

st.title("Share & export")
share.show_url_error()
controls.what_note(
    "Everything you chose (dataset, encoders, anchors, highlighted samples, strategy, seed, layout, colours) fits "
    "in a small JSON file: save it, send it, load it back. The key choices are also in this page's address, so "
    "a copied link reopens the same view. Below: the data behind the views, by sample id."
)


def on_load() -> None:
    f = st.session_state.get("session_file")
    if f is None:
        st.session_state[share.SESSION_ERROR] = "Choose a session JSON file first."
        return
    share.load_session_text(f.getvalue())


st.subheader("Session")
with panels.panel("Session"):
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Save**")
        share.download("Save session (JSON)", share.session_json(), "stitchboard_session.json", "application/json",
                       key="dl_session")
        with st.expander("What is saved"):
            st.json(share.current_session(), expanded=False)
    with c2:
        st.markdown("**Load**")
        # a new file: the last Load's message was about another one
        st.file_uploader("Session file", type=["json"], key="session_file", max_upload_size=1,
                         on_change=share.clear_session_message)
        st.button("Load session", on_click=on_load, key="btn_load_session", type="primary")
        if st.session_state.get(share.SESSION_ERROR):
            st.error(text.md(st.session_state[share.SESSION_ERROR]))
        elif st.session_state.get(share.SESSION_OK):
            st.success(text.md(st.session_state[share.SESSION_OK]))

st.subheader("Link")
with panels.panel("Link"):
    query = share.current_query()
    st.caption("Your browser's address bar already holds this query string; copy the address to share the view. "
               "Highlighted samples and layout parameters travel in the session file, not in the link.")
    st.code("?" + "&".join(f"{k}={v}" for k, v in query.items()), language=None, wrap_lines=True)

st.subheader("Data")
with panels.panel("Data"):
    d = st.columns(3)
    with d[0]:
        st.markdown("**Anchors**")
        share.download("Anchors (JSON)", lambda: json.dumps({"dataset": source, "anchors": list(anchors)}, indent=1),
                       f"anchors_{coll.name}.json", "application/json", key="dl_anchors_x")
        st.caption(f"{len(anchors)} ids")
    with d[1]:
        st.markdown("**Relative representations**")
        enc = st.selectbox("Encoder", coll.names, key="x_enc", index=coll.names.index(enc_a))
        if len(anchors) >= 1:
            share.download("CSV", lambda: loaders.relative_csv(source, enc, anchors), f"relative_{enc}.csv", "text/csv",
                           key="dl_rel_csv")
            share.download("Parquet", lambda: loaders.relative_parquet(source, enc, anchors), f"relative_{enc}.parquet",
                           "application/octet-stream", key="dl_rel_pq")
            st.caption(f"{coll.n_samples:,} rows × {len(anchors)} anchor columns, plus id/split/label.")
        else:
            st.caption("No anchors: nothing to project on.")
    with d[2]:
        st.markdown("**Map coordinates**")
        method = st.session_state.get("method", "pca")
        params = (int(st.session_state["n_neighbors"]) if method == "umap" else 15,
                  float(st.session_state["min_dist"]) if method == "umap" else 0.1,
                  float(st.session_state["perplexity"]) if method == "tsne" else 30.0)
        frame = st.session_state.get("frame", "A")

        def coords_csv(m: str) -> bytes:
            p = params if m == method else (15, 0.1, 30.0)
            maps = {}
            LA, LB, _ = results.layouts(source, enc_a, enc_b, None, m, frame, *p)
            maps.update(absolute_A=LA, absolute_B=LB)
            if len(anchors) >= 2:
                RA, RB, _ = results.layouts(source, enc_a, enc_b, anchors, m, frame, *p)
                maps.update(relative_A=RA, relative_B=RB)
            return csv_bytes(layout_table(coll, maps))

        share.download("PCA maps (CSV)", lambda: coords_csv("pca"), f"layout_{coll.name}_pca.csv", "text/csv", key="dl_lay_pca")
        if method != "pca":
            share.download(f"{method.upper()} maps (CSV)", lambda: coords_csv(method), f"layout_{coll.name}_{method}.csv",
                           "text/csv", key="dl_lay_m", help="The maps shown on Explore (computed if not cached yet).")

with panels.panel("Tables"):
    if controls.is_labelled(coll):
        st.subheader("Tables")
        t = st.columns(3)
        res = [("absolute", loaders.absolute_stitching(source))]
        if len(anchors) >= 2:
            res += [("relative", loaders.relative_stitching(source, anchors)), ("translated", loaders.translated_stitching(source, anchors))]
        for col, (mode, r) in zip(t, res):
            with col:
                share.table_download(pd.DataFrame(r.scores[mode], index=r.encoders, columns=r.encoders),
                                     f"stitching_{mode}", key=f"dl_x_{mode}", label=f"All-pairs {mode} stitching (CSV)")
    share.table_download(coll.samples, f"samples_{coll.name}", key="dl_samples", label="Sample table (CSV)")
    share.table_download(coll.encoders, f"encoders_{coll.name}", key="dl_encoders", label="Encoders table (CSV)")

share.sync_url()
