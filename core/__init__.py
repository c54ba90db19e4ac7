"""Stitchboard core: relative representations, anchors, translation, stitching, metrics.

No streamlit import anywhere in this package, and nothing heavy happens on import
(umap, onnxruntime and the optional extras' torch are imported only by the functions
that need them; the core install has no torch).
"""

from .errors import (
    AnchorError,
    CancelledError,
    FileTooLargeError,
    InvalidInputError,
    InvalidTypeError,
    LoadError,
    MismatchError,
    StitchboardError,
    UnknownIdError,
    UnsafeFileError,
)

# The rest loads on first use (PEP 562): a worker process that needs one module (an ONNX
# run) must not pay for scikit-learn and the whole library on start.
_LAZY = {
    "STRATEGIES": "methods.anchors", "anchor_coverage": "methods.anchors", "select_anchors": "methods.anchors",
    "validate_anchor_ids": "methods.anchors", "DATASETS": "spaces.datasets", "Dataset": "spaces.datasets", "load_dataset": "spaces.datasets",
    "LatentSpace": "spaces.latent_space", "compare_spaces": "methods.metrics", "sample_agreement": "methods.agreement", "SIMILARITIES": "methods.similarities",
    "RelativeProjection": "methods.relative_estimator", "relative_projection": "methods.relative", "MODES": "methods.stitching",
    "StitchingResult": "methods.stitching", "stitching_matrix": "methods.stitching", "anchor_sweep": "methods.sweep",
    "TRANSLATIONS": "methods.translation", "LatentTranslation": "methods.translation", "inverse_relative_projection": "methods.translation",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "AnchorError",
    "CancelledError",
    "FileTooLargeError",
    "InvalidInputError",
    "InvalidTypeError",
    "LoadError",
    "MismatchError",
    "StitchboardError",
    "UnknownIdError",
    "UnsafeFileError",
    "DATASETS",
    "MODES",
    "SIMILARITIES",
    "STRATEGIES",
    "TRANSLATIONS",
    "Dataset",
    "LatentSpace",
    "LatentTranslation",
    "RelativeProjection",
    "StitchingResult",
    "anchor_coverage",
    "anchor_sweep",
    "compare_spaces",
    "inverse_relative_projection",
    "load_dataset",
    "relative_projection",
    "sample_agreement",
    "select_anchors",
    "stitching_matrix",
    "validate_anchor_ids",
]
