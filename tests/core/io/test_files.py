"""Reading the user's files: pickles are refused and never run, uploads over the size limit are refused."""

import os
import pickle

import numpy as np
import pytest

from core.errors import FileTooLargeError, LoadError, UnsafeFileError
from core.io.collection_files import load_collection


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("suffix", [".pt", ".pkl", ".npy", ".npz", ".csv", ".parquet"])
def test_malicious_pickle_never_runs(tmp_path, suffix):
    marker = tmp_path / "PWNED"
    path = tmp_path / f"evil{suffix}"
    path.write_bytes(pickle.dumps(_Evil(marker)))
    with pytest.raises(LoadError) as info:  # UnsafeFileError subclasses LoadError
        load_collection([path])
    assert not marker.exists(), "the pickle's command ran"
    if suffix in (".pt", ".pkl"):
        assert info.type is UnsafeFileError and "pickle" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_upload_over_limit(vecs):
    X, _, _ = vecs
    import io

    buf = io.BytesIO()
    np.save(buf, X)
    with pytest.raises(FileTooLargeError, match=r"over the upload limit of 100 bytes \(start the dashboard with --server.maxUploadSize"):
        load_collection([("big.npy", buf.getvalue())], max_bytes=100)
