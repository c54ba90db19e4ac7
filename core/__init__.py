"""Stitchboard core: relative representations, anchors, stitching, layouts.

No streamlit import anywhere in this package, and nothing heavy happens on import.
"""

from .anchors import STRATEGIES, select_anchors
from .datasets import DATASETS, Dataset, load_dataset
from .latent_space import LatentSpace
from .relative import SIMILARITIES, relative_projection
from .stitching import StitchingResult, stitching_matrix

__version__ = "0.1.0"

__all__ = [
    "DATASETS",
    "Dataset",
    "LatentSpace",
    "SIMILARITIES",
    "STRATEGIES",
    "StitchingResult",
    "load_dataset",
    "relative_projection",
    "select_anchors",
    "stitching_matrix",
]
