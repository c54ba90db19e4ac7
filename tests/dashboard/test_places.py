"""Places filled later in a run (dashboard.places) and the panels built on them (dashboard.panels):
nothing on screen is blanked on the way, and a failed panel's output is replaced by its error."""

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


def _reserved():
    import streamlit as st

    from dashboard import places

    box = st.container()
    slot = places.reserve(box)
    box.markdown("drawn after the slot")
    if st.session_state.get("fill", True):
        with slot.container():
            st.markdown("filled later")
    replaced = st.container()
    replaced.markdown("to be replaced")
    places.in_place_of(replaced).markdown("the replacement")


def replaced_in_one_run(sent):
    """Places that got a delta and then another one in the same run (what an st.empty() filled later does)."""
    seen, twice = set(), set()
    for path, _ in sent:
        (twice if path in seen else seen).add(path)
    return twice


def test_a_failing_panel_shows_its_error_in_place_of_its_output():
    at = AppTest.from_function(_page)
    at.session_state["fail"] = True
    at.run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert texts[0] == "before" and texts[-1] == "after", texts
    assert "partial output" not in texts and "nested" not in texts, texts  # replaced, not left above the error
    assert len(at.error) == 1 and at.error[0].value.startswith("**Demo** could not be shown")
    at.session_state["fail"] = False
    at.button(key="panel_retry_demo").click().run()
    assert [m.value for m in at.markdown] == ["before", "partial output", "nested", "after"]
    assert not at.error


def test_a_panel_sends_its_container_first(sent_deltas):
    """An empty element sent where the last run's container stood unmounts the charts inside it whenever the
    browser draws it before the container that replaces it (a remount under load)."""
    at = AppTest.from_function(_page)
    at.run()
    assert sent_deltas and all(what != "empty" for _, what in sent_deltas), sent_deltas
    assert not replaced_in_one_run(sent_deltas)


def test_a_reserved_place_is_filled_in_order_without_an_empty_first(sent_deltas):
    at = AppTest.from_function(_reserved)
    at.run()
    assert not at.exception
    box = at.main.children[0].children  # by place, as the browser orders them (AppTest lists them as written)
    assert sorted(box) == [0, 1] and box[1].value == "drawn after the slot"
    assert [m.value for m in box[0].children.values()] == ["filled later"]  # the place held before it
    assert at.main.children[1].value == "the replacement"
    assert all(what != "empty" for _, what in sent_deltas), sent_deltas
    # the reserved place got one delta; the replaced container two (its own, then the replacement)
    assert len(replaced_in_one_run(sent_deltas)) == 1
    at.session_state["fill"] = False
    at.run()
    assert [m.value for m in at.markdown] == ["drawn after the slot", "the replacement"]  # an unfilled place: nothing
    assert sorted(at.main.children[0].children) == [1]
