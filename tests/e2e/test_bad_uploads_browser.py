"""The worst uploads in a real browser, one after another in one session.

A pickle whose loading would ``touch`` a file, a corrupt parquet, a file name holding
``<img src=x onerror=...>``, an upload over the size limit: each is refused with a
message shown as text, the user's dataset, encoders and anchors stay as they were, and a
good upload (with a ``<script>`` label and a markdown collection name) still works and
is shown as text: no element injected, no dialog. Every case through the page in AppTest:
``tests/dashboard/test_bad_inputs_ui.py``. The server here has a 1 MB upload limit.
"""

from __future__ import annotations

import pickle
import time

import pytest

from tests.e2e.conftest import launch_server
from tests.test_bad_inputs import HTML_FILE, HTML_LABEL, MARKDOWN_NAME, _Evil

pytestmark = pytest.mark.browser

ERROR = '[data-testid="stAlertContentError"]'
INJECTED_JS = """() => ({
  img: document.querySelectorAll('img[src="x"], img[src$="/x"], img[src$="x.png"]').length,
  jslink: document.querySelectorAll('a[href^="javascript"]').length,
  script: [...document.scripts].filter(s => s.textContent.includes('alert(1)')).length,
  strong: [...document.querySelectorAll('strong')].filter(s => s.textContent === 'bold').length,
})"""


@pytest.fixture(scope="module")
def small_server(tmp_path_factory, browser):
    """A server of its own with a 1 MB upload limit (the shared one keeps Streamlit's 200 MB)."""
    yield from launch_server(tmp_path_factory.mktemp("small") / "streamlit.log", "--server.maxUploadSize", "1")


def _metric(page, label: str) -> str | None:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.first.locator('[data-testid="stMetricValue"]').inner_text().strip() if box.count() else None


def _settle(page, timeout: float = 180) -> None:
    time.sleep(0.5)
    deadline = time.time() + timeout
    while page.get_by_role("button", name="Stop").count() and time.time() < deadline:
        time.sleep(0.25)


def _go(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.wait_for_timeout(500)
    _settle(page)


def _clear_uploads(page) -> None:
    """Remove every file from the uploaders (Streamlit adds new files to the list)."""
    buttons = page.locator('[data-testid="stFileChipDeleteBtn"] button, button[aria-label^="Remove "]')
    while buttons.count():
        buttons.first.click()
        page.wait_for_timeout(300)
    _settle(page)


def _upload(page, files: list[dict], *, table: dict | None = None, wait_names: bool = True) -> None:
    inputs = page.locator('[data-testid="stFileUploader"] input[type=file]')

    def put(i: int, batch: list[dict]) -> None:
        inputs.nth(i).set_input_files(batch)
        if wait_names:  # uploaded: a chip with a remove button per file (long names are cut in the chip)
            for f in batch:
                page.get_by_role("button", name=f"Remove {f['name']}", exact=True).first.wait_for(timeout=30_000)
        _settle(page)  # the rerun an upload starts must end first, or it can drop the next upload

    put(0, files)
    if table is not None:
        put(1, [table])


def _load(page) -> None:
    page.get_by_role("button", name="Load files").click()
    page.wait_for_timeout(500)
    _settle(page)


def _file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "application/octet-stream", "buffer": data}


def _errors(page) -> list[str]:
    return page.locator(ERROR).all_inner_texts()


def test_the_worst_uploads_change_nothing_and_render_as_text(browser, small_server, tmp_path):
    dialogs: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    # the user's state: 10 anchors and encoder A chosen through a link, seen on Share & export
    page.goto(small_server + "/export?method=pca&enc_a=cnn-s0&anchors=0-9")
    page.wait_for_selector('[data-testid="stFileUploader"]', timeout=180_000)
    _settle(page)
    assert _metric(page, "Anchors") == "10" and not _errors(page)
    _go(page, "Data & encoders")
    page.get_by_role("tab", name="Upload your own").click()

    marker = tmp_path / "PWNED"
    bad = [
        ("a pickle with a shell payload", [_file("evil.pkl", pickle.dumps(_Evil(marker)))], "pickles"),
        ("a corrupt parquet", [_file("x.parquet", b"PAR1\x00\x00 not really")], "not a readable parquet file"),
        ("markup in a file name", [_file("<img src=x onerror=alert(1)>.npy", b"\x93NUMPY broken")],
         "<img src=x onerror=alert(1)>.npy: not a valid .npy file"),
    ]
    for what, files, message in bad:
        _upload(page, files)
        _load(page)
        errors = _errors(page)
        assert len(errors) == 1 and message in errors[0] and "Could not load these files" in errors[0], (what, errors)
        assert page.locator('[data-testid="stException"]').count() == 0, what
        _clear_uploads(page)
    page.screenshot(path=str(tmp_path / "bad_upload_error.png"), full_page=True)
    assert not marker.exists(), "the pickle's command ran"

    # over the limit: Streamlit's uploader refuses it before the page sees it
    _upload(page, [_file("big.npy", b"\x00" * 2_000_000)], wait_names=False)
    page.get_by_text("big.npy").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    chip = page.locator('[data-testid="stFileUploader"]').first.inner_text()
    assert "File must be 1.0MB or smaller" in chip, chip
    assert page.get_by_role("button", name="Load files").is_disabled()  # nothing arrived
    page.screenshot(path=str(tmp_path / "oversize.png"), full_page=True)
    _clear_uploads(page)

    # nothing changed: the dataset, encoder A and the anchors are the user's
    page.get_by_role("tab", name="Bundled datasets").click()
    page.wait_for_timeout(500)
    assert _metric(page, "Samples") == "1,797"  # digits
    _go(page, "Share & export")
    assert _metric(page, "Anchors") == "10"
    link = page.locator('[data-testid="stCode"]').first.inner_text()
    assert "anchors=0-9" in link and "enc_a=cnn-s0" in link and "dataset=digits" in link, link

    # a good upload still works; its <script> label, <img> file name and markdown name stay text
    _go(page, "Data & encoders")
    page.get_by_role("tab", name="Upload your own").click()
    text = f"id,a,label\n1,0.1,{HTML_LABEL}\n2,0.2,<b>x\n3,0.4,{HTML_LABEL}\n4,0.3,<b>x\n"
    _upload(page, [_file(HTML_FILE, text.encode())])
    box = page.get_by_label("Name of this collection")
    if not box.is_visible():
        page.get_by_text("Options").click()
    box.fill(MARKDOWN_NAME)
    box.press("Enter")
    _settle(page)
    _load(page)
    heading = page.get_by_text("Loaded:", exact=False).first
    heading.wait_for(timeout=60_000)
    assert heading.inner_text().strip() == f"Loaded: {MARKDOWN_NAME} (uploaded)"
    assert not _errors(page) and page.locator('[data-testid="stException"]').count() == 0
    assert _metric(page, "Samples") == "4"
    page.get_by_text("First rows of the sample table").click()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(tmp_path / "html_names.png"), full_page=True)
    assert page.evaluate(INJECTED_JS) == {"img": 0, "jslink": 0, "script": 0, "strong": 0}
    assert dialogs == []
    print(f"screenshots in {tmp_path}")
    page.close()
