"""Prediction on DNA sequences for `SequenceModel`: one-hot forward (both strands), logits,
probabilities and the core protocol's `predict` (a mixin, so the estimator module stays about
training and files).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.encode import encode_padded
from helixforge.dna.models.batching import onehot_tensor


def dna_batch(seqs: Any, name: str = "sequences") -> list[str]:
    """The sequences a dna model's fit / predict takes, as a list of str: one string is one
    sequence (never one per base); None and non-text items, '>' headers, spaces and other
    non-nucleotide characters are InputErrors naming `name[i]` (shared lm / dna helpers)."""
    from helixforge.dna.sequence import check_nucleotides
    from helixforge.lm.inputs import as_sequences

    return check_nucleotides(as_sequences(seqs, name), name)


class SequenceInference:
    """forward_onehot / predict_logits / predict_proba / predict / predict_label; the class
    using it provides `config`, `torch_module`, `max_len`, `n_outputs`, `classes_` and
    `_require_fitted`."""

    config: Any
    torch_module: Any
    max_len: int | None
    n_outputs: int
    classes_: list[Any] | None
    _require_fitted: Any  # a method of the model class that mixes this in

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

        from helixforge.core.options import require_int

        self._require_fitted()
        batch_size = require_int(batch_size, "batch_size", min_value=1)
        seqs = dna_batch(seqs)  # one string was scored base by base, one row each
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

    def predict_proba(self, seqs: Sequence[str], batch_size: int = 512) -> np.ndarray:
        """Class probabilities (n, k) (binary: k = 2); regression: the values, as `predict`."""
        logits = self.predict_logits(seqs, batch_size).astype(np.float64)
        if self.config.task == "binary":
            p1 = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.stack([1.0 - p1, p1], axis=1)
        if self.config.task == "multiclass":
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return self.predict(seqs, batch_size)

    def predict(self, seqs: Sequence[str], batch_size: int = 512) -> np.ndarray:
        """(n, 1), as the core protocol: P(second class) (binary), value (regression), class
        index (multiclass; probabilities from `predict_proba`). Both strands averaged."""
        if self.config.task == "regression":
            logits = self.predict_logits(seqs, batch_size).astype(np.float64)
            return (logits[:, 0] * self.config.y_std + self.config.y_mean)[:, None]
        proba = self.predict_proba(seqs, batch_size)
        if self.config.task == "binary":
            return proba[:, 1:2]
        return proba.argmax(axis=1).astype(float)[:, None]

    def predict_label(self, seqs: Sequence[str], threshold: float = 0.5) -> list[Any]:
        """Class labels (classification tasks)."""
        classes = self.classes_ or []
        if self.config.task == "binary":
            return [classes[int(v >= threshold)] for v in self.predict(seqs)[:, 0]]
        if self.config.task == "multiclass":
            return [classes[int(i)] for i in self.predict(seqs)[:, 0]]
        raise ConfigError("predict_label is for classification models; use predict()")
