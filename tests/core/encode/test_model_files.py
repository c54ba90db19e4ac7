"""Model folders (core.encode.model_files): custom code and pickles refused, offline names, the hub cache."""

import json
import pickle
import shutil

import numpy as np
import pytest

pytest.importorskip("transformers", reason="the pretrained extra is not installed")

from core.encode.encoding import encode_media  # noqa: E402
from core.encode.loading import load_encoder  # noqa: E402
from core.encode.model_files import check_model_folder, model_fingerprint  # noqa: E402
from core.encode.specs import PretrainedSpec  # noqa: E402
from core.errors import LoadError, UnsafeFileError  # noqa: E402
from tests.core.encode.encodehelp import TEXTS, text_media  # noqa: E402


def test_custom_code_is_refused_and_never_runs(tiny_models, tmp_path):
    folder = tmp_path / "remote"
    shutil.copytree(tiny_models["bert0"], folder)
    marker = tmp_path / "PWNED"
    (folder / "modeling_evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    cfg = json.loads((folder / "config.json").read_text())
    cfg["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(UnsafeFileError, match="never runs model code"):
        load_encoder(PretrainedSpec(str(folder)), modality="text")
    with pytest.raises(UnsafeFileError):
        encode_media(text_media(), [PretrainedSpec(str(folder))], isolate=True)
    assert not marker.exists()


class _Evil:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_only_weights_are_refused_and_never_unpickled(tiny_models, tmp_path):
    folder = tmp_path / "pickled"
    shutil.copytree(tiny_models["bert0"], folder)
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "PWNED"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(_Evil(marker)))
    with pytest.raises(UnsafeFileError, match="pickle"):
        check_model_folder(folder)
    with pytest.raises(UnsafeFileError, match="pickle"):
        load_encoder(PretrainedSpec(str(folder)), modality="text")
    assert not marker.exists()


def test_a_folder_without_weights_or_config_says_what_is_missing(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match="config.json"):
        load_encoder(PretrainedSpec(str(tmp_path / "empty")), modality="text")


def test_offline_a_missing_hub_model_is_named_with_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"), raising=False)
    with pytest.raises(LoadError) as err:
        load_encoder(PretrainedSpec("someone/not-downloaded-model"), modality="text")
    msg = str(err.value)
    assert "someone/not-downloaded-model" in msg and "offline" in msg.lower() and "folder" in msg


def test_a_model_in_the_hugging_face_cache_loads_by_name_offline(tiny_models, monkeypatch, tmp_path):
    """The normal cache layout (models--org--name/snapshots/<commit>/), as a download leaves it."""
    hub = tmp_path / "hub"
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = hub / "models--tiny--bert0"
    shutil.copytree(tiny_models["bert0"], repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(hub), raising=False)
    enc = load_encoder(PretrainedSpec("tiny/bert0"), modality="text")
    assert enc.revision == commit
    ref = load_encoder(PretrainedSpec(str(tiny_models["bert0"])), modality="text").encode(TEXTS)
    np.testing.assert_allclose(enc.encode(TEXTS), ref, atol=1e-6)
    assert model_fingerprint(PretrainedSpec("tiny/bert0")) == f"hub:tiny/bert0@{commit}"
