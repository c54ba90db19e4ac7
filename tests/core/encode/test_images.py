"""Images the user brings (core.encode.images): zips of class folders and their guards, the bundled digits."""

import io
import struct
import zipfile
import zlib

import numpy as np
import pandas as pd
import pytest

from core.encode.images import bundled_digit_images, read_image_zip
from core.errors import FileTooLargeError, InvalidInputError, LoadError, UnsafeFileError
from tests.core.encode.encodehelp import csv_bytes, png

PIL = pytest.importorskip("PIL", reason="images need Pillow (the pretrained extra)")
from PIL import Image  # noqa: E402


def _zip(members: dict) -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return b.getvalue()


def test_zip_of_class_folders_labels_by_folder_and_ids_by_path():
    z = _zip({"red/1.png": png("red"), "red/2.png": png("red"), "blue/1.png": png("blue"),
              "README.txt": b"hi", "__MACOSX/red/._1.png": b"junk"})
    m = read_image_zip(("imgs.zip", z))
    assert m.modality == "image" and len(m) == 3
    assert list(m.ids) == ["blue/1.png", "red/1.png", "red/2.png"] and list(m.labels) == ["blue", "red", "red"]
    assert m.thumbnails.shape == (3, 24, 24)
    assert any("not an image" in n and "README.txt" in n for n in m.notes)  # nothing dropped silently


def test_zip_with_a_table_takes_its_order_ids_labels_and_reports_unlisted_images():
    z = _zip({"a.png": png("red"), "sub/b.png": png("blue"), "c.png": png("green")})
    table = csv_bytes(pd.DataFrame({"path": ["sub/b.png", "./a.png"], "id": ["B", "A"], "label": ["blue", "red"]}))
    m = read_image_zip(("imgs.zip", z), table=("list.csv", table))
    assert list(m.ids) == ["B", "A"] and list(m.labels) == ["blue", "red"]
    assert np.asarray(Image.open(io.BytesIO(m.items[0]))).mean(axis=(0, 1))[2] == 255  # blue first
    assert any("1 images in the zip are not listed" in n for n in m.notes)
    bad = csv_bytes(pd.DataFrame({"path": ["nope.png"]}))
    with pytest.raises(InvalidInputError, match="not images in imgs.zip"):
        read_image_zip(("imgs.zip", z), table=("list.csv", bad))


@pytest.mark.parametrize("member", ["../evil.png", "/etc/evil.png", "a/../../evil.png", "C:/evil.png", "..\\evil.png"])
def test_zip_path_traversal_is_refused(member):
    with pytest.raises(UnsafeFileError, match="points outside the archive"):
        read_image_zip(("x.zip", _zip({"ok/1.png": png("red"), member: png("red")})))


def test_zip_caps_on_members_bytes_and_pixels():
    z = _zip({f"c/{i}.png": png("red") for i in range(5)})
    with pytest.raises(FileTooLargeError, match=r"x.zip: 5 members is over the limit of 4 members \(set the environment variable STITCHBOARD_MAX_ZIP_MEMBERS"):
        read_image_zip(("x.zip", z), max_members=4)
    with pytest.raises(FileTooLargeError, match="zip-bomb guard"):
        read_image_zip(("x.zip", z), max_total_bytes=100)
    big = png("red", size=(300, 300))
    with pytest.raises(FileTooLargeError, match=r"300 x 300 image: 90,000 pixels is over the limit of 10,000 pixels \(set the environment variable STITCHBOARD_MAX_IMAGE_PIXELS"):
        read_image_zip(("x.zip", _zip({"c/big.png": big})), max_pixels=10_000)


def test_a_pixel_bomb_header_is_refused_before_decoding():
    """A PNG that claims 100,000 x 100,000 pixels: only its header is read."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))
    with pytest.raises(FileTooLargeError, match="decompression"):
        read_image_zip(("x.zip", _zip({"c/bomb.png": bomb})))


def test_broken_zips_and_images_are_clear():
    with pytest.raises(LoadError, match="not a readable zip"):
        read_image_zip(("x.zip", b"PK\x03\x04 nope"))
    with pytest.raises(InvalidInputError, match="no images found"):
        read_image_zip(("x.zip", _zip({"a.txt": b"x"})))
    with pytest.raises(LoadError, match="c/bad.png"):
        read_image_zip(("x.zip", _zip({"c/bad.png": b"not a png"})))


def test_images_at_the_top_level_have_no_labels_and_say_so():
    m = read_image_zip(("x.zip", _zip({"1.png": png("red"), "2.png": png("blue")})))
    assert m.labels is None and any("no labels" in n for n in m.notes)


def test_bundled_digits_as_rgb_images():
    m = bundled_digit_images(side=32)
    assert len(m) == 1797 and m.items[0].shape == (32, 32, 3) and m.items[0].dtype == np.uint8
    assert set(m.meta["split"]) == {"train", "test"} and len(set(m.labels)) == 10


def test_a_truncated_image_is_a_clear_error():
    data = png("red", size=(64, 64))
    with pytest.raises(LoadError, match="cannot be decoded|not a readable image"):
        read_image_zip(("x.zip", _zip({"c/cut.png": data[: len(data) // 2]})))
