from core.spaces.zoo import PRETRAINED, Zoo
from dashboard import controls
from tests.dashboard.apphelp import no_errors, start


def test_a_pretrained_member_opens_against_the_first_other_encoder():
    names = ["lsa-word", "lsa-bigram", "lsa-char", "minilm"]
    assert "minilm" in PRETRAINED["text"]
    assert controls.default_pair("text", names) == ("minilm", "lsa-word")


def test_without_a_pretrained_member_the_first_two_encoders_open():
    assert controls.default_pair("text", ["lsa-word", "lsa-bigram", "lsa-char"]) == ("lsa-word", "lsa-bigram")
    assert controls.default_pair("digits", ["mlp-s0", "mlp-s1"]) == ("mlp-s0", "mlp-s1")
    assert controls.default_pair("digits", ["only"]) == ("only", "only")


def test_the_text_dataset_says_what_the_text_extra_adds_when_minilm_is_missing():
    at = start("pages/explore.py", source="text")
    no_errors(at)
    names = Zoo("text").names
    captions = " ".join(c.value for c in at.sidebar.caption)
    if any(n in names for n in PRETRAINED["text"]):  # the text extra is installed here
        assert at.session_state["enc_a"] == "minilm"
        assert controls.PRETRAINED_HINT not in captions
    else:
        assert at.session_state["enc_a"] == "lsa-word"
        assert controls.PRETRAINED_HINT in captions
