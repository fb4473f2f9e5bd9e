"""`SequenceModel`: the core `Estimator` (`helixforge.core.estimator`) over DNA sequences, for
any registered torch architecture (`dna.models.registry`: cnn, resnet, resnet_pos, …).

    model = SequenceModel(arch="resnet", epochs=10)
    model.fit(seqs, y, ["binary"], valid=(vs, vy), seed=0)   # y: (n, 1) encoded (core)
    p = model.predict(test_seqs)          # (n, 1): P(class 1), averaged over both strands
    model.save("run/model/member_0"); model = SequenceModel.load("run/model/member_0")

`helix dna train` calls it through `core.supervised` (labels arrive as class indices 0..k-1,
the classes live in the run's config.json). Called directly as `fit(seqs, labels)` with raw
labels and no task types, it encodes them by the same rule (`dna.models.targets`).

For interpretation and variant scoring, `forward_onehot(x)` maps a float tensor (N, L, 4) to
logits differentiably, and `torch_module` is the underlying `nn.Module`.

Reverse complements: with `rc_augment` each training batch has a random half of its sequences
reverse-complemented; with `rc_average` predictions are the mean of the logits of a sequence and
of its reverse complement, so the output does not depend on the strand it is given.

Checkpoints and resume: with `checkpoint_dir` the loop writes a checkpoint each epoch (and the
finished model into `checkpoint_dir/final`); with `resume=True` training continues from the
checkpoint, and a finished model is loaded instead of retrained (an ensemble resumes member by
member). Batch order, augmentation and dropout are seeded per epoch from (seed, epoch), so a
resumed run ends with the same weights as an uninterrupted one. The caller decides whether a
checkpoint belongs to this run (see `dna.train`'s resume key).

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
from helixforge.core.estimator import check_not_diverged_outputs
from helixforge.core.options import require_float, require_int
from helixforge.core.training import restores_torch_threads, set_threads
from helixforge.dna.encode import PAD_CODE, encode_padded
from helixforge.dna.models.batching import onehot_batches
from helixforge.dna.models.inference import SequenceInference
from helixforge.dna.models.registry import ARCHITECTURES, Architecture, check_arch_params
from helixforge.dna.models.storage import read_weights_config
from helixforge.dna.models.targets import (
    TASKS,
    encode_direct,
    encoded_column,
    index_classes,
    single_task,
)

FORMAT = "helixforge.dna.SequenceModel/1"
# a training sequence this many times the median length (and at least LENGTH_FLOOR nt) is
# refused: every sequence is padded to the longest and fixed-length models size their dense
# layer by it, so one stray megabase row would exhaust memory instead of failing clearly
LENGTH_OUTLIER_FACTOR = 20
LENGTH_FLOOR = 2000


def check_lengths(
    seqs: Sequence[str], rows: Sequence[Any] | None = None, source: str | None = None
) -> None:
    """Refuse a set whose longest sequence dwarfs the rest (see LENGTH_OUTLIER_FACTOR); the
    message names `source` and the row (`rows[i]`, e.g. file line numbers) when given."""
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    if not len(lengths):
        return
    longest, median = int(lengths.max()), float(np.median(lengths))
    if longest >= LENGTH_FLOOR and longest > LENGTH_OUTLIER_FACTOR * median:
        n_long = int((lengths > LENGTH_OUTLIER_FACTOR * median).sum())
        i = int(lengths.argmax())
        where = (
            f"{source}, row {rows[i]}" if rows is not None else f"training sequence {i} (0-based)"
        )
        raise InputError(
            f"{where}: a sequence of {longest:,} nt, while half of "
            f"the {len(lengths):,} sequences have at most {median:,.0f} nt ({n_long} over "
            f"{LENGTH_OUTLIER_FACTOR}x that): every sequence is padded to the longest, and "
            "fixed-length models size their layers by it",
            hint="trim or drop the long rows (or cut them into windows of the usual length), or "
            "train them as a set of their own",
        )


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


def check_valid(valid: Any) -> tuple[list[str], Any] | None:
    """`fit`'s valid=(sequences, labels) with its sequences checked as the training ones."""
    from helixforge.dna.models.inference import dna_batch

    if valid is None:
        return None
    if not isinstance(valid, tuple | list) or len(valid) != 2:
        raise InputError(
            f"valid must be a (sequences, labels) pair, got {type(valid).__name__}",
            hint="pass valid=(valid_seqs, valid_labels)",
        )
    return dna_batch(valid[0], "valid sequences"), valid[1]


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


class SequenceModel(SequenceInference):
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
        params = check_arch_params(dict(arch_params or {}), spec.defaults)
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
        """The classes in index order (1.0 shown as 1); a run's own classes when loaded from
        a run directory (`dna.models.load_sequence_model`)."""
        from helixforge.core.supervised.columns import plain_class

        return (
            None if self.config.classes is None else [plain_class(c) for c in self.config.classes]
        )

    @property
    def max_len(self) -> int | None:
        """Longest accepted input (fixed-length architectures); None when any length works."""
        return self.config.max_len if ARCHITECTURES.get(self.config.arch).fixed_length else None

    @property
    def n_outputs(self) -> int:
        return len(self.config.classes) if self.config.task == "multiclass" else 1

    # ------------------------------------------------------------------ building
    def _build(self):
        from helixforge.core.batching import out_of_memory_as_error

        spec = _torch_architecture(self.config.arch)
        params = ", ".join(f"{k}={v}" for k, v in self.config.arch_params.items())
        with out_of_memory_as_error(  # sizes from --param / --position-bins
            f"--model {self.config.arch} ({params or 'defaults'}): the network",
            hint="lower the size parameters (--param channels / hidden, --position-bins)",
        ):
            return spec.build(self.config.max_len, self.n_outputs, **self.config.arch_params)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """Encoded labels → what the loss takes (z-scored float32 values, float32 0/1 for
        binary, int64 class indices for multiclass); regression scaling is fixed by `_fix`."""
        cfg = self.config
        if cfg.task == "regression":
            return ((y - cfg.y_mean) / cfg.y_std).astype(np.float32)
        return y.astype(np.float32) if cfg.task == "binary" else y.astype(np.int64)

    def _fix_targets(self, y, task_types, valid) -> tuple[np.ndarray, np.ndarray | None]:
        """Encoded train / valid label columns; sets the task, classes and regression scale."""
        cfg = self.config
        vy = valid[1] if valid is not None else None
        if task_types is None:  # raw labels, called directly
            y_col, v_col, classes = encode_direct(cfg.task, y, vy)
        else:
            cfg.task = single_task(task_types)
            y_col = encoded_column(y, len(y))
            v_col = None if vy is None else encoded_column(vy, len(vy))
            cols = [y_col] + ([v_col] if v_col is not None else [])
            classes = None if cfg.task == "regression" else index_classes(*cols)
        cfg.classes = classes
        if cfg.task == "regression":
            cfg.y_mean, cfg.y_std = float(y_col.mean()), float(y_col.std()) or 1.0
        return y_col, v_col

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
    @restores_torch_threads
    def fit(
        self,
        seqs: Sequence[str],
        y,
        task_types: Sequence[str] | None = None,
        *,
        valid: tuple[Sequence[str], Any] | None = None,
        seed: int | None = None,
    ) -> SequenceModel:
        """Train (core `Estimator.fit`): `y` is (n, 1) encoded labels for `task_types`, or raw
        labels of `task` when `task_types` is None; `valid` drives early stopping only."""
        import torch

        from helixforge.core.training import TrainConfig, fit, seed_everything
        from helixforge.dna.models.inference import dna_batch

        seqs = dna_batch(seqs)  # one string was trained on as one-base sequences
        if len(seqs) == 0:
            raise InputError("no training sequences")
        n_y = len(y) if hasattr(y, "__len__") and getattr(y, "ndim", 1) != 0 else None
        if n_y != len(seqs):
            raise InputError(
                f"{len(seqs)} sequence(s) but "
                + (f"{n_y} labels" if n_y is not None else f"y is {type(y).__name__} {y!r}"),
                hint="pass one label per sequence (a list or an (n, 1) array)",
            )
        valid = check_valid(valid)
        check_lengths(seqs)
        cfg = self.config
        if seed is not None:
            cfg.seed = require_int(seed, "--seed", min_value=None)
        has_valid = valid is not None and len(valid[0]) > 0
        y_col, v_col = self._fix_targets(y, task_types, valid if has_valid else None)
        if self._load_finished():
            return self
        set_threads(self.threads)
        seed_everything(cfg.seed)
        longest = max(len(s) for s in seqs)
        if has_valid:
            longest = max(longest, max(len(s) for s in valid[0]))
        cfg.max_len = int(longest)
        if ARCHITECTURES.get(cfg.arch).fixed_length:
            from helixforge.dna.models.cnn import MIN_LEN

            cfg.max_len = max(cfg.max_len, MIN_LEN)
        start = self._start_epoch()
        codes = encode_padded([s.upper() for s in seqs], self._pad_len(seqs))
        train = self._batches(codes, self._targets(y_col), True, start)
        valid_batches = None
        if has_valid:
            vcodes = encode_padded([s.upper() for s in valid[0]], self._pad_len(valid[0]))
            valid_batches = self._batches(vcodes, self._targets(v_col), False, 0)
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
        check_not_diverged_outputs(self.torch_module, self.history, tc.lr)
        if self._finished_dir() is not None:
            self.save(self._finished_dir())
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

    def to_device(self, device: str) -> SequenceModel:
        """Move the trained module to `device` ('auto', 'cpu', 'cuda', …) for prediction."""
        from helixforge.core.training import resolve_device

        self._require_fitted()
        self.device = device
        self.torch_module.to(resolve_device(device)).eval()
        return self

    # ------------------------------------------------------------------ persistence
    def _finished_dir(self) -> Path | None:
        return Path(self.checkpoint_dir) / "final" if self.checkpoint_dir else None

    def _load_finished(self) -> bool:
        """On resume, a model this checkpoint dir already finished is loaded, not retrained."""
        done = self._finished_dir()
        if not (self.resume and done and (done / "config.json").exists()):
            return False
        other = type(self).load(done, device=self.device)
        self.config, self.torch_module, self.history = (
            other.config,
            other.torch_module,
            other.history,
        )
        return True

    def save(self, path: str | os.PathLike) -> Path:
        """Write model.safetensors, config.json (with the weights' sha256) and history.json."""
        from helixforge.dna.models.storage import save_torch_model

        self._require_fitted()
        return save_torch_model(
            path, self.torch_module, {"format": FORMAT, **asdict(self.config)}, self.history
        )

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> SequenceModel:
        """Load a model written by `save`; damaged or changed files raise `InputError`."""
        from helixforge.core.training import load_weights

        d = Path(path)
        raw, weights, history = read_weights_config(d, FORMAT)
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
        model.history = history
        return model.to_device(device)


__all__ = ["SequenceModel", "SequenceModelConfig", "PAD_CODE"]
