"""The members of an ensemble run as one model for interpretation, variant scoring and design:
logits averaged over the members (`helix dna train --ensemble N`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def averaged(members: list[Any]) -> AveragedSequenceModel:
    """One model over `members`; differentiable (`forward_onehot`) when every member is."""
    if all(hasattr(m, "forward_onehot") for m in members):
        return AveragedTorchModel(members)
    return AveragedSequenceModel(members)


class AveragedSequenceModel:
    """Mean of the members' outputs (`predict`, `predict_proba`)."""

    name = "averaged"

    def __init__(self, members: list[Any]):
        self.members = list(members)
        first = self.members[0]
        self.task = first.task
        self.classes_ = first.classes_
        self.n_outputs = getattr(first, "n_outputs", 1)
        self.torch_module = getattr(first, "torch_module", None)  # for the device
        limits = [m.max_len for m in self.members if getattr(m, "max_len", None)]
        self.max_len = min(limits) if limits else None

    def predict_proba(self, seqs: Sequence[str]) -> np.ndarray:
        return np.mean([m.predict_proba(seqs) for m in self.members], axis=0)

    def predict(self, seqs: Sequence[str]) -> np.ndarray:
        """(n, 1): mean P(1) / value, or the class of the mean probabilities (multiclass)."""
        if self.task == "multiclass":
            return self.predict_proba(seqs).argmax(axis=1).astype(float)[:, None]
        return np.mean([m.predict(seqs) for m in self.members], axis=0)


class AveragedTorchModel(AveragedSequenceModel):
    """Members with `forward_onehot`: the mean of their logits is differentiable too."""

    def forward_onehot(self, x, rc_average: bool | None = None):
        """Mean logits of the members for a one-hot batch (N, L, 4)."""
        outs = [m.forward_onehot(x, rc_average) for m in self.members]
        return sum(outs) / len(outs)
