"""`--model lm:PATH`: one adapter from DNA labels to `helixforge.lm.finetune.FinetunedLM`.

    model = make_sequence_model("lm:runs/dna_lm", task="binary", epochs=3)
    model.fit(seqs, labels, valid=(vs, vl)); model.predict(seqs); model.save("run/model")

The adapter maps labels to the (n, 1) matrix FinetunedLM takes (class indices for binary and
multiclass, floats for regression) and back, and gives the same fit / predict / predict_label /
save / load as `SequenceModel`. Options are named explicitly (no signature filtering); LM
specifics (lora, max_len, …) come through `--param KEY=VALUE`, checked against `LM_DEFAULTS`.
The lm package is imported lazily; loading never enables remote code from a folder's files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError
from helixforge.core.options import check_param_types, require_int
from helixforge.dna.models.labels import TASKS, class_indices, class_list, regression_targets
from helixforge.dna.models.registry import register_architecture

FORMAT = "helixforge.dna.LMSequenceModel/1"
META_FILE = "helixforge_dna.json"
# `--param` keys for lm:PATH and their defaults (the FinetunedLM keyword arguments)
LM_DEFAULTS: dict[str, Any] = {
    "lora": False,
    "lora_r": 8,
    "lora_alpha": 16,
    "lora_dropout": 0.05,
    "max_len": None,
    "stride_fraction": 0.5,
    "weight_decay": 0.01,
}


def finetuned_lm_class():
    """`helixforge.lm.finetune.FinetunedLM`, or a ConfigError saying why it is unavailable."""
    try:
        from helixforge.lm.finetune import FinetunedLM
    except ImportError as exc:
        raise ConfigError(
            "--model lm:PATH needs helixforge.lm.finetune, which could not be imported",
            hint=f"use --model cnn or resnet ({exc})",
        ) from None
    return FinetunedLM


class LMSequenceModel:
    """Fine-tunes the checkpoint at `path` for a binary, multiclass or regression DNA task."""

    name = "lm"
    max_len = None  # long sequences are windowed by the LM itself

    def __init__(
        self,
        path: str | os.PathLike,
        task: str = "binary",
        *,
        epochs: int = 5,
        lr: float | None = None,
        batch_size: int = 32,
        patience: int | None = 3,
        seed: int = 0,
        device: str = "auto",
        threads: int | None = None,
        quiet: bool = True,
        arch_params: dict[str, Any] | None = None,
    ):
        if task not in TASKS:
            raise ConfigError(f"--task {task!r} is not one of: {', '.join(TASKS)}")
        self.path = str(path)
        self.task = task
        self.seed = int(seed)
        self.options: dict[str, Any] = {
            "epochs": require_int(epochs, "--epochs"),
            "batch_size": require_int(batch_size, "--batch-size"),
            "lr": lr,
            "patience": patience,
            "device": device,
            "threads": threads,
            "quiet": quiet,
            **check_param_types(dict(arch_params or {}), LM_DEFAULTS),
        }
        self.classes_: list[Any] | None = None
        self.history: list[dict[str, float]] = []
        self.train_seconds = 0.0
        self._lm = None

    def _targets(self, y, first: bool) -> np.ndarray:
        if self.task == "regression":
            return regression_targets(y).reshape(-1, 1)
        if first:
            self.classes_ = class_list(self.task, y)
        return class_indices(y, self.classes_).astype(float).reshape(-1, 1)

    def fit(
        self, seqs: Sequence[str], y, valid: tuple[Sequence[str], Any] | None = None
    ) -> LMSequenceModel:
        """Fine-tune; `valid` drives early stopping only."""
        y_enc = self._targets(y, first=True)
        v = None
        if valid is not None and len(valid[0]):
            v = ([s.upper() for s in valid[0]], self._targets(valid[1], first=False))
        self._lm = finetuned_lm_class()(self.path, **self.options)
        t0 = time.perf_counter()
        self._lm.fit([s.upper() for s in seqs], y_enc, [self.task], valid=v, seed=self.seed)
        self.train_seconds = time.perf_counter() - t0
        self.history = list(getattr(self._lm, "history", []))
        return self

    def _fitted(self):
        if self._lm is None:
            raise ConfigError("the language model is not fine-tuned yet", hint="call fit()/load()")
        return self._lm

    def predict(self, seqs: Sequence[str]) -> np.ndarray:
        """Same shapes as SequenceModel.predict: (n,) binary / regression, (n, k) multiclass."""
        lm = self._fitted()
        seqs = [s.upper() for s in seqs]
        if self.task == "multiclass":
            return np.asarray(lm.predict_proba(seqs), dtype=float)
        return np.asarray(lm.predict(seqs), dtype=float).reshape(len(seqs), -1)[:, 0]

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
        meta = {"format": FORMAT, "task": self.task, "classes": self.classes_}
        save_json({**meta, "base_model": self.path}, d / META_FILE)
        return d

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> LMSequenceModel:
        from helixforge.dna.models.storage import read_model_config

        d = Path(path)
        meta = read_model_config(d / META_FILE, FORMAT)
        if meta.get("task") not in TASKS:
            raise ConfigError(f"{d / META_FILE}: unknown task {meta.get('task')!r}")
        obj = cls(meta.get("base_model", ""), task=meta["task"])
        obj.classes_ = meta.get("classes")
        obj._lm = finetuned_lm_class().load(d, device=device)
        return obj


@register_architecture(
    "lm", estimator=True, argument="PATH", defaults=LM_DEFAULTS, help="fine-tune a pretrained LM"
)
def make_lm_model(
    path: str,
    task: str = "binary",
    *,
    rc_augment: bool = True,
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = False,
    **options: Any,
) -> LMSequenceModel:
    """`--model lm:PATH`. The CNN-only options (reverse-complement augmentation, epoch
    checkpoints) do not apply to LM fine-tuning and are not used."""
    if not Path(path).exists():
        raise ConfigError(
            f"--model lm:{path}: language model {path!r} not found",
            hint="pass lm:DIR where DIR holds a pretrained checkpoint",
        )
    finetuned_lm_class()  # fail early with a clear message when the lm layer is missing
    return LMSequenceModel(path, task=task, **options)
