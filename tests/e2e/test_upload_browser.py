"""Uploads in a real browser: every format loads through the Data & encoders page, and an
old/new embedding pair exported to parquet is stitched end to end on Explore."""

import json
import shutil
import time

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.test_bad_uploads_browser import _settle

pytestmark = pytest.mark.browser


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Files a user would bring, made from two zoo encoders (old = mlp-s0, new = mlp-s1)."""
    from core.spaces.zoo import Zoo

    d = tmp_path_factory.mktemp("uploads")
    z = Zoo("digits")
    data = z.data
    old, new = z.vectors("mlp-s0"), z.vectors("mlp-s1")
    perm = np.random.default_rng(0).permutation(len(data.ids))
    pd.DataFrame({"id": data.ids, "label": data.y, "embedding": list(old)}).to_parquet(d / "old.parquet")
    pd.DataFrame({"id": data.ids[perm], "embedding": list(new[perm])}).to_parquet(d / "new.parquet")
    np.save(d / "old.npy", old)
    np.save(d / "new.npy", new)
    np.savez(d / "old.npz", vectors=old, ids=data.ids, labels=data.y)
    cols = {f"d{i}": new[:, i] for i in range(new.shape[1])}
    pd.DataFrame({"id": data.ids, **cols}).to_csv(d / "new.csv", index=False)
    table = pd.DataFrame({"id": data.ids, "label": data.y, **{f"px{i}": data.X[:, i] for i in range(64)}})
    table.to_csv(d / "digits.csv", index=False)

    shutil.copy(z.root / "mlp-s0.onnx", d / "mlp.onnx")  # the zoo's own ONNX model (outputs latent and logits)
    shutil.copy(z.root / "cnn-s0.safetensors", d / "cnn.safetensors")
    (d / "cnn.json").write_text(json.dumps({"arch": "cnn", "config": z.entries["cnn-s0"]["config"]}))
    (d / "evil.pkl").write_bytes(b"\x80\x04K\x01.")
    return d


def _load(page, paths, *, name, table=None):
    page.get_by_role("tab", name="Upload your own").click()
    inputs = page.locator('[data-testid="stFileUploader"] input[type=file]')
    inputs.nth(0).set_input_files([str(p) for p in paths])
    for p in paths:  # uploads finished
        page.get_by_text(p.name, exact=True).first.wait_for(timeout=30_000)
    # each upload starts a rerun that must end first: it can drop the next upload, or redraw the Options
    # expander (closed) and the name box (with its old value) after the name is typed
    _settle(page)
    if table is not None:
        inputs.nth(1).set_input_files(str(table))
        page.get_by_text(table.name, exact=True).first.wait_for(timeout=30_000)
        _settle(page)
    box = page.get_by_label("Name of this collection")
    for _ in range(3):  # under load a late rerun can still close the expander or reset the box: do it again
        if not box.is_visible():
            page.get_by_text("Options").click()
            try:
                box.wait_for(state="visible", timeout=15_000)
            except PlaywrightTimeoutError:
                continue
        box.fill(name)
        box.press("Enter")
        _settle(page)
        if box.input_value() == name:
            break
    assert box.input_value() == name, f"the name box holds {box.input_value()!r}, not {name!r}"
    page.get_by_role("button", name="Load files").click()


CASES = [  # the parquet pair last: it is then stitched on Explore in the same session
    ("npy pair", ["old.npy", "new.npy"], None, "2"),
    ("npz + csv", ["old.npz", "new.csv"], None, "2"),
    ("onnx + safetensors", ["mlp.onnx", "cnn.safetensors", "cnn.json"], "digits.csv", "2"),
    ("parquet pair", ["old.parquet", "new.parquet"], None, "2"),
]


def _open_data_page(page, server):
    """A fresh session on the Data & encoders page (an empty uploader)."""
    page.goto(server + "/data")
    page.get_by_role("tab", name="Upload your own").wait_for(timeout=120_000)


def test_every_format_uploads_and_the_old_new_pair_stitches(browser, server, files, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    # a pickle is refused with a clear message, and the page stays usable
    _open_data_page(page, server)
    _load(page, [files / "evil.pkl"], name="evil")
    page.get_by_text("Could not load these files").wait_for(timeout=30_000)
    assert page.get_by_text("pickles").count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0

    for name, paths, table, n_spaces in CASES:
        _open_data_page(page, server)
        _load(page, [files / p for p in paths], name=name, table=files / table if table else None)
        try:
            page.get_by_text(f"Loaded: {name} (uploaded)").wait_for(timeout=60_000)
        except Exception:
            page.screenshot(path=str(tmp_path / "failed.png"), full_page=True)
            errors = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
            raise AssertionError(f"{name}: not loaded; errors on the page: {errors}; screenshot {tmp_path / 'failed.png'}")
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0, name
        assert _metric(page, "Samples") == "1,797", name
        assert _metric(page, "Spaces") == n_spaces, name
        if name == "npy pair":  # no ids in .npy: matched by order, and the page says so
            assert page.get_by_text("matched BY ORDER").count() >= 1
        page.screenshot(path=str(tmp_path / f"upload_{name.replace(' ', '_')}.png"))

    # the old/new pair, end to end, in the same session: Explore now shows it
    page.get_by_role("tab", name="Bundled datasets").click()
    page.get_by_text("Open Explore & stitch").click()
    page.get_by_text("B → A's head · relative").first.wait_for(timeout=120_000)  # the readout
    page.screenshot(path=str(tmp_path / "explore_after_upload.png"), full_page=True)
    page.get_by_text("1,797 parquet pair samples").wait_for(timeout=60_000)  # the current dataset
    rel = ab = None
    deadline = time.time() + 120
    while time.time() < deadline and rel is None:
        try:
            rel = float(_metric(page, "B → A's head · relative"))
            ab = float(_metric(page, "B → A's head · absolute"))
        except Exception:  # the readout is still computing
            rel = None
            time.sleep(0.5)
    page.screenshot(path=str(tmp_path / "explore_uploaded_pair.png"))
    print(f"uploaded old/new pair: relative stitched {rel:.3f}, absolute stitched {ab:.3f}")
    assert rel > 0.85 and ab < 0.4
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
