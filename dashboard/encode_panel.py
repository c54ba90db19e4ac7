"""The "Pretrained encoders" tab of Data & encoders: pick data, add models, encode with progress and Cancel.

UI only: the data readers are :mod:`core.encode.media` and :mod:`core.encode.images`, the models
:mod:`core.encode.specs`, and the encoding (cache, bounded worker process) :func:`core.encode.encoding.encode_media`.
The list of encoders lives in session state, so it survives page switches and
failed runs.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from core.encode.encoding import encode_media
from core.errors import CancelledError, StitchboardError
from core.encode.images import read_image_zip
from core.encode.media import read_texts
from core.encode.specs import POOLINGS, SOURCES, SUGGESTIONS, PretrainedSpec, pretrained_available
from dashboard import jobs, loaders, state, text

#: Session key prefix of the encoders added so far, one list of spec dicts per modality
#: (a text model cannot encode images, so switching data must not carry it over).
ENCODERS_KEY = "pt_encoders"
#: Session key of the source of the last encoded collection.
LAST_KEY = "pt_last"

DATA_CHOICES = {
    "bundled-text": "Bundled texts ({n:,} sentences, {k} topics)",
    "bundled-digits": "Bundled digits as images ({n:,}, upscaled to RGB)",
    "upload-text": "Upload a table of texts (CSV / parquet)",
    "upload-zip": "Upload a zip of images (class folders: label/file.png)",
}
_TYPE_OWN = "(type a name or folder)"


def _media(choice: str, limit_bytes: int):
    """The chosen data as a MediaSet, or None while the user still has to upload something."""
    if choice in ("bundled-text", "bundled-digits"):
        return loaders.bundled_media(choice)
    if choice == "upload-text":
        # no type= filter: a wrongly typed file reaches read_texts, which says what it needs (a pickle: why not)
        f = st.file_uploader("Texts: .csv, .parquet", key="pt_text_file")
        c = st.columns(3)
        tcol = c[0].text_input("Text column", "", placeholder="text", key="pt_text_col")
        icol = c[1].text_input("Id column", "", placeholder="id (else row numbers)", key="pt_text_id")
        lcol = c[2].text_input("Label column", "", placeholder="label (optional)", key="pt_text_label")
        if f is None:
            return None
        return read_texts(f, text_column=tcol.strip() or None, id_column=icol.strip() or None,
                          label_column=lcol.strip() or None, max_bytes=limit_bytes)
    f = st.file_uploader("Images: a .zip of class folders", key="pt_zip_file")
    with st.expander("Optional: a table listing the images"):
        table = st.file_uploader("A table (.csv, .parquet) with a column of paths inside the zip", key="pt_zip_table")
        c = st.columns(3)
        imcol = c[0].text_input("Image column", "", placeholder="image / path", key="pt_zip_col")
        icol = c[1].text_input("Id column", "", placeholder="id (else the path)", key="pt_zip_id")
        lcol = c[2].text_input("Label column", "", placeholder="label (else the folder)", key="pt_zip_label")
    if f is None:
        return None
    return read_image_zip(f, table=table, image_column=imcol.strip() or None, id_column=icol.strip() or None,
                          label_column=lcol.strip() or None, max_bytes=limit_bytes)


def _choice_label(choice: str) -> str:
    """The radio label of a data choice, with the bundled dataset's own counts (never a stale number)."""
    if choice.startswith("bundled-"):
        coll = loaders.collection(choice.removeprefix("bundled-"))
        return DATA_CHOICES[choice].format(n=coll.n_samples, k=len(coll.target_names))
    return DATA_CHOICES[choice]


def _encoders(modality: str) -> list:
    return st.session_state.setdefault(f"{ENCODERS_KEY}_{modality}", [])


def _add(spec: PretrainedSpec, modality: str) -> None:
    encs = _encoders(modality)
    if spec.as_dict() not in encs:
        encs.append(spec.as_dict())


def _parse_layer(raw: str):
    raw = raw.strip()
    if not raw or raw.lower() == "last":
        return None
    try:
        return int(raw)
    except ValueError:
        raise StitchboardError(f"layer {raw!r} is not a whole number: use 0 (embeddings) to N, -1 or blank for the last")


def _add_form(modality: str) -> None:
    """Fields for one more encoder (or one per layer of a model)."""
    sugg = st.selectbox("Suggestions", [_TYPE_OWN, *SUGGESTIONS[modality]], key=f"pt_sugg_{modality}",
                        help="Well-known models; they download once through the Hugging Face cache when this machine "
                             "is online. A local folder (config.json + model.safetensors) works offline.")
    model = st.text_input("Model: Hugging Face name or local folder", "" if sugg == _TYPE_OWN else sugg,
                          key=f"pt_model_{modality}_{sugg}", placeholder="e.g. BAAI/bge-small-en-v1.5 or /path/to/model")
    c = st.columns([1.3, 1, 1, 1], vertical_alignment="bottom")
    sources = SOURCES if modality == "text" else tuple(s for s in SOURCES if s != "sentence-transformers")
    source = c[0].selectbox("Source", sources, key="pt_source")
    own_pooling = source in ("sentence-transformers", "zoo")  # they pool with their own modules
    one_layer = source != "transformers"  # an ONNX export has only its outputs
    pooling = c[1].selectbox("Pooling", POOLINGS, key="pt_pooling", disabled=own_pooling,
                             help="default: mean of tokens for texts; the model's pooler (else the class token) for "
                                  "images. sentence-transformers models and zoo encoders pool their own way.")
    layers = c[2].text_input("Layer(s)", "", key="pt_layers", disabled=one_layer, placeholder="last",
                             help="0 = embeddings, -1 or blank = last. Several, comma-separated (e.g. 3, 6), compare "
                                  "layers of one model: one space per layer. transformers source only: an ONNX "
                                  "export has only its last layer.")
    normalize = c[3].checkbox("L2-normalise", key="pt_normalize")
    if st.button("Add encoder", icon=":material/add:", key="pt_add", disabled=not model.strip()):
        try:
            parts = [p for p in layers.split(",")] if (layers.strip() and not one_layer) else [""]
            for raw in parts:
                _add(PretrainedSpec(model.strip(), source=source, pooling="default" if own_pooling else pooling,
                                    layer=None if one_layer else _parse_layer(raw), normalize=normalize), modality)
        except StitchboardError as exc:
            st.error(text.md(f"Not added: {exc}"))


def _encoder_list(modality: str) -> None:
    encs = _encoders(modality)
    if not encs:
        st.caption("No encoders yet: add two or more (or several layers of one model) to compare and stitch them.")
        return
    for i, d in enumerate(list(encs)):
        spec = PretrainedSpec.from_dict(d)
        c = st.columns([6, 1], vertical_alignment="center")
        layer = "last layer" if spec.layer is None else f"layer {spec.layer}"
        c[0].markdown(f"**{text.md(spec.display_name)}** · {text.code(spec.model)} · {spec.source} · pooling "
                      f"{spec.pooling} · {layer}" + (" · L2-normalised" if spec.normalize else ""))
        c[1].button("Remove", key=f"pt_rm_{i}_{hashlib.md5(repr(d).encode()).hexdigest()[:6]}", width="stretch",
                    on_click=lambda d=d: _encoders(modality).remove(d) if d in _encoders(modality) else None)


def show(*, limit_mb: int, show_summary) -> None:
    """The whole tab."""
    if not pretrained_available():
        st.info("Hugging Face models need the `pretrained` extra: `pip install -c constraints.txt -e '.[pretrained]'`. "
                "Zoo encoders (LSA on texts, the digits MLPs on images) work without it.")
    st.markdown("Encode **your texts or images** with pretrained models, each a space of one collection. Models load "
                "with `trust_remote_code=False` from safetensors only; models that need their own code or have only "
                "pickled weights are refused. Results are cached on disk, so encoding the same data again is instant.")
    choice = st.radio("Data", list(DATA_CHOICES), format_func=_choice_label, key="pt_data", horizontal=False)
    modality = "image" if choice in ("bundled-digits", "upload-zip") else "text"
    try:
        media = _media(choice, limit_mb * 1024 * 1024)
    except StitchboardError as exc:
        st.error(text.md(f"Could not read this data: {exc}"))
        media = None
    if media is not None:
        st.caption(f"{len(media):,} {modality}s" + (f", {len(set(media.labels))} classes" if media.labels is not None
                                                    else ", no labels") + ".")
        for note in media.notes:
            st.warning(text.md(note))
    st.markdown("**Encoders**")
    with st.container(border=True):
        _add_form(modality)
    _encoder_list(modality)
    encs = _encoders(modality)
    name = st.text_input("Name of the encoded collection", "", key="pt_name",
                         placeholder=media.name if media is not None else "my encodings")
    if len(encs) == 1:
        st.caption("One encoder gives one space: add another (or another layer) to stitch between them.")
    go = st.button("Encode", type="primary", key="pt_go", icon=":material/play_arrow:",
                   disabled=media is None or not encs)
    if go:
        _run(media, [PretrainedSpec.from_dict(d) for d in encs], name.strip() or None)
    last = st.session_state.get(LAST_KEY)
    if last and loaders.is_available(last):
        coll = loaders.collection(last)
        st.subheader(f"Encoded: {text.md(coll.name)}")
        st.caption("It is listed on every page, next to the bundled datasets. Each encoder's spec is in the table.")
        show_summary(coll)
        st.page_link(st.session_state.get("_explore_page", "pages/explore.py"), label="Open Explore & stitch",
                     icon=":material/scatter_plot:")


def _run(media, specs, name) -> None:
    key = ("encode", media.content_key(), tuple(repr(s.as_dict()) for s in specs), name)
    slot = st.empty()
    line = jobs.ProgressLine(slot, label=f"Encoding {len(media):,} {media.modality}s with {len(specs)} encoder(s)",
                             cancel_keys=[key], key="pt_cancel")
    try:
        coll = encode_media(media, specs, cache=loaders.disk_cache(), progress=line, should_stop=jobs.should_stop,
                            isolate=True, name=name)
    except CancelledError:
        slot.info("Encoding cancelled; nothing changed. Press Encode to start again.")
        return
    except (StitchboardError, ImportError) as exc:
        slot.error(text.md(f"Could not encode: {exc}"))
        return
    slot.empty()
    src = loaders.register_collection(hashlib.sha256(repr(key).encode()).hexdigest()[:16], coll,
                                      holder=st.session_state.setdefault("_upload_refs", {}))
    state.add_upload(src)
    st.session_state[LAST_KEY] = src
    st.rerun()
