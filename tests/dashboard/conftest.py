"""Fixtures of the dashboard tests (helpers live in apphelp.py)."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def no_deprecated_streamlit_calls(monkeypatch):
    """Every dashboard test fails on a call Streamlit has deprecated: such calls only log a line on a server,
    and a later Streamlit removes them (``st.components.v1.html`` was due to go after 2026-06-01)."""
    import streamlit.deprecation_util as deprecation_util

    said = []
    real = deprecation_util.show_deprecation_warning
    monkeypatch.setattr(deprecation_util, "show_deprecation_warning",
                        lambda message, *a, **k: said.append(message) or real(message, *a, **k))
    yield
    assert not said, f"deprecated Streamlit calls: {said}"


@pytest.fixture(scope="session")
def digits():
    from core.spaces.zoo import Zoo

    return Zoo("digits").collection()


@pytest.fixture(scope="session")
def unlabelled_source(tmp_path_factory, digits):
    """An upload of two digits encoders as bare .npy files: no ids, no labels."""
    from core.io.collection_files import load_collection
    from dashboard import loaders

    d = tmp_path_factory.mktemp("upload")
    files = []
    for name in ("mlp-s0", "cnn-s0"):
        p = d / f"{name}.npy"
        np.save(p, digits.spaces[name].vectors[:400])
        files.append(p)
    coll = load_collection(files, name="my bare npy")
    assert coll.labels is None
    holder = {}  # uploads are held weakly by the loaders: this fixture keeps it alive for the session
    source = loaders.register_collection("testunlabelled", coll, holder=holder)
    yield source
    holder.clear()




@pytest.fixture
def sent_deltas(monkeypatch):
    """``(delta path, what)`` of every delta the app's runs send, in order (``what``: the element type,
    ``"add_block"`` or ``"new_transient"``)."""
    import streamlit.delta_generator as delta_generator

    out = []
    real = delta_generator._enqueue_message

    def record(msg):
        d = msg.delta
        kind = d.WhichOneof("type")
        out.append((tuple(msg.metadata.delta_path), d.new_element.WhichOneof("type") if kind == "new_element" else kind))
        return real(msg)

    monkeypatch.setattr(delta_generator, "_enqueue_message", record)
    return out
