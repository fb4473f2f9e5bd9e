"""`--model lm:PATH`: the core `Estimator` over `helixforge.lm.finetune.FinetunedLM`.

    model = make_sequence_model("lm:runs/dna_lm", epochs=3)
    model.fit(seqs, y, ["binary"], valid=(vs, vy), seed=0)   # y: (n, 1) encoded (core)
    model.predict(seqs); model.save("run/model/member_0")

Labels arrive encoded by `core.supervised` (class indices, or values) — the (n, 1) matrix
FinetunedLM takes; with raw labels and no task types (direct use) they are encoded by the same
rule (`dna.models.targets`). Same fit / predict / predict_proba / predict_label / save / load
as `SequenceModel`. Options are named explicitly (no signature filtering); LM
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
from helixforge.core.options import require_int
from helixforge.dna.models.registry import check_arch_params, register_architecture
from helixforge.dna.models.targets import (
    TASKS,
    encode_direct,
    encoded_column,
    index_classes,
    single_task,
)

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

    @property
    def min_len(self) -> int:
        """Bases of one token: k for a dna-kmer tokenizer (a shorter sequence is [UNK]
        alone; it failed the whole job), else 1. Read from the fine-tuned model when loaded,
        else from the base checkpoint."""
        from helixforge.lm.tokenizer_backends import sequence_check

        for where in (getattr(self, "_dir", None), self.path):
            check = sequence_check(where) if where else None
            if check is not None:
                return check.k
        return 1

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
            **check_arch_params(dict(arch_params or {}), LM_DEFAULTS),
        }
        self.classes_: list[Any] | None = None
        self.history: list[dict[str, float]] = []
        self.train_seconds = 0.0
        self._lm = None

    def fit(
        self,
        seqs: Sequence[str],
        y,
        task_types: Sequence[str] | None = None,
        *,
        valid: tuple[Sequence[str], Any] | None = None,
        seed: int | None = None,
    ) -> LMSequenceModel:
        """Fine-tune (core `Estimator.fit`; raw labels of `task` when `task_types` is None);
        `valid` drives early stopping only."""
        from helixforge.dna.models.estimator import check_valid
        from helixforge.dna.models.inference import dna_batch

        seqs, valid = dna_batch(seqs), check_valid(valid)
        vy = valid[1] if valid is not None and len(valid[0]) else None
        if task_types is None:
            y_col, v_col, self.classes_ = encode_direct(self.task, y, vy)
        else:
            self.task = single_task(task_types)
            y_col = encoded_column(y, len(y))
            v_col = None if vy is None else encoded_column(vy, len(vy))
            cols = [y_col] + ([v_col] if v_col is not None else [])
            self.classes_ = None if self.task == "regression" else index_classes(*cols)
        if seed is not None:
            self.seed = int(seed)
        v = None
        if v_col is not None:
            v = ([s.upper() for s in valid[0]], v_col.reshape(-1, 1))
        self._lm = finetuned_lm_class()(self.path, **self.options)
        t0 = time.perf_counter()
        self._lm.fit(
            [s.upper() for s in seqs], y_col.reshape(-1, 1), [self.task], valid=v, seed=self.seed
        )
        self.train_seconds = time.perf_counter() - t0
        self.history = list(getattr(self._lm, "history", []))
        return self

    def _fitted(self):
        if self._lm is None:
            raise ConfigError("the language model is not fine-tuned yet", hint="call fit()/load()")
        return self._lm

    def predict_proba(self, seqs: Sequence[str]) -> np.ndarray:
        """(n, k) class probabilities (binary: k = 2); regression: the values."""
        from helixforge.dna.models.inference import dna_batch

        lm = self._fitted()
        seqs = [s.upper() for s in dna_batch(seqs)]
        if self.task == "multiclass":
            return np.asarray(lm.predict_proba(seqs), dtype=float)
        p = np.asarray(lm.predict(seqs), dtype=float).reshape(len(seqs), -1)[:, 0]
        return np.stack([1.0 - p, p], axis=1) if self.task == "binary" else p

    def predict(self, seqs: Sequence[str]) -> np.ndarray:
        """(n, 1) as the core protocol: P(second class), value, or class index (multiclass)."""
        p = self.predict_proba(seqs)
        if self.task == "binary":
            return p[:, 1:2]
        if self.task == "multiclass":
            return p.argmax(axis=1).astype(float)[:, None]
        return p[:, None]

    def predict_label(self, seqs: Sequence[str], threshold: float = 0.5) -> list[Any]:
        """Class labels (classification tasks)."""
        classes = self.classes_ or []
        if self.task == "binary":
            return [classes[int(v >= threshold)] for v in self.predict(seqs)[:, 0]]
        if self.task == "multiclass":
            return [classes[int(i)] for i in self.predict(seqs)[:, 0]]
        raise ConfigError("predict_label is for classification models")

    def to_device(self, device: str) -> LMSequenceModel:
        """Move the fine-tuned model to `device` for prediction."""
        from helixforge.core.training import resolve_device

        module = getattr(self._fitted(), "model", None)
        if module is not None:
            module.to(resolve_device(device)).eval()
        return self

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
        obj._dir = str(d)
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
