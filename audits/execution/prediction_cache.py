"""Predictions shared across processes and re-audits: Django's cache (Redis in production) keyed by
(model sha256, input hash), never by the raw text (design.md section 9)."""

import numpy as np
from django.core.cache import caches

ALIAS = "predictions"
TIMEOUT_SECONDS = 30 * 24 * 3600


class DjangoPredictionCache:
    """Implements explainers.runners.cache.PredictionCache on a Django cache alias."""

    def __init__(self, alias: str = ALIAS, timeout: int = TIMEOUT_SECONDS) -> None:
        self.alias = alias
        self.timeout = timeout

    def _key(self, model_key: str, input_key: str) -> str:
        return f"pred:{model_key[:40]}:{input_key}"

    def get_many(self, model_key: str, input_keys: list[str]) -> dict[str, np.ndarray]:
        if not input_keys:
            return {}
        names = {self._key(model_key, key): key for key in input_keys}
        found = caches[self.alias].get_many(list(names))
        # Values are our own float64 bytes: nothing a user uploaded is ever deserialised here.
        return {names[name]: np.frombuffer(value, dtype=np.float64).copy() for name, value in found.items()}

    def set_many(self, model_key: str, values: dict[str, np.ndarray]) -> None:
        if values:
            caches[self.alias].set_many(
                {self._key(model_key, key): np.asarray(v, dtype=np.float64).tobytes() for key, v in values.items()},
                timeout=self.timeout,
            )
