"""Models as scorers: one-hot encoding, `Scorer` (any model → scores of one output for a
one-hot batch (N, L, 4)), and loading the model of a `helix dna train` run directory.

A model is anything `as_scorer` understands: an object with `forward_onehot` (helixforge's
`SequenceModel`), a torch module taking (N, L, 4), an object with `predict(list_of_sequences)`,
or a plain function on numpy batches. Gradients need a torch model; ISM works with all.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError

# ---------------------------------------------------------------- encoding


def onehot_sequences(seqs: Sequence[str], length: int | None = None) -> np.ndarray:
    """(N, L, 4) float32 one-hot, right-padded with N (zero rows) to `length` or the longest.

    `seqs`: a list (array, Series, generator) of sequences, or one sequence; soft-masked, RNA
    and IUPAC codes are read (IUPAC as N). A missing item, whitespace, a '>' header or other
    text is an `InputError` naming the sequence and position (it would be scored as N)."""
    from helixforge.dna.encode import onehot_batch
    from helixforge.dna.sequence import as_sequences, check_nucleotides

    seqs = check_nucleotides(as_sequences(seqs, "sequences"), "sequences")
    return onehot_batch(seqs, length)


def onehot_to_sequences(x: np.ndarray) -> list[str]:
    """Inverse of one-hot encoding (zero rows become N); (L, 4) is one sequence."""
    x = np.asarray(x)
    if x.dtype.kind not in "fiub" or x.ndim not in (2, 3) or x.shape[-1] != 4:
        raise InputError(
            f"onehot_to_sequences needs a numeric one-hot array (N, L, 4) or (L, 4), got "
            f"{type(x).__name__} of dtype {x.dtype} and shape {x.shape}"
        )
    x = x[None] if x.ndim == 2 else x
    idx = np.where(x.sum(-1) > 0, x.argmax(-1), 4)
    letters = np.frombuffer(b"ACGTN", np.uint8)
    return [letters[row].tobytes().decode() for row in idx]


# ---------------------------------------------------------------- scorers


class Scorer:
    """A model viewed as f(one-hot batch (N, L, 4)) → scores (N,) for one output.

    `target`: which output to score. For a multi-output model, a column index or a class label
    (looked up in the model's `classes_`); for a binary model with classes [a, b], the label a
    scores minus the logit (so higher always means "more of the target class").
    """

    def __init__(
        self, model: Any, target: Any = None, batch_size: int = 256, device: str | None = None
    ):
        from helixforge.core.options import require_int

        self.model = model
        self.batch_size = require_int(batch_size, "batch_size", min_value=1)
        self.kind = _model_kind(model)
        self.column, self.sign = _target_column(model, target)
        self.device = device

    # -- torch path
    def _torch_forward(self, x):
        try:
            out = self.model.forward_onehot(x) if self.kind == "onehot" else self.model(x)
        except RuntimeError as exc:
            if not _is_shape_error(exc):
                raise
            raise _model_failed(x.shape, exc) from exc
        if out.ndim == 1:
            out = out[:, None]
        if self.column >= out.shape[1]:
            raise ConfigError(
                f"target column {self.column} but the model has {out.shape[1]} output(s)"
            )
        return self.sign * out[:, self.column]

    def _torch_device(self):
        import torch

        mod = getattr(self.model, "torch_module", None) if self.kind == "onehot" else self.model
        try:
            return next(mod.parameters()).device
        except (AttributeError, StopIteration, TypeError):
            return torch.device("cpu")

    @property
    def differentiable(self) -> bool:
        return self.kind in {"onehot", "module"}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Scores of a one-hot batch (numpy, (N, L, 4)), computed in mini-batches."""
        x = np.asarray(x, dtype=np.float32)
        if len(x) == 0:
            return np.zeros(0, dtype=np.float64)
        out = []
        if self.differentiable:
            import torch

            dev = self._torch_device()
            with torch.no_grad():
                for i in range(0, len(x), self.batch_size):
                    xb = torch.from_numpy(x[i : i + self.batch_size]).to(dev)
                    out.append(self._torch_forward(xb).float().cpu().numpy())
        elif self.kind == "predict":
            for i in range(0, len(x), self.batch_size):
                seqs = onehot_to_sequences(x[i : i + self.batch_size])
                out.append(self.sign * _column(np.asarray(self.model.predict(seqs)), self.column))
        else:
            for i in range(0, len(x), self.batch_size):
                try:
                    raw = np.asarray(self.model(x[i : i + self.batch_size]))
                except (RuntimeError, ValueError) as exc:
                    if not _is_shape_error(exc):
                        raise
                    raise _model_failed(x[i : i + self.batch_size].shape, exc) from exc
                out.append(self.sign * _column(raw, self.column))
        return np.concatenate(out).astype(np.float64)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """d score / d input for a one-hot batch; needs a torch model."""
        if not self.differentiable:
            raise ConfigError(
                "gradients need a torch model (forward_onehot or nn.Module)",
                hint="use method='ism', which works with any model",
            )
        import torch

        if len(x) == 0:
            return np.zeros(np.shape(x), dtype=np.float32)
        dev = self._torch_device()
        grads = []
        for i in range(0, len(x), self.batch_size):
            xb = torch.tensor(
                np.asarray(x[i : i + self.batch_size], dtype=np.float32),
                device=dev,
                requires_grad=True,
            )
            self._torch_forward(xb).sum().backward()
            grads.append(xb.grad.detach().float().cpu().numpy())
        return np.concatenate(grads)


_SHAPE_WORDS = ("kernel size", "input size", "shape", "size of tensor", "sizes of tensors",
                "must match the size", "mat1 and mat2")  # fmt: skip


def _is_shape_error(exc: Exception) -> bool:
    """A torch / NumPy error about the input's size (not a crash, out of memory or a bug)."""
    text = str(exc).lower()
    return "out of memory" not in text and any(w in text for w in _SHAPE_WORDS)


def _model_failed(shape, exc: Exception) -> InputError:
    """The model raised on a batch: name the batch shape (the usual cause is sequences shorter
    than the model's receptive field, or not the length it was trained on)."""
    n, length = (tuple(shape) + (0, 0))[:2]
    return InputError(
        f"the model failed on {n} sequence(s) of length {length}: "
        f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
        hint="sequences may be shorter than the model's input (its kernels / receptive field) or "
        "not the length it was trained on; pass longer sequences or a larger window",
    )


def _column(out: np.ndarray, column: int) -> np.ndarray:
    return out if out.ndim == 1 else out[:, column]


def _model_kind(model: Any) -> str:
    if hasattr(model, "forward_onehot"):
        return "onehot"
    try:
        import torch

        if isinstance(model, torch.nn.Module):
            return "module"
    except ImportError:  # pragma: no cover
        pass
    if hasattr(model, "predict"):
        return "predict"
    if callable(model):
        return "callable"
    if isinstance(model, str | os.PathLike):
        raise ConfigError(
            f"model {str(model)!r} is a path, not a model",
            hint=f"load it first: load_run_model({str(model)!r}) for a `helix dna train` run",
        )
    raise ConfigError(
        f"cannot score sequences with a {type(model).__name__}",
        hint="pass a SequenceModel, nn.Module or function",
    )


def _target_column(model: Any, target: Any) -> tuple[int, float]:
    """(output column, sign) of `target`: a class label of the model, else an output index
    (`--class 1` as text too, as the help says: with classes neg / pos it was refused, and an
    index given as a number skipped the binary mapping, scoring P(pos) for index 0)."""
    classes = list(getattr(model, "classes_", None) or [])
    n_out = getattr(model, "n_outputs", None)
    if target is None:
        return 0, 1.0
    idx = {str(c): i for i, c in enumerate(classes)}.get(str(target).strip())
    if idx is None:
        text = str(target).strip()
        if isinstance(target, bool) or not (isinstance(target, int | np.integer) or text.isdigit()):
            if classes:
                raise ConfigError(
                    f"--class {target!r} is not one of the model's classes {classes}",
                    hint=f"give a class label ({', '.join(map(str, classes))}) or an output "
                    f"index (0 to {len(classes) - 1})",
                )
            raise ConfigError(f"--class {target!r} must be a class label or an output index")
        idx = int(text)
        size = len(classes) or n_out
        if size and idx >= size:
            raise ConfigError(
                f"--class {target!r}: output index {idx} but the model has {size} "
                + (f"classes {classes}" if classes else "output(s)"),
                hint=f"give an index from 0 to {size - 1}"
                + (" or a class label" if classes else ""),
            )
    if classes and n_out == 1 and len(classes) == 2:  # one logit for P(classes[1])
        return 0, (1.0 if idx == 1 else -1.0)
    return idx, 1.0


def as_scorer(model: Any, target: Any = None, batch_size: int = 256) -> Scorer:
    """Wrap a model (or return an existing `Scorer`) for scoring one-hot batches."""
    if isinstance(model, Scorer):
        return model
    return Scorer(model, target=target, batch_size=batch_size)


def as_batch(seqs_or_x) -> np.ndarray:
    """A one-hot batch (N, L, 4) from sequences or from a one-hot array (L, 4) / (N, L, 4)."""
    if isinstance(seqs_or_x, np.ndarray) and seqs_or_x.dtype.kind in "fiub":
        x = seqs_or_x.astype(np.float32, copy=False)
        x = x[None] if x.ndim == 2 else x
        if x.ndim != 3 or x.shape[-1] != 4:
            raise InputError(
                f"a one-hot batch must be shaped (N, L, 4) or (L, 4), got {seqs_or_x.shape}",
                hint="pass sequences as strings, or one-hot arrays in ACGT order",
            )
        return x
    x = onehot_sequences(seqs_or_x)
    if x.shape[0] and x.shape[1] == 0:
        raise InputError("sequences are all empty (length 0)", hint="pass sequences with bases")
    return x


def load_run_model(run: str | os.PathLike, device: str = "cpu") -> Any:
    """The model of a `helix dna train` run directory (or of its model/ folder)."""
    from helixforge.core.artifacts import refuse_foreign
    from helixforge.dna.models import load_sequence_model
    from helixforge.lm.inputs import as_path

    d = as_path(run, "run directory")
    if not d.exists():
        raise InputError(
            f"{d}: run directory not found", hint="pass the --out directory of `helix dna train`"
        )
    refuse_foreign(d, "a dna run", "pass the --out directory of `helix dna train`", domain="dna")
    model_dir = d / "model" if (d / "model" / "config.json").exists() else d
    if not (model_dir / "config.json").exists():
        from helixforge.core.artifacts import identify_artifact, wrong_artifact

        found = identify_artifact(d)
        if found.kind == "part":  # runs/x/model: say to pass runs/x
            raise wrong_artifact(d, "a dna run", "pass the run directory", found)
        raise InputError(f"{d}: no trained model here (no config.json in {d} or {d / 'model'})")
    return load_sequence_model(model_dir, device=device)


_load_run_model = load_run_model  # the name used before the split
