"""A Hugging Face dataset as a media set (core.encode.hf_datasets), from local folders."""

import pytest

from core.encode.hf_datasets import read_hf_dataset
from core.errors import FileTooLargeError, InvalidInputError
from tests.core.encode.encodehelp import png

pytest.importorskip("PIL", reason="images need Pillow (the pretrained extra)")


def test_a_local_hugging_face_dataset(tmp_path):
    hfd = pytest.importorskip("datasets", reason="the hf-datasets extra is not installed")
    feats = hfd.Features({"sentence": hfd.Value("string"), "label": hfd.ClassLabel(names=["neg", "pos"])})
    d = hfd.Dataset.from_dict({"sentence": ["a b", "c d e", "f"], "label": [0, 1, 0]}, features=feats)
    hfd.DatasetDict({"train": d, "test": d.select([0, 1])}).save_to_disk(str(tmp_path / "texts"))
    m = read_hf_dataset(str(tmp_path / "texts"), split="test")
    assert m.modality == "text" and m.items == ("a b", "c d e") and list(m.labels) == ["neg", "pos"]
    with pytest.raises(InvalidInputError, match="no split 'dev'"):
        read_hf_dataset(str(tmp_path / "texts"), split="dev")
    images = hfd.Dataset.from_dict(
        {"img": [{"bytes": png("red"), "path": None}, {"bytes": png("blue"), "path": None}], "id": ["x", "y"]},
        features=hfd.Features({"img": hfd.Image(), "id": hfd.Value("string")}))
    images.save_to_disk(str(tmp_path / "images"))
    m = read_hf_dataset(str(tmp_path / "images"))
    assert m.modality == "image" and list(m.ids) == ["x", "y"] and m.thumbnails.shape == (2, 24, 24)
    with pytest.raises(FileTooLargeError, match=r"3 rows is over the limit of 2 rows \(set the environment variable STITCHBOARD_MAX_DATASET_ROWS"):
        read_hf_dataset(str(tmp_path / "texts"), max_rows=2)
