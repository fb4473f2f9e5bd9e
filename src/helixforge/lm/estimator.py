"""`LMPropertyModel`: the one fine-tuned language-model estimator (fit / predict / save / load).

    model = LMPropertyModel("runs/smiles_lm", lora=True, epochs=10)
    model.fit(smiles, y, ["binary"], valid=(valid_smiles, valid_y), seed=0)
    p = model.predict(test_smiles)          # (n, n_tasks)
    model.save("runs/bbbp_lm"); LMPropertyModel.load("runs/bbbp_lm")

`y` is (n, n_tasks) with NaN for missing labels; task_types[j] is "regression" or "binary"; a
single "multiclass" task takes labels 0..k-1 (`predict_proba` gives (n, k)); a single
"token-classification" task takes one label list per sequence (`predict` gives per-character
class probabilities). Works for SMILES and DNA: inputs go to the checkpoint's own tokenizer.
chem (`--model lm:PATH`), dna (`lm_adapter`) and `helix lm finetune` all use this class.
The best epoch on the validation set is kept; LoRA weights are merged before saving, so
`path/model` is a plain transformers checkpoint. `FinetunedLM` is the same class (older name).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError, NoUsableRowsError
from helixforge.core.options import require_float, require_int
from helixforge.core.training import restores_torch_threads, set_threads

FINETUNE_FILE = "helixforge_finetune.json"
ESTIMATOR_FILE = "helixforge_estimator.json"  # written by older versions; read for base_model
TASK_TYPES = ("regression", "binary", "multiclass")
TOKEN_TASK = "token-classification"
# Options read back from a saved model. Anything else in its files (e.g. trust_remote_code) is
# ignored: model folders are data and never switch on code loading.
_STORED_OPTIONS = (
    "lora", "lora_r", "lora_alpha", "lora_dropout", "epochs", "lr", "batch_size", "max_len",
    "stride_fraction", "patience", "weight_decay",
)  # fmt: skip


class LMPropertyModel:
    """Fine-tune a pretrained checkpoint (full or LoRA) to predict sequence/molecule properties."""

    name = "lm"

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        *,
        lora: bool = False,
        lora_r: int = 8,
        lora_alpha: int = 16,
        lora_dropout: float = 0.05,
        epochs: int = 5,
        lr: float | None = None,
        batch_size: int = 32,
        max_len: int | None = None,
        stride_fraction: float = 0.5,
        patience: int | None = 3,
        weight_decay: float = 0.01,
        device: str = "auto",
        threads: int | None = None,
        trust_remote_code: bool = False,
        quiet: bool = True,
        checkpoint_dir: str | os.PathLike | None = None,
        resume: bool = False,
    ):
        if isinstance(model_path, str) and model_path.startswith("lm:"):
            model_path = model_path[3:]
        self.model_path = str(model_path) if model_path is not None else None
        self.lora = bool(lora)
        self.lora_r, self.lora_alpha, self.lora_dropout = lora_r, lora_alpha, lora_dropout
        self.epochs = require_int(epochs, "--epochs")
        self.lr = require_float(
            lr if lr is not None else (1e-3 if lora else 2e-4), "--lr", low=0, low_open=True
        )
        self.batch_size = require_int(batch_size, "--batch-size")
        self.max_len = None if max_len is None else require_int(max_len, "--max-len", min_value=8)
        self.stride_fraction = require_float(
            stride_fraction, "stride_fraction", low=0, high=1, low_open=True
        )
        self.patience = patience
        self.weight_decay = weight_decay
        self.device = device
        self.threads = threads
        self.trust_remote_code = bool(trust_remote_code)
        self.quiet = quiet
        # runtime only (not saved): per-epoch checkpoints, and the finished model in `final/`
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.resume = bool(resume)
        self.model = None
        self.tokenizer = None
        self.task_types: list[str] = []
        self.label_cols: list[str] | None = None
        self.n_classes: int | None = None
        self.y_mean: np.ndarray | None = None
        self.y_std: np.ndarray | None = None
        self.history: list[dict[str, float]] = []
        self.trainable_parameters = 0

    @property
    def options(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _STORED_OPTIONS}

    @classmethod
    def from_spec(cls, spec: str, **options: Any) -> LMPropertyModel:
        """`lm:PATH` → LMPropertyModel(PATH)."""
        if not spec.startswith("lm:") or len(spec) <= 3:
            raise ConfigError(
                f"model spec {spec!r} is not lm:PATH", hint="for example --model lm:runs/smiles_lm"
            )
        return cls(spec[3:], **options)

    # ---- training ------------------------------------------------------------------------
    def _check_y(self, sequences, y, task_types):
        if isinstance(task_types, str):  # 'regression' is one task, not one per character
            task_types = [task_types]
        task_types = [("binary" if t == "classification" else t) for t in task_types]
        if y is None:
            raise InputError("y is None", hint="pass one label (row) per sequence")
        if task_types == [TOKEN_TASK]:
            if len(sequences) != len(y):
                raise InputError(f"{len(sequences)} sequences but {len(y)} label lists")
            return y, task_types
        try:
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"y must be numbers (one row per sequence): {exc}",
                hint="encode class labels as 0, 1, … and use NaN for a missing label",
            ) from None
        if y.ndim not in (1, 2):
            raise InputError(f"y must be 1-D or (n, tasks), got shape {y.shape}")
        y = y[:, None] if y.ndim == 1 else y
        bad = [t for t in task_types if t not in TASK_TYPES]
        if bad or len(task_types) != y.shape[1]:
            raise ConfigError(
                f"task_types {list(task_types)} do not match y with {y.shape[1]} column(s)",
                hint=f"one of {TASK_TYPES} per column",
            )
        if "multiclass" in task_types and len(task_types) > 1:
            raise ConfigError(
                "a multiclass task must be the only task", hint="one model per column"
            )
        if len(sequences) != len(y):
            raise InputError(f"{len(sequences)} sequences but {len(y)} label rows")
        if np.isinf(y).any():
            raise InputError("labels contain inf", hint="remove or fix those rows")
        return y, task_types

    def _scaling(self, y) -> None:
        reg = np.array([t == "regression" for t in self.task_types])
        self.y_mean, self.y_std = np.zeros(y.shape[1]), np.ones(y.shape[1])
        if reg.any():
            self.y_mean[reg] = np.nanmean(y[:, reg], axis=0)
            std = np.nanstd(y[:, reg], axis=0)
            self.y_std[reg] = np.where(std > 0, std, 1.0)

    @restores_torch_threads
    def fit(
        self,
        sequences: Sequence[str],
        y,
        task_types: Sequence[str],
        *,
        valid: tuple[Sequence[str], Any] | None = None,
        seed: int = 0,
    ) -> LMPropertyModel:
        """Train on `sequences` with labels `y`. `valid` is used for early stopping only;
        without it 10 % of the training set is held out for that (from 10 rows on; token
        classification too)."""
        from helixforge.core.batching import Batches
        from helixforge.core.training import TrainConfig, fit, seed_everything
        from helixforge.lm import heads
        from helixforge.lm.lora import apply_lora, load_for_training, merge_lora
        from helixforge.lm.models import check_max_len, count_parameters, default_max_len

        if self.model_path is None:
            raise ConfigError(
                "the model needs a pretrained checkpoint", hint="pass --model lm:PATH"
            )
        from helixforge.lm.inputs import as_sequences

        sequences = as_sequences(sequences, "sequences")
        y, task_types = self._check_y(sequences, y, task_types)
        ckpt = self.checkpoint_dir
        if ckpt is not None and self.resume and (ckpt / "final").is_dir():
            return self._adopt(ckpt / "final")  # this member finished before the interruption
        seed_everything(seed)
        set_threads(self.threads)
        self.task_types = list(task_types)
        token = task_types == [TOKEN_TASK]
        if token:
            self.n_classes = int(max((max(lab) for lab in y if len(lab)), default=1)) + 1
            num_labels = self.n_classes
        elif task_types == ["multiclass"]:
            labels = y[~np.isnan(y[:, 0]), 0]
            self.n_classes = int(labels.max()) + 1 if len(labels) else 2
            num_labels = self.n_classes
        else:
            num_labels = y.shape[1]
        if valid is None and len(y) >= 10:
            order = np.random.default_rng(seed).permutation(len(y))
            vidx, tidx = order[: len(y) // 10], order[len(y) // 10 :]
            pick = (lambda idx: [y[i] for i in idx]) if token else (lambda idx: y[idx])  # noqa: E731
            valid = ([sequences[i] for i in vidx], pick(vidx))
            sequences, y = [sequences[i] for i in tidx], pick(tidx)
        model, tok, missing, model_dir = load_for_training(
            self.model_path, "token" if token else "sequence", num_labels, self.trust_remote_code
        )
        self.tokenizer = tok
        check_max_len(self.max_len, model_dir, model.config)
        self.max_len = self.max_len or default_max_len(model_dir, model.config)
        if token:
            items = lambda s, yy: heads.token_items(tok, s, yy, self.max_len)  # noqa: E731
            collate, loss_fn = heads.token_collate(tok.pad_id), (lambda m, b: m(**b).loss)
        else:
            self._scaling(y)
            model.config.problem_type = (
                "single_label_classification"
                if task_types == ["multiclass"]
                else "regression"
                if all(t == "regression" for t in task_types)
                else "multi_label_classification"
            )
            if task_types == ["multiclass"]:
                self.y_mean, self.y_std = np.zeros(1), np.ones(1)

            def items(seqs, yy):
                yy = np.asarray(yy, dtype=np.float64)
                yy = yy[:, None] if yy.ndim == 1 else yy
                windows, owner = heads.sequence_windows(
                    tok, seqs, self.max_len, self.stride_fraction
                )
                scaled = (yy - self.y_mean) / self.y_std
                return [(w, scaled[o]) for w, o in zip(windows, owner)]

            collate, loss_fn = heads.sequence_collate(tok.pad_id), heads.sequence_loss(task_types)
        if self.lora:
            kind = "TOKEN_CLS" if token else "SEQ_CLS"
            model = apply_lora(
                model, missing, self.lora_r, self.lora_alpha, self.lora_dropout, kind
            )
        self.trainable_parameters = count_parameters(model, trainable_only=True)
        self.model = model
        train_items = items(sequences, y)
        if not train_items:
            raise NoUsableRowsError("no training sequences left")
        train = Batches(train_items, self.batch_size, collate, shuffle=True, seed=seed)
        vb = None
        if valid is not None and len(valid[0]):
            vb = Batches(items(list(valid[0]), valid[1]), self.batch_size, collate)
        cfg = TrainConfig(
            epochs=self.epochs,
            lr=self.lr,
            weight_decay=self.weight_decay,
            patience=self.patience,
            device=self.device,
            warmup_fraction=0.1,
            quiet=self.quiet,
            checkpoint_dir=None if ckpt is None else str(ckpt),
            resume=self.resume,
        )
        self.history = fit(model, train, loss_fn=loss_fn, valid_batches=vb, config=cfg).history
        if self.lora:
            self.model = merge_lora(self.model)
        self.model.eval()
        if ckpt is not None:  # a resume after this point loads it instead of training again
            from helixforge.core.io import staging_dir

            with staging_dir(ckpt / "final") as stage:
                self.save(stage)
        return self

    def _adopt(self, path: Path) -> LMPropertyModel:
        """Take the fitted state of the model saved at `path`, keeping this run's settings."""
        keep = ("device", "threads", "quiet", "checkpoint_dir", "resume", "trust_remote_code")
        runtime = {k: getattr(self, k) for k in keep}
        done = type(self).load(path, device="cpu", trust_remote_code=self.trust_remote_code)
        self.__dict__.update(done.__dict__)
        self.__dict__.update(runtime)
        return self

    # ---- prediction ----------------------------------------------------------------------
    def _fitted(self):
        if self.model is None:
            raise ConfigError("the model is not fitted", hint="call fit() or load() first")
        return self.model

    def _logits(self, sequences: Sequence[str], quiet: bool = True) -> np.ndarray:
        import torch

        from helixforge.core.progress import progress
        from helixforge.lm.batching import pad_batch
        from helixforge.lm.heads import sequence_windows

        model = self._fitted()
        windows, owner = sequence_windows(
            self.tokenizer, sequences, self.max_len, self.stride_fraction
        )
        device = next(model.parameters()).device
        out = []
        with (
            torch.no_grad(),
            progress("predicting", len(windows), quiet=quiet, unit="windows") as advance,
        ):
            for i in range(0, len(windows), self.batch_size):
                chunk = windows[i : i + self.batch_size]
                ids, attn = pad_batch(chunk, self.tokenizer.pad_id)
                logits = model(input_ids=ids.to(device), attention_mask=attn.to(device)).logits
                out.append(logits.float().cpu().numpy())
                advance(len(chunk))
        logits = np.concatenate(out) if out else np.zeros((0, model.config.num_labels))
        summed = np.zeros((len(sequences), logits.shape[1]))
        np.add.at(summed, owner, logits)
        counts = np.bincount(owner, minlength=len(sequences))[:, None]
        return summed / np.maximum(counts, 1)

    def _inputs(self, sequences) -> list[str]:
        """Sequences to predict on, checked against this model's tokenizer (before any work)."""
        from helixforge.lm.tokenizer_backends import clean_api_sequences, spec_check

        self._fitted()
        return clean_api_sequences(sequences, spec_check(getattr(self.tokenizer, "spec", None)))

    def predict_proba(self, sequences: Sequence[str], quiet: bool = True) -> np.ndarray:
        """Multiclass: (n, k) class probabilities. Otherwise the same as `predict`."""
        if self.task_types == ["multiclass"]:
            z = self._logits(self._inputs(sequences), quiet)
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return self.predict(sequences, quiet)

    def predict(self, sequences: Sequence[str], quiet: bool = True):
        """(n, n_tasks): values for regression, P(class 1) for binary, the class for multiclass;
        token classification: per-character class probabilities, one array per sequence.
        One string is one sequence; a character the tokenizer would read as [UNK] is an
        InputError naming the sequence."""
        sequences = self._inputs(sequences)
        if self.task_types == [TOKEN_TASK]:
            from helixforge.lm.heads import token_probabilities

            model = self._fitted()
            device = next(model.parameters()).device
            return [
                token_probabilities(model, self.tokenizer, s, self.max_len, self.n_classes, device)
                for s in sequences
            ]
        z = self._logits(sequences, quiet)
        if self.task_types == ["multiclass"]:
            return z.argmax(axis=1)[:, None].astype(float)
        out = np.empty_like(z)
        for j, t in enumerate(self.task_types):
            reg = t == "regression"
            out[:, j] = (
                z[:, j] * self.y_std[j] + self.y_mean[j] if reg else 1 / (1 + np.exp(-z[:, j]))
            )
        return out

    # ---- persistence ---------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """`path/model` (save_pretrained + tokenizer) and `path/helixforge_finetune.json`
        (tasks, scaling, options, and the size and sha256 of every model file)."""
        from helixforge.lm.model_files import save_model_folder

        return save_model_folder(self, Path(path))

    @classmethod
    def load(
        cls, path: str | os.PathLike, device: str = "cpu", *, trust_remote_code: bool = False
    ) -> LMPropertyModel:
        """Load a saved model. Model folders are data: a `trust_remote_code` entry in its files
        is never honoured; only this argument (--trust-remote-code) lets the folder's code run.
        Damaged or changed files are an InputError naming the file."""
        from helixforge.lm.inputs import as_path
        from helixforge.lm.model_files import load_model_folder

        return load_model_folder(cls, as_path(path, "model path"), device, trust_remote_code)


FinetunedLM = LMPropertyModel
