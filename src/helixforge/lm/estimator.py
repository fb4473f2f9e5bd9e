"""`LMPropertyModel`: a fine-tuned language model behind the PropertyModel interface
(helixforge.chem.models.base), so chem and dna estimators accept `--model lm:PATH`.

    model = LMPropertyModel("runs/smiles_lm", lora=True, epochs=10)
    model.fit(smiles, y, ["binary"], valid=(valid_smiles, valid_y), seed=0)
    p = model.predict(test_smiles)          # (n, n_tasks)
    model.save("runs/bbbp_lm"); LMPropertyModel.load("runs/bbbp_lm")

`y` is (n, n_tasks) with NaN for missing labels; task_types[j] is "regression" or "binary"
(a single "multiclass" task is accepted too: labels 0..k-1, `predict_proba` gives (n, k)).
Works for SMILES and for DNA: the input strings go to the checkpoint's own tokenizer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError
from helixforge.lm.finetune import FinetunedLM

ESTIMATOR_FILE = "helixforge_estimator.json"
# Options read back from a saved estimator; anything else in the file (e.g. trust_remote_code)
# is ignored: model folders are data and never switch on code loading.
_STORED_OPTIONS = {
    "lora", "lora_r", "lora_alpha", "lora_dropout", "epochs", "lr", "batch_size", "max_len",
    "stride_fraction", "patience", "weight_decay",
}  # fmt: skip


class LMPropertyModel:
    """Fine-tune a pretrained checkpoint (full or LoRA) to predict sequence/molecule properties."""

    name = "lm"

    def __init__(self, model_path: str | os.PathLike | None = None, **options: Any):
        """`model_path`: a local checkpoint directory (`lm:PATH` in the CLI). `options` go to
        `FinetunedLM` (lora, epochs, lr, batch_size, max_len, device, threads, …)."""
        if isinstance(model_path, str) and model_path.startswith("lm:"):
            model_path = model_path[3:]
        self.model_path = str(model_path) if model_path is not None else None
        self.options = options
        self._lm: FinetunedLM | None = None

    @classmethod
    def from_spec(cls, spec: str, **options: Any) -> LMPropertyModel:
        """`lm:PATH` → LMPropertyModel(PATH)."""
        if not spec.startswith("lm:") or len(spec) <= 3:
            raise ConfigError(
                f"model spec {spec!r} is not lm:PATH", hint="for example --model lm:runs/smiles_lm"
            )
        return cls(spec[3:], **options)

    def fit(
        self,
        smiles: Sequence[str],
        y: np.ndarray,
        task_types: Sequence[str],
        *,
        valid: tuple[Sequence[str], np.ndarray] | None = None,
        seed: int = 0,
    ) -> LMPropertyModel:
        """Train; `valid` is used for early stopping only."""
        if self.model_path is None:
            raise ConfigError(
                "LMPropertyModel needs a pretrained checkpoint", hint="pass --model lm:PATH"
            )
        self._lm = FinetunedLM(self.model_path, **self.options).fit(
            list(smiles), y, task_types, valid=valid, seed=seed
        )
        return self

    def _fitted(self) -> FinetunedLM:
        if self._lm is None:
            raise ConfigError(
                "the model is not fitted", hint="call fit() or LMPropertyModel.load()"
            )
        return self._lm

    def predict(self, smiles: Sequence[str]) -> np.ndarray:
        """(n, n_tasks): values for regression, P(label = 1) for binary, argmax for multiclass."""
        return self._fitted().predict(list(smiles))

    def predict_proba(self, smiles: Sequence[str]) -> np.ndarray:
        return self._fitted().predict_proba(list(smiles))

    @property
    def task_types(self) -> list[str]:
        return self._fitted().task_types

    def save(self, path: str | os.PathLike) -> None:
        """A directory: model/ (save_pretrained + tokenizer) and JSON notes; no pickles."""
        from helixforge.core.artifacts import save_json

        p = Path(path)
        self._fitted().save(p)
        opts = {
            k: v
            for k, v in self.options.items()
            if k in _STORED_OPTIONS and isinstance(v, str | int | float | bool | type(None))
        }
        save_json(
            {"name": self.name, "base_model": self.model_path, "options": opts}, p / ESTIMATOR_FILE
        )

    @classmethod
    def load(
        cls, path: str | os.PathLike, device: str = "cpu", *, trust_remote_code: bool = False
    ) -> LMPropertyModel:
        """Load a saved model; code shipped in the folder runs only with `trust_remote_code`
        given here (never from a setting stored in the folder)."""
        from helixforge.core.artifacts import load_json

        p = Path(path)
        meta = load_json(p / ESTIMATOR_FILE) if (p / ESTIMATOR_FILE).exists() else {}
        options = {k: v for k, v in (meta.get("options") or {}).items() if k in _STORED_OPTIONS}
        obj = cls(meta.get("base_model"), **options, trust_remote_code=trust_remote_code)
        obj._lm = FinetunedLM.load(p, device=device, trust_remote_code=trust_remote_code)
        return obj
