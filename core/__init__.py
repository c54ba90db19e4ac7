"""Stitchboard core: relative representations, anchors, translation, stitching, metrics.

No streamlit import anywhere in this package, and nothing heavy happens on import
(torch and umap are imported only by the functions that need them).
"""

from .anchors import STRATEGIES, anchor_coverage, select_anchors, validate_anchor_ids
from .datasets import DATASETS, Dataset, load_dataset
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
from .latent_space import LatentSpace
from .metrics import compare_spaces
from .relative import SIMILARITIES, RelativeProjection, relative_projection
from .stitching import MODES, StitchingResult, stitching_matrix
from .sweep import anchor_sweep
from .translation import TRANSLATIONS, LatentTranslation, inverse_relative_projection

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
    "select_anchors",
    "stitching_matrix",
    "validate_anchor_ids",
]
