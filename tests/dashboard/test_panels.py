"""Panels (dashboard.panels): a failure replaces the panel's output; a run never blanks a panel on its way."""

import pytest
import streamlit.delta_generator as delta_generator
from streamlit.testing.v1 import AppTest


def _page():
    import streamlit as st

    from dashboard import panels

    st.markdown("before")
    with panels.panel("Demo"):
        st.markdown("partial output")
        with st.container():
            st.markdown("nested")
        if st.session_state.get("fail"):
            raise RuntimeError("demo failure")
    st.markdown("after")


@pytest.fixture
def sent(monkeypatch):
    """(delta path, what) of every delta the runs send, in order."""
    out = []
    real = delta_generator._enqueue_message

    def record(msg):
        d = msg.delta
        kind = d.WhichOneof("type")
        what = d.new_element.WhichOneof("type") if kind == "new_element" else kind
        out.append((tuple(msg.metadata.delta_path), what))
        return real(msg)

    monkeypatch.setattr(delta_generator, "_enqueue_message", record)
    return out


def test_a_failing_panel_shows_its_error_in_place_of_its_output():
    at = AppTest.from_function(_page)
    at.session_state["fail"] = True
    at.run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert texts[0] == "before" and texts[-1] == "after", texts
    assert "partial output" not in texts and "nested" not in texts, texts  # replaced, not left above the error
    assert len(at.error) == 1 and at.error[0].value.startswith("**Demo** could not be shown")
    assert at.button(key="panel_retry_demo")
    at.session_state["fail"] = False
    at.button(key="panel_retry_demo").click().run()
    assert [m.value for m in at.markdown] == ["before", "partial output", "nested", "after"]
    assert not at.error


def test_a_panel_sends_its_container_first(sent):
    """An empty element sent where the last run's container stood would unmount the charts inside it
    whenever the browser draws it before the container that replaces it (a remount under load)."""
    at = AppTest.from_function(_page)
    at.run()
    at.run()
    assert sent, "no delta recorded"
    assert all(what != "empty" for _, what in sent), sent
    # one delta per place and run: nothing is sent to a place and then replaced
    per_run = len(sent) // 2
    assert len(set(sent[:per_run])) == per_run, sent
