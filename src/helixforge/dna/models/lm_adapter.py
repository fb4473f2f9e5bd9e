"""`LMSequenceModel`: a fine-tuned language model (`helixforge.lm`) behind the SequenceModel API.

`helixforge.lm.estimator.LMPropertyModel` follows the chem PropertyModel contract (y as an
(n, n_tasks) float array, task types per column); this adapter maps DNA labels onto it so that
`helix dna train --model lm:PATH` works like the CNNs: fit(seqs, y, valid=) / predict(seqs) /
predict_label / save(dir) / load(dir). The lm package is imported lazily.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError

FORMAT = "helixforge.dna.LMSequenceModel/1"
META_FILE = "helixforge_dna.json"


def lm_estimator_class():
    """The lm layer's estimator class, or a ConfigError saying why it is unavailable."""
    try:
        from helixforge.lm.estimator import LMPropertyModel
    except ImportError as exc:
        raise ConfigError(
            "language-model sequence models need helixforge.lm.estimator.LMPropertyModel, which is not available",
            hint=f"use --model cnn or resnet (import failed: {exc})",
        ) from exc
    return LMPropertyModel


def _finetune_options(options: dict[str, Any]) -> dict[str, Any]:
    """Keep the options the lm fine-tuner accepts (epochs, lr, batch_size, device, threads, …)."""
    try:
        from helixforge.lm.finetune import FinetunedLM

        params = inspect.signature(FinetunedLM.__init__).parameters
    except (ImportError, AttributeError):
        return options
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return options
    return {k: v for k, v in options.items() if k in params and v is not None}


class LMSequenceModel:
    """Fine-tunes the checkpoint at `path` for a binary, multiclass or regression DNA task."""

    name = "lm"

    def __init__(
        self, path: str | os.PathLike, task: str = "binary", seed: int = 0, **options: Any
    ):
        if task not in ("binary", "multiclass", "regression"):
            raise ConfigError(f"unknown task {task!r}")
        self.path = str(path)
        self.task = task
        self.seed = int(seed)
        self.options = _finetune_options(options)
        self.classes_: list[Any] | None = None
        self.max_len = None
        self.history: list[dict[str, float]] = []
        self.train_seconds = 0.0
        self._est = None

    def _encode(self, y) -> np.ndarray:
        from helixforge.dna.models.estimator import _plain, _sort_key

        y = np.asarray(y)
        if self.task == "regression":
            return y.astype(float).reshape(-1, 1)
        labels = [_plain(v) for v in y]
        if self.classes_ is None:
            self.classes_ = sorted(set(labels), key=_sort_key)
            if self.task == "binary" and len(self.classes_) != 2:
                raise InputError(
                    f"binary task needs exactly 2 label values, found {len(self.classes_)}"
                )
        index = {c: i for i, c in enumerate(self.classes_)}
        unknown = [v for v in labels if v not in index]
        if unknown:
            raise InputError(
                f"labels {sorted(set(map(str, unknown)))[:5]} were not seen in training"
            )
        return np.array([index[v] for v in labels], dtype=float).reshape(-1, 1)

    def fit(
        self, seqs: Sequence[str], y, valid: tuple[Sequence[str], Any] | None = None
    ) -> LMSequenceModel:
        """Fine-tune; `valid` drives early stopping only."""
        cls = lm_estimator_class()
        self.classes_ = None
        y_enc = self._encode(y)
        v = (
            (list(valid[0]), self._encode(valid[1]))
            if valid is not None and len(valid[0])
            else None
        )
        self._est = cls(self.path, **self.options)
        t0 = time.perf_counter()
        self._est.fit([s.upper() for s in seqs], y_enc, [self.task], valid=v, seed=self.seed)
        self.train_seconds = time.perf_counter() - t0
        return self

    def _fitted(self):
        if self._est is None:
            raise ConfigError(
                "the language model is not fine-tuned yet", hint="call fit() or load()"
            )
        return self._est

    def predict(self, seqs: Sequence[str]) -> np.ndarray:
        """Same shapes as SequenceModel.predict: (n,) for binary / regression, (n, k) multiclass."""
        est = self._fitted()
        seqs = [s.upper() for s in seqs]
        if self.task == "multiclass":
            return np.asarray(est.predict_proba(seqs), dtype=float)
        return np.asarray(est.predict(seqs), dtype=float).reshape(len(seqs), -1)[:, 0]

    def predict_label(self, seqs: Sequence[str], threshold: float = 0.5) -> list[Any]:
        p = self.predict(seqs)
        if self.task == "binary":
            return [self.classes_[int(v >= threshold)] for v in p]
        if self.task == "multiclass":
            return [self.classes_[int(i)] for i in p.argmax(axis=1)]
        raise ConfigError("predict_label is for classification models")

    def save(self, path: str | os.PathLike) -> Path:
        from helixforge.core.artifacts import save_json

        d = Path(path)
        d.mkdir(parents=True, exist_ok=True)
        self._fitted().save(d)
        save_json(
            {
                "format": FORMAT,
                "task": self.task,
                "classes": self.classes_,
                "base_model": self.path,
            },
            d / META_FILE,
        )
        return d

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> LMSequenceModel:
        from helixforge.core.artifacts import load_json

        d = Path(path)
        meta = load_json(d / META_FILE)
        obj = cls(meta.get("base_model", ""), task=meta["task"])
        obj.classes_ = meta.get("classes")
        obj._est = lm_estimator_class().load(d)
        return obj
