"""The torch training loop shared by every neural model (D-MPNN, DNA CNNs, language models).

    result = fit(model, train_batches, loss_fn=compute_loss, valid_batches=val, config=TrainConfig(epochs=30))
    result = fit_steps(model, micro_batches, loss_fn=lm_loss, steps=1000, config=cfg, on_step=log)

`loss_fn(model, batch) -> scalar tensor`. `fit` runs epochs over batches that can be re-iterated
(a `core.batching.Batches`, a DataLoader or a list) with early stopping and best-weights restore;
`fit_steps` runs a fixed number of optimizer steps over a stream (`micro_batches(step)` gives the
micro-batches of one step, so a resumed run draws exactly what it would have). Both go through
one `TrainStep`: device placement of tensors in dict / tuple batches, AdamW, gradient
accumulation and clipping, warm-up + linear or cosine schedules, mixed precision on GPU only
(bf16 autocast is several times slower than fp32 on CPUs without AMX), and a progress bar with
rate and ETA (`core.progress`). Step checkpoints for `fit_steps` live in `core.checkpoints`.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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

    from helixforge.core.options import require_device

    spec = require_device(spec)
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


@contextmanager
def torch_threads(n: int | None) -> Iterator[int]:
    """Run the block on `n` torch intra-op threads (None or 0: keep the caller's count); the
    caller's count is back when the block ends or raises. Yields the count in force.

        with torch_threads(self.threads):
            train(...)

    torch's count is process-global: a library call that left it changed made later torch work
    in the caller's process run on another count, and float sums in another order (other
    bytes). In a generator, do not `yield` inside the block: the caller's code would run on `n`
    threads between items, and an abandoned generator restores only when it is collected
    (`tests/core/test_torch_threads.py` refuses that shape)."""
    import torch

    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(int(n))
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def restores_torch_threads(fn):
    """Decorator for a function that sets torch's thread count with `set_threads` for its own
    work (or for its whole body, where `with torch_threads(n)` would indent a long function):
    the caller's count is restored when it returns or raises. Refuses a generator function: its
    body runs after the wrapper has returned, so the restore would come before the setting."""
    import functools
    import inspect

    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
        raise TypeError(
            f"restores_torch_threads on the generator function {fn.__qualname__}: it would "
            "restore before the body runs; use `with torch_threads(n)` around the work between "
            "two yields instead"
        )

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with torch_threads(None):
            return fn(*args, **kwargs)

    return wrapper


def set_threads(n: int | None) -> None:
    """Set torch's intra-op thread count (None or 0: leave it). Only inside a function decorated
    with `restores_torch_threads` (the count is process-global; tests/core/test_torch_threads.py
    refuses any other caller); elsewhere use `with torch_threads(n)`."""
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
    warmup_fraction: float = 0.0  # linear warm-up, then the schedule, when > 0 (or cosine)
    schedule: str = "linear"  # linear: decay to 0 · cosine: decay to min_lr_fraction
    min_lr_fraction: float = 0.0
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


def make_optimizer(model, lr: float, weight_decay: float = 0.0, *, decay_matrices_only=False):
    """AdamW; with `decay_matrices_only`, biases and norms (1-d parameters) get no weight decay."""
    import torch

    if not decay_matrices_only:
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    params = list(model.named_parameters())
    groups = [
        {"params": [p for _, p in params if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for _, p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr)


def lr_factor(step: int, warmup: int, total: int, schedule: str, floor: float = 0.0) -> float:
    """Learning-rate multiplier at optimizer step `step`: linear warm-up over `warmup` steps, then
    linear decay to 0 or cosine decay to `floor`."""
    if step < warmup:
        return (step + 1) / warmup
    if schedule == "cosine":
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
    return max(0.0, (total - step) / max(1, total - warmup))


def make_scheduler(optimizer, cfg: TrainConfig, total_steps: int | None, last_step: int = 0):
    """The config's warm-up + decay schedule (None when there is nothing to schedule)."""
    import torch

    if not total_steps or (cfg.warmup_fraction <= 0 and cfg.schedule != "cosine"):
        return None
    warm = max(1, int(cfg.warmup_fraction * total_steps))
    sched, floor = cfg.schedule, cfg.min_lr_fraction
    require_schedule(sched)
    for group in optimizer.param_groups:
        group.setdefault("initial_lr", group["lr"])
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: lr_factor(s, warm, total_steps, sched, floor),
        last_epoch=last_step - 1,
    )


def require_schedule(name: str) -> None:
    if name not in ("linear", "cosine"):
        raise ConfigError(f"unknown learning-rate schedule {name!r}", hint="linear or cosine")


class TrainStep:
    """One optimizer step: micro-batches forward/backward (autocast on GPU), then clip, step,
    zero the gradients and advance the schedule. Shared by `fit` and `fit_steps`."""

    def __init__(self, model, optimizer, scheduler, loss_fn: Callable, device, cfg: TrainConfig):
        import torch

        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.loss_fn, self.device, self.cfg = loss_fn, device, cfg
        self.use_amp = cfg.mixed_precision and device.type == "cuda"
        self.amp_dtype = (
            torch.bfloat16 if self.use_amp and torch.cuda.is_bf16_supported() else torch.float16
        )
        self.scaler = torch.amp.GradScaler(
            "cuda", enabled=self.use_amp and self.amp_dtype == torch.float16
        )

    def backward(self, batch: Any) -> float:
        """Forward and backward of one micro-batch; returns its (unscaled) loss."""
        import torch

        batch = to_device(batch, self.device)
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.use_amp):
            loss = self.loss_fn(self.model, batch) / self.cfg.accumulate
        self.scaler.scale(loss).backward()
        return float(loss.detach()) * self.cfg.accumulate

    def step(self) -> None:
        import torch

        if self.cfg.grad_clip:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        if self.scheduler:
            self.scheduler.step()


def check_not_diverged(model, loss: float, where: str, lr: float, *, always: bool = False) -> None:
    """A `ConfigError` when the weights hold NaN or inf: the run diverged (too high a learning
    rate, extreme labels) and would be saved as a model whose every prediction is NaN. The
    weights are looked at when the loss is not finite, or on every call with `always` (once
    per epoch); a non-finite loss with finite weights (a step mixed precision skipped) passes."""
    if math.isfinite(loss) and not always:
        return
    # batch-norm running statistics too: overflowed, they make every prediction NaN while the
    # parameters stay finite (other buffers, e.g. attention masks, may hold -inf by design)
    stats = (b for n, b in model.named_buffers() if n.rsplit(".", 1)[-1].startswith("running_"))
    tensors = [*model.parameters(), *stats]
    if all(bool(t.isfinite().all()) for t in tensors):
        return
    raise ConfigError(
        f"training diverged {where}: the weights are no longer finite (last loss {loss:g}, "
        f"learning rate {lr:g})",
        hint="lower --lr (e.g. 10× smaller), or check the labels for extreme values",
    )


def evaluate_loss(model, batches: Iterable, loss_fn: Callable, device) -> float:
    """Mean of `loss_fn` over `batches`, without gradients."""
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
    """Train `model` in place over epochs; returns the history. The best weights (lowest
    validation loss, or lowest `valid_score(model)` when given — return a negated metric for
    higher-is-better) are restored at the end. With `config.checkpoint_dir` every epoch is
    saved with the random state (torch's, and the shuffling generator `train_batches.rng` when
    it has one), so `config.resume` continues exactly where an uninterrupted run would be."""
    import torch

    from helixforge.core.progress import progress

    cfg = config or TrainConfig()
    device = resolve_device(cfg.device)
    model.to(device)
    if optimizer is None:
        optimizer = make_optimizer(model, cfg.lr, cfg.weight_decay)
    try:
        steps_per_epoch = len(train_batches)  # type: ignore[arg-type]
    except TypeError:
        steps_per_epoch = None
    total_steps = cfg.max_steps or (
        steps_per_epoch * cfg.epochs // cfg.accumulate if steps_per_epoch else None
    )
    scheduler = make_scheduler(optimizer, cfg, total_steps)
    runner = TrainStep(model, optimizer, scheduler, loss_fn, device, cfg)

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
        _set_random_state(state.get("random"), train_batches)

    t0 = time.perf_counter() - result.seconds
    # epochs since the best one: restored on resume so early stopping matches an uninterrupted run
    bad_epochs = (
        start_epoch - 1 - result.best_epoch if start_epoch and result.best_epoch >= 0 else 0
    )
    with progress(
        "training", total=cfg.epochs - start_epoch, quiet=cfg.quiet, unit="epochs"
    ) as advance:
        for epoch in range(start_epoch, cfg.epochs):
            model.train()
            running, n_batches = 0.0, 0
            optimizer.zero_grad(set_to_none=True)
            for i, batch in enumerate(train_batches):
                running += runner.backward(batch)
                n_batches += 1
                if (i + 1) % cfg.accumulate == 0:
                    runner.step()
                    result.steps += 1
                if cfg.max_steps and result.steps >= cfg.max_steps:
                    break
            row = {"epoch": epoch, "train_loss": running / max(n_batches, 1)}
            check_not_diverged(
                model, row["train_loss"], f"in epoch {epoch + 1}", cfg.lr, always=True
            )
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
            if on_epoch_end:  # first: it may reseed for the next epoch, and the state saved
                on_epoch_end(epoch, row)  # below must be what the next epoch starts from
            if ckpt_dir:
                _save_epoch(
                    ckpt_dir, model, optimizer, scheduler, epoch, result, best_state,
                    _random_state(train_batches),
                )  # fmt: skip
            advance(1)
            if cfg.patience is not None and bad_epochs >= cfg.patience:
                break
            if cfg.max_steps and result.steps >= cfg.max_steps:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - t0
    return result


def _random_state(train_batches) -> dict[str, Any]:
    """torch's CPU (and CUDA) generator states and the batches' shuffling generator, as the
    next epoch of an uninterrupted run would find them."""
    import torch

    rng = getattr(train_batches, "rng", None)
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "batches": rng.bit_generator.state if isinstance(rng, np.random.Generator) else None,
    }


def _set_random_state(state: dict[str, Any] | None, train_batches) -> None:
    """Restore `_random_state` (checkpoints written before it existed have none)."""
    import torch

    if not state:
        return
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    rng = getattr(train_batches, "rng", None)
    if state.get("batches") is not None and isinstance(rng, np.random.Generator):
        rng.bit_generator.state = state["batches"]


def _save_epoch(
    ckpt_dir: Path, model, optimizer, scheduler, epoch, result, best_state, random_state=None
) -> None:
    import torch

    from helixforge.core.io import atomic_file

    ckpt_dir.mkdir(parents=True, exist_ok=True)
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler else None,
        "epoch": epoch,
        "result": result.to_dict(),
        "best_state": best_state,
        "random": random_state,
    }
    with atomic_file(ckpt_dir / "last.pt") as tmp:
        torch.save(state, tmp)


def fit_steps(
    model,
    micro_batches: Callable[[int], Iterable[Any]],
    *,
    loss_fn: Callable,
    steps: int,
    config: TrainConfig | None = None,
    optimizer=None,
    scheduler=None,
    start_step: int = 0,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train for optimizer steps `start_step` … `steps - 1` over a stream: `micro_batches(step)`
    yields the `config.accumulate` micro-batches of a step. `on_step(step, loss)` runs after
    each step (1-based step count; evaluation, logging and checkpoints live there). No early
    stopping: the model keeps its last weights."""
    from helixforge.core.progress import progress

    cfg = config or TrainConfig()
    device = resolve_device(cfg.device)
    model.to(device)
    optimizer = optimizer or make_optimizer(model, cfg.lr, cfg.weight_decay)
    if scheduler is None:
        scheduler = make_scheduler(optimizer, cfg, steps, last_step=start_step)
    runner = TrainStep(model, optimizer, scheduler, loss_fn, device, cfg)
    result = TrainResult(steps=start_step)
    t0 = time.perf_counter()
    model.train()
    optimizer.zero_grad(set_to_none=True)
    desc = "training" if not start_step else f"training (resumed at step {start_step})"
    with progress(desc, total=steps - start_step, quiet=cfg.quiet, unit="steps") as advance:
        for step in range(start_step, steps):
            loss = sum(runner.backward(b) for b in micro_batches(step)) / cfg.accumulate
            runner.step()
            check_not_diverged(model, loss, f"at step {step + 1}", cfg.lr)
            result.steps = step + 1
            if on_step:
                on_step(step + 1, loss)
            advance(1)
    if steps > start_step:
        check_not_diverged(model, loss, f"by step {steps}", cfg.lr, always=True)
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
