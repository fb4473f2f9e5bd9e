"""The per-base annotation model: a dilated residual CNN (no pooling, "same" padding) mapping
one-hot windows (N, L, 4) to per-base logits (N, L, 7), trained on random windows of the
training region with reverse-complement augmentation (the reverse complement of a + strand
gene is a − strand gene with the same codon positions); its receptive field is a few hundred
bases. Saved as config.json + model.safetensors (no code, no pickles).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError
from helixforge.core.training import restores_torch_threads, set_threads
from helixforge.dna.annotate.genes import call_genes
from helixforge.dna.annotate.labels import CLASS_NAMES, FORMAT, N_CLASSES, RC_CLASS
from helixforge.dna.annotate.regions import Region
from helixforge.dna.encode import rc_codes
from helixforge.dna.sequence import encode_int


class AnnotatorNet:
    """Factory for the per-base dilated residual CNN (kept as a function to import torch lazily)."""

    @staticmethod
    def build(
        channels: int = 48,
        dilations: Sequence[int] = (1, 2, 4, 8, 16, 32, 64),
        stem_kernel: int = 9,
        dropout: float = 0.1,
    ):
        import torch
        from torch import nn

        from helixforge.dna.models.resnet import DilatedBlock

        class _Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem = nn.Sequential(
                    nn.Conv1d(4, channels, stem_kernel, padding=stem_kernel // 2),
                    nn.BatchNorm1d(channels),
                    nn.ReLU(),
                )
                self.blocks = nn.Sequential(
                    *[DilatedBlock(channels, d, dropout=dropout) for d in dilations]
                )
                self.out = nn.Conv1d(channels, N_CLASSES, 1)

            def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, L, 4) → (N, L, 7)
                return self.out(self.blocks(self.stem(x.transpose(1, 2)))).transpose(1, 2)

        return _Net()


@dataclass
class AnnotatorConfig:
    channels: int = 48
    dilations: list[int] = field(default_factory=lambda: [1, 2, 4, 8, 16, 32, 64])
    window: int = 2048
    batch_size: int = 16
    epochs: int = 6
    windows_per_epoch: int | None = (
        None  # default: enough windows to cover the training region once
    )
    lr: float = 2e-3
    patience: int = 2
    rc_augment: bool = True
    seed: int = 0
    threshold: float = 0.5
    min_gene_len: int = 90
    max_overlap: int = 60


class GeneAnnotator:
    """Per-base CDS model + ORF-aware gene caller. `fit(genome, gff)`, `predict_proba(seq)`,
    `call_genes(seq, proba)`, `save(dir)` / `load(dir)`; `forward_onehot(x)` for attributions."""

    def __init__(
        self, device: str = "auto", threads: int | None = None, quiet: bool = True, **options: Any
    ):
        unknown = set(options) - set(AnnotatorConfig.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown annotator option(s): {sorted(unknown)}")
        self.config = AnnotatorConfig(**options)
        self.device = device
        self.threads = threads
        self.quiet = quiet
        self.torch_module = None
        self.history: list[dict[str, float]] = []
        self.train_seconds = 0.0

    def _build(self):
        return AnnotatorNet.build(self.config.channels, tuple(self.config.dilations))

    # -------------------------------------------------------------- training
    @restores_torch_threads
    def fit(
        self,
        codes: dict[str, np.ndarray],
        labels: dict[str, np.ndarray],
        train: list[Region],
        valid: list[Region],
        checkpoint_dir: str | None = None,
    ) -> GeneAnnotator:
        """Train on windows of `train` regions; early stopping on the loss over `valid` regions."""
        import torch
        import torch.nn.functional as F

        from helixforge.core.training import TrainConfig, fit, seed_everything

        cfg = self.config
        set_threads(self.threads)
        seed_everything(cfg.seed)
        train = [r for r in train if len(r) >= cfg.window]
        if not train:
            raise InputError(
                f"no training region is at least {cfg.window} bases long",
                hint="use a smaller --window or a larger genome",
            )
        total = sum(len(r) for r in train)
        n_windows = cfg.windows_per_epoch or max(cfg.batch_size, total // cfg.window)
        rng = np.random.default_rng(cfg.seed)
        weights = np.array([len(r) - cfg.window + 1 for r in train], dtype=float)
        weights /= weights.sum()

        class _TrainWindows:
            def __len__(self):
                return (n_windows + cfg.batch_size - 1) // cfg.batch_size

            def __iter__(self):
                for _ in range(len(self)):
                    which = rng.choice(len(train), size=cfg.batch_size, p=weights)
                    xs, ys = [], []
                    for w in which:
                        r = train[w]
                        s = int(rng.integers(r.start, r.end - cfg.window + 1))
                        c, y = (
                            codes[r.contig][s : s + cfg.window],
                            labels[r.contig][s : s + cfg.window].astype(np.int64),
                        )
                        if cfg.rc_augment and rng.random() < 0.5:
                            c, y = rc_codes(c), RC_CLASS[y][::-1]
                        xs.append(c)
                        ys.append(y)
                    yield (
                        _onehot(np.stack(xs)),
                        torch.from_numpy(np.ascontiguousarray(np.stack(ys))),
                    )

        valid_batches = []
        for r in valid:
            for s in range(r.start, r.end - cfg.window + 1, cfg.window):
                valid_batches.append(
                    (
                        codes[r.contig][s : s + cfg.window],
                        labels[r.contig][s : s + cfg.window].astype(np.int64),
                    )
                )
        vb = [
            (
                _onehot(np.stack([c for c, _ in valid_batches[i : i + cfg.batch_size]])),
                torch.from_numpy(np.stack([y for _, y in valid_batches[i : i + cfg.batch_size]])),
            )
            for i in range(0, len(valid_batches), cfg.batch_size)
        ]

        def loss_fn(model, batch):
            x, y = batch
            return F.cross_entropy(model(x).reshape(-1, N_CLASSES), y.reshape(-1))

        self.torch_module = self._build()
        tc = TrainConfig(
            epochs=cfg.epochs,
            lr=cfg.lr,
            weight_decay=1e-4,
            patience=cfg.patience if vb else None,
            device=self.device,
            warmup_fraction=0.05,
            checkpoint_dir=checkpoint_dir,
            resume=bool(checkpoint_dir),
            quiet=self.quiet,
        )
        windows = _TrainWindows()
        windows.rng = rng  # the checkpoint saves its state: a resume draws the same windows
        res = fit(self.torch_module, windows, loss_fn=loss_fn, valid_batches=vb or None, config=tc)
        self.history, self.train_seconds = res.history, res.seconds
        self.torch_module.eval()
        return self

    # -------------------------------------------------------------- inference
    def forward_onehot(self, x):
        """Per-base logits (N, L, 7) for a one-hot tensor (N, L, 4); differentiable."""
        if self.torch_module is None:
            raise ConfigError(
                "the annotator is not trained", hint="fit() or GeneAnnotator.load(dir)"
            )
        self.torch_module.eval()
        return self.torch_module(x)

    def predict_proba(
        self, seq: str | np.ndarray, chunk: int = 16384, margin: int = 512
    ) -> np.ndarray:
        """(L, 7) per-base class probabilities for a whole sequence, in overlapping chunks whose
        margins are discarded so every base sees full context."""
        import torch

        codes = encode_int(seq.upper()) if isinstance(seq, str) else np.asarray(seq, dtype=np.uint8)
        n = len(codes)
        out = np.zeros((n, N_CLASSES), dtype=np.float32)
        device = next(self.torch_module.parameters()).device
        step = chunk - 2 * margin
        with torch.no_grad():
            for core0 in range(0, n, step):
                core1 = min(n, core0 + step)
                a, b = max(0, core0 - margin), min(n, core1 + margin)
                x = _onehot(codes[a:b][None]).to(device)
                p = torch.softmax(self.forward_onehot(x)[0].float(), dim=-1).cpu().numpy()
                out[core0:core1] = p[core0 - a : core1 - a]
        return out

    def call_genes(self, seq: str, proba: np.ndarray, offset: int = 0) -> list[dict[str, Any]]:
        """Genes (start, end 0-based half-open incl. stop codon, strand, score) from probabilities."""
        cfg = self.config
        return call_genes(seq, proba, cfg.threshold, cfg.min_gene_len, cfg.max_overlap, offset)

    # -------------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike) -> Path:
        from helixforge.core.artifacts import save_json
        from helixforge.core.training import save_weights

        d = Path(path)
        d.mkdir(parents=True, exist_ok=True)
        save_weights(self.torch_module, d / "model.safetensors")
        save_json(
            {"format": FORMAT, "classes": CLASS_NAMES, **asdict(self.config)}, d / "config.json"
        )
        return d

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> GeneAnnotator:
        """Load a saved annotator; a missing, corrupt or foreign model folder is an `InputError`
        naming the file."""
        from helixforge.core.artifacts import refuse_foreign
        from helixforge.core.options import check_param_types
        from helixforge.core.training import load_weights, resolve_device

        d = Path(path)
        if d.exists():  # a sequence-model run, a checkpoint, a file …: say what it is
            refuse_foreign(
                d,
                "a gene annotation model",
                "pass the --out directory of `helix dna annotate train`",
                allow={"annotator"},
            )
        if not d.is_dir():
            raise InputError(
                f"{d}: run directory not found",
                hint="pass the --out directory of `helix dna annotate train`",
            )
        if (d / "model").is_dir():
            d = d / "model"
        cfg_path, weights = d / "config.json", d / "model.safetensors"
        try:
            raw = json.loads(cfg_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(
                f"{d}: not a HelixForge gene annotation model (no config.json)",
                hint="pass the --out directory of `helix dna annotate train`",
            ) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{cfg_path}: unreadable model config ({exc})") from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise InputError(
                f"{d}: not a HelixForge gene annotation model",
                hint="pass the --out directory of `helix dna annotate train`",
            )
        opts = {k: v for k, v in raw.items() if k in AnnotatorConfig.__dataclass_fields__}
        try:
            check_param_types(opts, asdict(AnnotatorConfig()), option=str(cfg_path))
        except ConfigError as exc:
            raise InputError(exc.message, hint="the model folder was changed or damaged") from None
        model = cls(device=device, **opts)
        model.torch_module = model._build()
        try:
            load_weights(model.torch_module, weights)
        except Exception as exc:  # safetensors / torch raise several kinds for a bad file
            raise InputError(
                f"{weights}: unreadable or mismatched weights ({type(exc).__name__}: {exc})",
                hint="the model folder is incomplete or damaged; retrain or copy it again",
            ) from None
        model.torch_module.to(resolve_device(device)).eval()
        return model


def _onehot(codes: np.ndarray):
    import torch

    t = torch.from_numpy(np.ascontiguousarray(codes).astype(np.int64))
    return torch.nn.functional.one_hot(t, 5)[..., :4].float()
