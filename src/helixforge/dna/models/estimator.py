"""`SequenceModel`: a scikit-learn-style estimator over DNA sequences (CNN or dilated ResNet).

    model = SequenceModel(arch="resnet", task="binary", epochs=10).fit(seqs, y, valid=(vs, vy))
    p = model.predict(test_seqs)          # P(class 1), averaged over both strands
    model.save("run/model"); model = SequenceModel.load("run/model")

For interpretation and variant scoring, `forward_onehot(x)` maps a float tensor (N, L, 4) to
logits differentiably, and `torch_module` is the underlying `nn.Module`.

Reverse complements: with `rc_augment` each training batch has a random half of its sequences
reverse-complemented; with `rc_average` predictions are the mean of the logits of a sequence and
of its reverse complement, so the model's output does not depend on the strand it is given.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.encode import PAD_CODE, encode_padded

ARCHES = ("cnn", "resnet")
TASKS = ("binary", "multiclass", "regression")
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


class _Batches:
    """Re-iterable training batches: shuffled each epoch, optional random reverse complements."""

    def __init__(
        self,
        codes: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        shuffle: bool,
        rc_augment: bool,
        seed: int,
    ):
        self.codes, self.y = codes, y
        self.batch_size = batch_size
        self.shuffle, self.rc_augment = shuffle, rc_augment
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return (len(self.codes) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        import torch

        order = (
            self.rng.permutation(len(self.codes)) if self.shuffle else np.arange(len(self.codes))
        )
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            x = _onehot_tensor(self.codes[idx])
            if self.rc_augment:
                flip = torch.from_numpy(self.rng.random(len(idx)) < 0.5)
                x = torch.where(flip[:, None, None], torch.flip(x, dims=(1, 2)), x)
            yield x, torch.from_numpy(self.y[idx])


def _onehot_tensor(codes: np.ndarray):
    import torch

    t = torch.from_numpy(np.ascontiguousarray(codes).astype(np.int64))
    return torch.nn.functional.one_hot(t, 5)[..., :4].float()


class SequenceModel:
    """CNN / dilated-ResNet estimator for binary, multiclass or regression targets on DNA."""

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
        arch_params: dict[str, Any] | None = None,
    ):
        if arch not in ARCHES:
            raise ConfigError(
                f"unknown DNA model architecture {arch!r}",
                hint=f"choose one of: {', '.join(ARCHES)}, or lm:PATH",
            )
        if task not in TASKS:
            raise ConfigError(f"unknown task {task!r}", hint=f"choose one of: {', '.join(TASKS)}")
        self.config = SequenceModelConfig(
            arch=arch,
            task=task,
            epochs=int(epochs),
            lr=float(lr),
            weight_decay=float(weight_decay),
            batch_size=int(batch_size),
            patience=patience,
            rc_augment=bool(rc_augment),
            rc_average=bool(rc_average),
            warmup_fraction=float(warmup_fraction),
            seed=int(seed),
            arch_params=dict(arch_params or {}),
        )
        self.threads = threads
        self.device = device
        self.quiet = quiet
        self.checkpoint_dir = checkpoint_dir
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
        """Longest accepted input (the CNN's fixed length); None when any length works."""
        return self.config.max_len if self.config.arch == "cnn" else None

    @property
    def n_outputs(self) -> int:
        return len(self.config.classes) if self.config.task == "multiclass" else 1

    # ------------------------------------------------------------------ building
    def _build(self):
        from helixforge.dna.models.cnn import BaselineCNN
        from helixforge.dna.models.resnet import DilatedResNet

        params = dict(self.config.arch_params)
        if self.config.arch == "cnn":
            return BaselineCNN(max_len=self.config.max_len or 0, n_outputs=self.n_outputs, **params)
        if "dilations" in params:
            params["dilations"] = tuple(params["dilations"])
        return DilatedResNet(n_outputs=self.n_outputs, **params)

    def _encode_targets(self, y) -> np.ndarray:
        y = np.asarray(y)
        cfg = self.config
        if cfg.task == "regression":
            yf = y.astype(float)
            if not np.all(np.isfinite(yf)):
                raise InputError(
                    "regression targets contain NaN or infinite values",
                    hint="drop or fix those rows",
                )
            if cfg.classes is None:  # first call (fit): store the scaling
                cfg.y_mean = float(yf.mean())
                cfg.y_std = float(yf.std()) or 1.0
            return ((yf - cfg.y_mean) / cfg.y_std).astype(np.float32)
        labels = [_plain(v) for v in y]
        if cfg.classes is None:
            cfg.classes = sorted(set(labels), key=_sort_key)
            if cfg.task == "binary" and len(cfg.classes) != 2:
                raise InputError(
                    f"binary task needs exactly 2 label values, found {len(cfg.classes)}: {cfg.classes[:10]}",
                    hint="use --task multiclass (or regression for numeric targets)",
                )
            if cfg.task == "multiclass" and len(cfg.classes) < 2:
                raise InputError(f"multiclass task found only {len(cfg.classes)} label value(s)")
        index = {c: i for i, c in enumerate(cfg.classes)}
        unknown = sorted({lab for lab in labels if lab not in index}, key=_sort_key)
        if unknown:
            raise InputError(
                f"labels {unknown[:5]} were not seen in training",
                hint=f"known labels: {cfg.classes}",
            )
        out = np.array([index[lab] for lab in labels])
        return out.astype(np.float32) if cfg.task == "binary" else out.astype(np.int64)

    def _loss(self, model, batch):
        import torch.nn.functional as F

        x, y = batch
        logits = model(x)
        if self.config.task == "binary":
            return F.binary_cross_entropy_with_logits(logits[:, 0], y)
        if self.config.task == "multiclass":
            return F.cross_entropy(logits, y)
        return F.mse_loss(logits[:, 0], y)

    # ------------------------------------------------------------------ API
    def fit(
        self, seqs: Sequence[str], y, valid: tuple[Sequence[str], Any] | None = None
    ) -> SequenceModel:
        """Train on sequences and labels; `valid` (sequences, labels) drives early stopping only."""
        from helixforge.core.training import TrainConfig, fit, seed_everything, set_threads

        if len(seqs) == 0:
            raise InputError("no training sequences")
        if len(seqs) != len(y):
            raise InputError(f"{len(seqs)} sequences but {len(y)} labels")
        set_threads(self.threads)
        seed_everything(self.config.seed)
        cfg = self.config
        cfg.classes = None
        longest = max(len(s) for s in seqs)
        if valid is not None and len(valid[0]):
            longest = max(longest, max(len(s) for s in valid[0]))
        if cfg.arch == "cnn":
            from helixforge.dna.models.cnn import MIN_LEN

            longest = max(longest, MIN_LEN)
        cfg.max_len = int(longest)
        y_enc = self._encode_targets(y)
        if cfg.task == "regression":
            cfg.classes = []  # marks the scaling as fixed for the validation targets
        codes = encode_padded([s.upper() for s in seqs], self._pad_len(seqs))
        train = _Batches(codes, y_enc, cfg.batch_size, True, cfg.rc_augment, cfg.seed)
        valid_batches = None
        if valid is not None and len(valid[0]):
            vy = self._encode_targets(valid[1])
            vcodes = encode_padded([s.upper() for s in valid[0]], self._pad_len(valid[0]))
            valid_batches = _Batches(vcodes, vy, max(256, cfg.batch_size), False, False, cfg.seed)
        self.torch_module = self._build()
        tc = TrainConfig(
            epochs=cfg.epochs,
            lr=cfg.lr,
            weight_decay=cfg.weight_decay,
            patience=cfg.patience if valid_batches is not None else None,
            device=self.device,
            warmup_fraction=cfg.warmup_fraction,
            checkpoint_dir=str(self.checkpoint_dir) if self.checkpoint_dir else None,
            resume=bool(self.checkpoint_dir),
            quiet=self.quiet,
        )
        result = fit(
            self.torch_module, train, loss_fn=self._loss, valid_batches=valid_batches, config=tc
        )
        self.history = result.history
        self.train_seconds = result.seconds
        self.best_epoch = result.best_epoch
        self.torch_module.eval()
        return self

    def _pad_len(self, seqs: Sequence[str]) -> int:
        longest = max((len(s) for s in seqs), default=1)
        if self.config.arch == "cnn":
            return max(self.config.max_len or 0, longest)
        return longest

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
                hint="cut them to the trained length, or train a 'resnet' model, which takes any length",
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

    def _device(self):
        return next(self.torch_module.parameters()).device

    def predict_logits(self, seqs: Sequence[str], batch_size: int = 512) -> np.ndarray:
        """(n, n_outputs) raw outputs (RC-averaged when enabled); regression outputs are scaled."""
        import torch

        self._require_fitted()
        self._check_input(seqs)
        seqs = [s.upper() for s in seqs]
        device = self._device()
        outs = []
        order = np.argsort([len(s) for s in seqs], kind="stable")  # similar lengths share a batch
        with torch.no_grad():
            for start in range(0, len(seqs), batch_size):
                idx = order[start : start + batch_size]
                chunk = [seqs[i] for i in idx]
                codes = encode_padded(chunk, max(1, max(len(s) for s in chunk)))
                x = _onehot_tensor(codes).to(device)
                outs.append(self.forward_onehot(x).float().cpu().numpy())
        if not outs:
            return np.zeros((0, self.n_outputs), dtype=np.float32)
        stacked = np.concatenate(outs)
        result = np.empty_like(stacked)
        result[order] = stacked
        return result

    def predict(self, seqs: Sequence[str], batch_size: int = 512) -> np.ndarray:
        """binary: (n,) P(second class); multiclass: (n, k) probabilities; regression: (n,) values."""
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
        raise ConfigError(
            "predict_label is for classification models; use predict() for regression"
        )

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Write config.json and model.safetensors into directory `path`."""
        from helixforge.core.artifacts import save_json
        from helixforge.core.training import save_weights

        self._require_fitted()
        d = Path(path)
        d.mkdir(parents=True, exist_ok=True)
        save_weights(self.torch_module, d / "model.safetensors")
        save_json({"format": FORMAT, **asdict(self.config)}, d / "config.json")
        return d

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> SequenceModel:
        """Load a model written by `save`."""
        from helixforge.core.artifacts import load_json
        from helixforge.core.training import load_weights, resolve_device

        d = Path(path)
        raw = load_json(d / "config.json")
        if raw.pop("format", None) != FORMAT:
            raise InputError(
                f"{d}: not a HelixForge DNA sequence model directory",
                hint="pass RUN/model or the run directory",
            )
        cfg = SequenceModelConfig(
            **{k: v for k, v in raw.items() if k in SequenceModelConfig.__dataclass_fields__}
        )
        model = cls(arch=cfg.arch, task=cfg.task, device=device)
        model.config = cfg
        model.torch_module = model._build()
        load_weights(model.torch_module, d / "model.safetensors")
        model.torch_module.to(resolve_device(device)).eval()
        return model


def _plain(v: Any) -> Any:
    """numpy scalars → Python; integral floats → int (so labels '1', 1 and 1.0 agree)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, str):
        s = v.strip()
        try:
            f = float(s)
            return int(f) if f.is_integer() else f
        except ValueError:
            return s
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _sort_key(v: Any) -> tuple[int, Any]:
    return (0, v) if isinstance(v, int | float) else (1, str(v))


__all__ = ["SequenceModel", "SequenceModelConfig", "PAD_CODE"]
