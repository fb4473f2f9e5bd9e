"""`SequenceModel`: a scikit-learn-style estimator over DNA sequences for any registered torch
architecture (`dna.models.registry`: cnn, resnet, resnet_pos, …).

    model = SequenceModel(arch="resnet", task="binary", epochs=10).fit(seqs, y, valid=(vs, vy))
    p = model.predict(test_seqs)          # P(class 1), averaged over both strands
    model.save("run/model"); model = SequenceModel.load("run/model")

For interpretation and variant scoring, `forward_onehot(x)` maps a float tensor (N, L, 4) to
logits differentiably, and `torch_module` is the underlying `nn.Module`.

Reverse complements: with `rc_augment` each training batch has a random half of its sequences
reverse-complemented; with `rc_average` predictions are the mean of the logits of a sequence and
of its reverse complement, so the output does not depend on the strand it is given.

Checkpoints and resume: with `checkpoint_dir` the loop writes a checkpoint each epoch; with
`resume=True` training continues from it. Batch order, augmentation and dropout are seeded per
epoch from (seed, epoch), so a resumed run ends with the same weights as an uninterrupted one.
The caller decides whether a checkpoint belongs to this run (see `dna.train`'s resume key).

A saved model records the sha256 of its weights; `load` refuses a folder whose files are
missing, truncated, corrupt or changed, with an `InputError` naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError
from helixforge.core.options import check_param_types, require_float, require_int
from helixforge.dna.encode import PAD_CODE, encode_padded
from helixforge.dna.models.batching import onehot_batches, onehot_tensor
from helixforge.dna.models.labels import (
    TASKS,
    class_indices,
    class_list,
    regression_targets,
)
from helixforge.dna.models.registry import ARCHITECTURES, Architecture
from helixforge.dna.models.storage import check_weights, read_model_config

FORMAT = "helixforge.dna.SequenceModel/1"


@dataclass
class SequenceModelConfig:
    arch: str = "cnn"
    task: str = "binary"
    epochs: int = 20
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 128
    patience: int | None = 4
    rc_augment: bool = True
    rc_average: bool = True
    warmup_fraction: float = 0.05
    seed: int = 0
    arch_params: dict[str, Any] = field(default_factory=dict)
    # filled in by fit()
    max_len: int | None = None
    classes: list[Any] | None = None
    y_mean: float = 0.0
    y_std: float = 1.0


def _torch_architecture(name: str) -> Architecture:
    arch = ARCHITECTURES.get(name)
    if arch.build is None:
        raise ConfigError(
            f"--model {name!r} is not a torch architecture for SequenceModel",
            hint=f"use make_sequence_model('{arch.usage}') instead",
        )
    return arch


def _epoch_seed(seed: int, epoch: int) -> int:
    return (int(seed) * 1_000_003 + int(epoch)) % (2**63)


class SequenceModel:
    """Estimator for binary, multiclass or regression targets on DNA, any registered torch
    architecture."""

    name = "sequence_model"

    def __init__(
        self,
        arch: str = "cnn",
        task: str = "binary",
        epochs: int = 20,
        lr: float = 1e-3,
        batch_size: int = 128,
        rc_augment: bool = True,
        rc_average: bool = True,
        weight_decay: float = 1e-4,
        patience: int | None = 4,
        warmup_fraction: float = 0.05,
        threads: int | None = None,
        device: str = "auto",
        seed: int = 0,
        quiet: bool = True,
        checkpoint_dir: str | os.PathLike | None = None,
        resume: bool = False,
        arch_params: dict[str, Any] | None = None,
    ):
        spec = _torch_architecture(arch)
        if task not in TASKS:
            raise ConfigError(f"--task {task!r} is not one of: {', '.join(TASKS)}")
        params = check_param_types(dict(arch_params or {}), spec.defaults)
        self.config = SequenceModelConfig(
            arch=arch,
            task=task,
            epochs=require_int(epochs, "--epochs", min_value=1),
            lr=require_float(lr, "--lr", low=0, low_open=True),
            weight_decay=require_float(weight_decay, "weight_decay", low=0),
            batch_size=require_int(batch_size, "--batch-size", min_value=1),
            patience=None if patience is None else require_int(patience, "--patience"),
            rc_augment=bool(rc_augment),
            rc_average=bool(rc_average),
            warmup_fraction=require_float(warmup_fraction, "warmup_fraction", low=0, high=1),
            seed=require_int(seed, "--seed", min_value=None),
            arch_params=params,
        )
        self.threads = threads
        self.device = device
        self.quiet = quiet
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.torch_module = None
        self.history: list[dict[str, float]] = []
        self.train_seconds = 0.0

    # ------------------------------------------------------------------ properties
    @property
    def task(self) -> str:
        return self.config.task

    @property
    def classes_(self) -> list[Any] | None:
        return self.config.classes

    @property
    def max_len(self) -> int | None:
        """Longest accepted input (fixed-length architectures); None when any length works."""
        return self.config.max_len if ARCHITECTURES.get(self.config.arch).fixed_length else None

    @property
    def n_outputs(self) -> int:
        return len(self.config.classes) if self.config.task == "multiclass" else 1

    # ------------------------------------------------------------------ building
    def _build(self):
        spec = _torch_architecture(self.config.arch)
        return spec.build(self.config.max_len, self.n_outputs, **self.config.arch_params)

    def _encode_targets(self, y, first: bool) -> np.ndarray:
        cfg = self.config
        if cfg.task == "regression":
            yf = regression_targets(y)
            if first:
                cfg.y_mean, cfg.y_std = float(yf.mean()), float(yf.std()) or 1.0
            return ((yf - cfg.y_mean) / cfg.y_std).astype(np.float32)
        if first:
            cfg.classes = class_list(cfg.task, y)
        out = class_indices(y, cfg.classes)
        return out.astype(np.float32) if cfg.task == "binary" else out

    def _loss(self, model, batch):
        import torch.nn.functional as F

        x, y = batch
        logits = model(x)
        if self.config.task == "binary":
            return F.binary_cross_entropy_with_logits(logits[:, 0], y)
        if self.config.task == "multiclass":
            return F.cross_entropy(logits, y)
        return F.mse_loss(logits[:, 0], y)

    def _batches(self, codes: np.ndarray, y: np.ndarray, train: bool, start_epoch: int):
        cfg = self.config
        return onehot_batches(
            codes,
            y,
            cfg.batch_size if train else max(256, cfg.batch_size),
            train=train,
            rc_augment=train and cfg.rc_augment,
            seed=cfg.seed,
            start_epoch=start_epoch,
        )

    def _start_epoch(self) -> int:
        """The epoch a resumed fit starts at (0 without a checkpoint)."""
        ckpt = Path(self.checkpoint_dir) / "last.pt" if self.checkpoint_dir else None
        if not (self.resume and ckpt and ckpt.exists()):
            return 0
        import torch

        try:
            return int(torch.load(ckpt, map_location="cpu", weights_only=True)["epoch"]) + 1
        except Exception as exc:  # a damaged checkpoint: say which file
            raise InputError(
                f"{ckpt}: the checkpoint cannot be read ({type(exc).__name__})",
                hint="start afresh without --resume",
            ) from None

    # ------------------------------------------------------------------ API
    def fit(
        self, seqs: Sequence[str], y, valid: tuple[Sequence[str], Any] | None = None
    ) -> SequenceModel:
        """Train on sequences and labels; `valid` (sequences, labels) drives early stopping only."""
        import torch

        from helixforge.core.training import TrainConfig, fit, seed_everything, set_threads

        if len(seqs) == 0:
            raise InputError("no training sequences")
        if len(seqs) != len(y):
            raise InputError(f"{len(seqs)} sequences but {len(y)} labels")
        set_threads(self.threads)
        seed_everything(self.config.seed)
        cfg = self.config
        has_valid = valid is not None and len(valid[0]) > 0
        longest = max(len(s) for s in seqs)
        if has_valid:
            longest = max(longest, max(len(s) for s in valid[0]))
        cfg.max_len = int(longest)
        if ARCHITECTURES.get(cfg.arch).fixed_length:
            from helixforge.dna.models.cnn import MIN_LEN

            cfg.max_len = max(cfg.max_len, MIN_LEN)
        y_enc = self._encode_targets(y, first=True)
        start = self._start_epoch()
        codes = encode_padded([s.upper() for s in seqs], self._pad_len(seqs))
        train = self._batches(codes, y_enc, True, start)
        valid_batches = None
        if has_valid:
            vy = self._encode_targets(valid[1], first=False)
            vcodes = encode_padded([s.upper() for s in valid[0]], self._pad_len(valid[0]))
            valid_batches = self._batches(vcodes, vy, False, 0)
        self.torch_module = self._build()
        torch.manual_seed(_epoch_seed(cfg.seed, start))
        tc = TrainConfig(
            epochs=cfg.epochs,
            lr=cfg.lr,
            weight_decay=cfg.weight_decay,
            patience=cfg.patience if valid_batches is not None else None,
            device=self.device,
            warmup_fraction=cfg.warmup_fraction,
            checkpoint_dir=str(self.checkpoint_dir) if self.checkpoint_dir else None,
            resume=bool(self.resume and self.checkpoint_dir),
            quiet=self.quiet,
        )

        def next_epoch(epoch: int, _row: dict[str, float]) -> None:
            torch.manual_seed(_epoch_seed(cfg.seed, epoch + 1))

        result = fit(
            self.torch_module,
            train,
            loss_fn=self._loss,
            valid_batches=valid_batches,
            config=tc,
            on_epoch_end=next_epoch,
        )
        self.history = result.history
        self.train_seconds = result.seconds
        self.best_epoch = result.best_epoch
        self.torch_module.eval()
        return self

    def _pad_len(self, seqs: Sequence[str]) -> int:
        longest = max((len(s) for s in seqs), default=1)
        return max(self.config.max_len or 0, longest) if self.max_len else longest

    def _require_fitted(self) -> None:
        if self.torch_module is None:
            raise ConfigError(
                "this SequenceModel is not trained yet",
                hint="call fit() or SequenceModel.load(dir)",
            )

    def _check_input(self, seqs: Sequence[str]) -> None:
        limit = self.max_len
        if limit is None:
            return
        too_long = [i for i, s in enumerate(seqs) if len(s) > limit]
        if too_long:
            i = too_long[0]
            raise InputError(
                f"{len(too_long)} sequence(s) are longer than the model's maximum of {limit} bases "
                f"(first: item {i + 1}, {len(seqs[i])} bases)",
                hint="cut them to the trained length, or train a 'resnet' model (any length)",
            )

    def forward_onehot(self, x, rc_average: bool | None = None):
        """Differentiable logits (N, n_outputs) for a float tensor (N, L, 4) of one-hot bases.

        With `rc_average` (default: the model's setting) the logits of x and of its reverse
        complement are averaged. The module is put in eval mode (batch-norm statistics fixed).
        """
        import torch

        self._require_fitted()
        module = self.torch_module
        module.eval()
        if self.max_len is not None and x.shape[1] > self.max_len:
            raise InputError(
                f"input length {x.shape[1]} exceeds the model's maximum of {self.max_len} bases"
            )
        use_rc = self.config.rc_average if rc_average is None else rc_average
        logits = module(x)
        if use_rc:
            logits = 0.5 * (logits + module(torch.flip(x, dims=(1, 2))))
        return logits

    def predict_logits(self, seqs: Sequence[str], batch_size: int = 512) -> np.ndarray:
        """(n, n_outputs) raw outputs (RC-averaged when enabled)."""
        import torch

        self._require_fitted()
        self._check_input(seqs)
        seqs = [s.upper() for s in seqs]
        device = next(self.torch_module.parameters()).device
        outs = []
        order = np.argsort([len(s) for s in seqs], kind="stable")  # similar lengths share a batch
        with torch.no_grad():
            for start in range(0, len(seqs), batch_size):
                chunk = [seqs[i] for i in order[start : start + batch_size]]
                codes = encode_padded(chunk, max(1, max(len(s) for s in chunk)))
                outs.append(self.forward_onehot(onehot_tensor(codes).to(device)).float().cpu())
        if not outs:
            return np.zeros((0, self.n_outputs), dtype=np.float32)
        stacked = np.concatenate([o.numpy() for o in outs])
        result = np.empty_like(stacked)
        result[order] = stacked
        return result

    def predict(self, seqs: Sequence[str], batch_size: int = 512) -> np.ndarray:
        """binary: (n,) P(second class); multiclass: (n, k) probabilities; regression: (n,)."""
        logits = self.predict_logits(seqs, batch_size)
        if self.config.task == "binary":
            return 1.0 / (1.0 + np.exp(-logits[:, 0]))
        if self.config.task == "multiclass":
            z = logits - logits.max(axis=1, keepdims=True)
            e = np.exp(z)
            return e / e.sum(axis=1, keepdims=True)
        return logits[:, 0] * self.config.y_std + self.config.y_mean

    def predict_label(self, seqs: Sequence[str], threshold: float = 0.5) -> list[Any]:
        """Class labels (classification tasks)."""
        p = self.predict(seqs)
        classes = self.config.classes or []
        if self.config.task == "binary":
            return [classes[int(v >= threshold)] for v in p]
        if self.config.task == "multiclass":
            return [classes[int(i)] for i in p.argmax(axis=1)]
        raise ConfigError("predict_label is for classification models; use predict()")

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Write model.safetensors and config.json (with the weights' sha256) into `path`."""
        from helixforge.core.artifacts import save_json, sha256_file
        from helixforge.core.training import save_weights

        self._require_fitted()
        d = Path(path)
        d.mkdir(parents=True, exist_ok=True)
        save_weights(self.torch_module, d / "model.safetensors")
        digest = sha256_file(d / "model.safetensors")
        save_json(
            {"format": FORMAT, **asdict(self.config), "weights_sha256": digest}, d / "config.json"
        )
        return d

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> SequenceModel:
        """Load a model written by `save`; damaged or changed files raise `InputError`."""
        from helixforge.core.training import load_weights, resolve_device

        d = Path(path)
        raw = read_model_config(d / "config.json", FORMAT)
        digest = raw.pop("weights_sha256", None)
        weights = d / "model.safetensors"
        check_weights(weights, digest)
        known = SequenceModelConfig.__dataclass_fields__
        try:
            cfg = SequenceModelConfig(**{k: v for k, v in raw.items() if k in known})
            model = cls(arch=cfg.arch, task=cfg.task, device=device)
            model.config = cfg
            model.torch_module = model._build()
            load_weights(model.torch_module, weights)
        except (TypeError, ValueError, KeyError, RuntimeError) as exc:
            raise InputError(
                f"{d}: the model files do not fit together ({type(exc).__name__}: {exc})"[:500],
                hint="the folder is damaged or was edited; retrain or restore it",
            ) from None
        model.torch_module.to(resolve_device(device)).eval()
        return model


__all__ = ["SequenceModel", "SequenceModelConfig", "PAD_CODE"]
