"""Pretrained encoders in a real browser: the user's texts and images encoded with two local
Hugging Face models (tiny random ones built for the run), then Explore and Stitching on them."""

import io
import time
import zipfile

import pandas as pd
import pytest

pytestmark = pytest.mark.browser

_ERRORS = '[data-testid="stAlertContentError"]'
_EXCEPTIONS = '[data-testid="stException"]'


def _no_errors(page, what):
    errors = page.locator(_ERRORS).all_inner_texts()
    assert not errors and page.locator(_EXCEPTIONS).count() == 0, (what, errors)


def _add(page, model: str) -> None:
    box = page.get_by_label("Model: Hugging Face name or local folder")
    box.fill(model)
    box.press("Enter")
    page.wait_for_timeout(600)
    page.get_by_role("button", name="Add encoder").click()
    page.get_by_text(model, exact=True).first.wait_for(timeout=30_000)  # listed


def _encode(page, tmp_path, what: str, *, expect: str = "") -> None:
    page.get_by_role("button", name="Encode", exact=True).click()
    try:  # the previous result stays listed while the next one encodes: wait for this one's name
        page.get_by_text(f"Encoded: {expect}").wait_for(timeout=240_000)  # a worker process starts, loads, encodes
    except Exception:
        page.screenshot(path=str(tmp_path / f"failed_{what}.png"), full_page=True)
        raise AssertionError(f"{what}: not encoded; errors {page.locator(_ERRORS).all_inner_texts()}")
    _no_errors(page, what)


def _see(page, text: str, tmp_path, *, timeout=60_000, exact=False) -> None:
    try:
        page.get_by_text(text, exact=exact).first.wait_for(timeout=timeout)
    except Exception:
        shot = tmp_path / f"missing_{abs(hash(text))}.png"
        page.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"{text!r} not on the page; errors {page.locator(_ERRORS).all_inner_texts()}; {shot}")


def _go(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.wait_for_timeout(800)


def _wait_metric(page, label: str, timeout_s: float = 120) -> float:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
        try:
            return float(box.locator('[data-testid="stMetricValue"]').inner_text(timeout=1000).strip())
        except Exception:  # still computing
            page.wait_for_timeout(500)
    raise AssertionError(f"no metric {label!r} within {timeout_s} s")


@pytest.fixture(scope="module")
def user_files(tmp_path_factory):
    from PIL import Image

    d = tmp_path_factory.mktemp("pretrained-uploads")
    words = ["the cat sat on the mat", "a dog runs fast", "music and film", "the stock market price",
             "science of the cell", "red car", "vote law", "team match game"]
    pd.DataFrame({"sentence": words * 5, "topic": ["pets", "pets", "arts", "money", "science", "cars", "law",
                                                   "sport"] * 5}).to_csv(d / "my_texts.csv", index=False)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(10):
            for c, rgb in (("red", (220, 30, 30)), ("green", (30, 200, 40)), ("blue", (20, 40, 230))):
                b = io.BytesIO()
                Image.new("RGB", (20, 20), tuple(max(0, v - 7 * i) for v in rgb)).save(b, "PNG")
                z.writestr(f"{c}/{i:02d}.png", b.getvalue())
        z.writestr("README.txt", "three colours")
    (d / "my_images.zip").write_bytes(buf.getvalue())
    return d


def test_bundled_texts_then_own_texts_and_images_encode_and_stitch(browser, server, tiny_models, user_files,
                                                                    tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.set_default_timeout(60_000)
    page.goto(server + "/data")
    page.get_by_role("tab", name="Pretrained encoders").click()
    page.get_by_text("Bundled texts (1,500 sentences").wait_for(timeout=120_000)

    # 1. the bundled texts, two BERTs: Explore shows the readout
    _add(page, str(tiny_models["bert0"]))
    _add(page, str(tiny_models["bert1"]))
    _encode(page, tmp_path, "bundled texts")
    assert page.get_by_text("1,500 samples").count() + page.get_by_text("1,500").count() >= 1
    page.screenshot(path=str(tmp_path / "pretrained_encoded.png"), full_page=True)
    page.get_by_text("Open Explore & stitch").last.click()
    page.get_by_text("B → A's head · relative").first.wait_for(timeout=120_000)  # the readout
    rel = _wait_metric(page, "B → A's head · relative")
    assert 0.0 <= rel <= 1.0
    page.wait_for_timeout(3000)
    page.screenshot(path=str(tmp_path / "pretrained_explore.png"), full_page=True)
    _no_errors(page, "explore")

    # 2. the user's own text table: the text encoders are still listed
    _go(page, "Data & encoders")
    page.get_by_role("tab", name="Pretrained encoders").click()
    page.get_by_text("Upload a table of texts").click()
    _see(page, "Texts: .csv, .parquet", tmp_path, exact=True)
    page.locator('[data-testid="stFileUploader"] input[type=file]').last.set_input_files(
        str(user_files / "my_texts.csv"))
    _see(page, "40 texts, 7 classes", tmp_path)
    assert page.get_by_text(str(tiny_models["bert1"]), exact=True).count() >= 1
    _encode(page, tmp_path, "own texts", expect="my_texts")
    _see(page, "my_texts: bert0 vs bert1", tmp_path)

    # 3. the user's zip of images with two ViTs (the text encoders are not carried over)
    page.get_by_text("Upload a zip of images").click()
    _see(page, "No encoders yet", tmp_path)
    _see(page, "Images: a .zip of class folders", tmp_path, exact=True)
    page.locator('[data-testid="stFileUploader"] input[type=file]').nth(-2).set_input_files(
        str(user_files / "my_images.zip"))
    _see(page, "30 images, 3 classes", tmp_path)
    assert page.get_by_text("README.txt").count() >= 1  # the skipped member is reported
    _add(page, str(tiny_models["vit0"]))
    _add(page, str(tiny_models["vit1"]))
    _encode(page, tmp_path, "own images", expect="my_images")
    page.screenshot(path=str(tmp_path / "pretrained_images.png"), full_page=True)

    _go(page, "Stitching")
    page.get_by_text("All encoder pairs").wait_for(timeout=120_000)
    chosen = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.evaluate(
        "b => b.textContent + ' ' + [...b.querySelectorAll('input')].map(i => i.value).join(' ')")
    assert "my_images: vit0 vs vit1" in chosen, chosen  # the new collection is the current one
    _see(page, "vit0", tmp_path, exact=True)
    page.wait_for_timeout(3000)
    page.screenshot(path=str(tmp_path / "pretrained_stitching.png"), full_page=True)
    _no_errors(page, "stitching")
    _go(page, "Explore & stitch")  # the images' maps and readout
    page.get_by_text("B → A's head · relative").first.wait_for(timeout=120_000)  # the readout
    img_rel = _wait_metric(page, "B → A's head · relative")
    assert 0.0 <= img_rel <= 1.0
    page.wait_for_timeout(4000)
    assert page.locator(".js-plotly-plot, canvas").count() >= 4  # four maps drawn
    page.screenshot(path=str(tmp_path / "pretrained_images_explore.png"), full_page=True)
    _no_errors(page, "explore images")
    print(f"pretrained browser: bundled texts, tiny BERTs, relative stitched {rel:.3f}; screenshots in {tmp_path}")
    page.close()
