"""The torch training loop shared by every neural model (D-MPNN, DNA CNNs, language models).

    result = fit(model, train_batches, loss_fn=compute_loss, valid_batches=val, config=TrainConfig(epochs=30))

`loss_fn(model, batch) -> scalar tensor`. Batches are any iterable that can be re-iterated each
epoch (a DataLoader or a list). The loop handles device placement of tensors in dict / tuple
batches, AdamW, gradient clipping and accumulation, mixed precision on GPU only (bf16 autocast
is several times slower than fp32 on CPUs without AMX), early stopping on validation loss or a
metric, best-weights restore, checkpoints with resume, and a Rich progress bar.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:
        import torch

        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
    except ImportError:  # pragma: no cover
        pass


def resolve_device(spec: str = "auto"):
    """'auto' → cuda if available (else mps, else cpu); 'cpu'; 'cuda'; 'cuda:1'."""
    import torch

    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("cpu")
    if spec.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            "--device cuda was asked for but no CUDA GPU is visible",
            hint="use --device cpu or auto",
        )
    return torch.device(spec)


def set_threads(n: int | None) -> None:
    """Set torch's intra-op thread count (small models often run faster on 1 thread)."""
    if n:
        import torch

        torch.set_num_threads(int(n))


def to_device(batch: Any, device) -> Any:
    """Move tensors inside dicts / lists / tuples / dataclass-like objects to `device`."""
    import torch

    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, list | tuple):
        return type(batch)(to_device(v, device) for v in batch)
    if hasattr(batch, "to") and callable(batch.to):
        return batch.to(device)
    return batch


@dataclass
class TrainConfig:
    epochs: int = 50
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int | None = 10  # epochs without improvement before stopping; None = never
    min_delta: float = 0.0
    grad_clip: float | None = 1.0
    accumulate: int = 1
    device: str = "auto"
    mixed_precision: bool = True  # only takes effect on CUDA
    warmup_fraction: float = 0.0  # linear warm-up, then linear decay to 0 when > 0
    checkpoint_dir: str | None = None  # saves last.pt each epoch (resume) and best weights
    resume: bool = False
    quiet: bool = True
    max_steps: int | None = None


@dataclass
class TrainResult:
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = -1
    best_score: float = math.inf
    epochs_run: int = 0
    seconds: float = 0.0
    steps: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_loss(model, batches: Iterable, loss_fn: Callable, device) -> float:
    import torch

    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for batch in batches:
            loss = loss_fn(model, to_device(batch, device))
            total += float(loss)
            n += 1
    return total / max(n, 1)


def fit(
    model,
    train_batches: Iterable,
    *,
    loss_fn: Callable,
    valid_batches: Iterable | None = None,
    config: TrainConfig | None = None,
    optimizer=None,
    valid_score: Callable[[Any], float] | None = None,
    on_epoch_end: Callable[[int, dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train `model` in place; returns the history. The best weights (lowest validation loss, or
    lowest `valid_score(model)` when given — return a negated metric for higher-is-better) are
    restored at the end."""
    import torch

    cfg = config or TrainConfig()
    device = resolve_device(cfg.device)
    model.to(device)
    if optimizer is None:
        optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    use_amp = cfg.mixed_precision and device.type == "cuda"
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)

    try:
        steps_per_epoch = len(train_batches)  # type: ignore[arg-type]
    except TypeError:
        steps_per_epoch = None
    total_steps = cfg.max_steps or (
        steps_per_epoch * cfg.epochs // cfg.accumulate if steps_per_epoch else None
    )
    scheduler = None
    if cfg.warmup_fraction > 0 and total_steps:
        warm = max(1, int(cfg.warmup_fraction * total_steps))

        def lr_lambda(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            return max(0.0, (total_steps - step) / max(1, total_steps - warm))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)

    result = TrainResult()
    ckpt_dir = Path(cfg.checkpoint_dir) if cfg.checkpoint_dir else None
    start_epoch = 0
    best_state = None
    if ckpt_dir and cfg.resume and (ckpt_dir / "last.pt").exists():
        state = torch.load(ckpt_dir / "last.pt", map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler and state.get("scheduler"):
            scheduler.load_state_dict(state["scheduler"])
        start_epoch = state["epoch"] + 1
        result = TrainResult(**state["result"])
        best_state = state.get("best_state")

    progress = None
    if not cfg.quiet:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[info]}"),
        )
        progress.start()
        task = progress.add_task("training", total=cfg.epochs, completed=start_epoch, info="")

    t0 = time.perf_counter() - result.seconds
    bad_epochs = 0
    try:
        for epoch in range(start_epoch, cfg.epochs):
            model.train()
            running, n_batches = 0.0, 0
            optimizer.zero_grad(set_to_none=True)
            for i, batch in enumerate(train_batches):
                batch = to_device(batch, device)
                with torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=use_amp):
                    loss = loss_fn(model, batch) / cfg.accumulate
                scaler.scale(loss).backward()
                if (i + 1) % cfg.accumulate == 0:
                    if cfg.grad_clip:
                        scaler.unscale_(optimizer)
                        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                    scaler.step(optimizer)
                    scaler.update()
                    optimizer.zero_grad(set_to_none=True)
                    if scheduler:
                        scheduler.step()
                    result.steps += 1
                running += float(loss.detach()) * cfg.accumulate
                n_batches += 1
                if cfg.max_steps and result.steps >= cfg.max_steps:
                    break
            row = {"epoch": epoch, "train_loss": running / max(n_batches, 1)}
            if valid_batches is not None:
                row["valid_loss"] = evaluate_loss(model, valid_batches, loss_fn, device)
            if valid_score is not None:
                model.eval()
                row["valid_score"] = float(valid_score(model))
            monitored = row.get("valid_score", row.get("valid_loss", row["train_loss"]))
            result.history.append(row)
            result.epochs_run = epoch + 1
            if monitored < result.best_score - cfg.min_delta or result.best_epoch < 0:
                result.best_score, result.best_epoch = monitored, epoch
                best_state = {
                    k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()
                }
                bad_epochs = 0
            else:
                bad_epochs += 1
            result.seconds = time.perf_counter() - t0
            if ckpt_dir:
                ckpt_dir.mkdir(parents=True, exist_ok=True)
                tmp = ckpt_dir / "last.pt.tmp"
                torch.save(
                    {
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict() if scheduler else None,
                        "epoch": epoch,
                        "result": result.to_dict(),
                        "best_state": best_state,
                    },
                    tmp,
                )
                os.replace(tmp, ckpt_dir / "last.pt")
            if on_epoch_end:
                on_epoch_end(epoch, row)
            if progress:
                info = " ".join(f"{k}={v:.4g}" for k, v in row.items() if k != "epoch")
                progress.update(task, advance=1, info=info)
            if cfg.patience is not None and bad_epochs >= cfg.patience:
                break
            if cfg.max_steps and result.steps >= cfg.max_steps:
                break
    finally:
        if progress:
            progress.stop()
    if best_state is not None:
        model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - t0
    return result


def save_weights(model, path: str | os.PathLike) -> Path:
    """Save a module's weights as safetensors (atomic)."""
    from safetensors.torch import save_file

    from helixforge.core.tables import atomic_path

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp))
    return Path(path)


def load_weights(model, path: str | os.PathLike, device: str = "cpu"):
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(path), device=device))
    return model
