"""An ensemble of on-target models: the weighted mean of their percentile scores, with an
optional flank-free model for contexts whose flanks are unknown (23-mers)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from helixforge.core.errors import ConfigError
from helixforge.crispr.ontarget_features import _ContextScorer, flanks_unknown

if TYPE_CHECKING:
    from helixforge.crispr.ontarget_models import OnTargetModel


class OnTargetEnsemble(_ContextScorer):
    """Weighted mean of member models' percentile scores (each member calibrated on its own
    training set); contexts without flanks (23-mers) go to the `flank_free` model when given."""

    kind = "ensemble"

    def __init__(
        self,
        members: Sequence[OnTargetModel],
        weights: Sequence[float] | None = None,
        flank_free: OnTargetModel | None = None,
    ) -> None:
        if not members:
            raise ConfigError("an ensemble needs at least one member model")
        self.members = list(members)
        w = np.ones(len(members)) if weights is None else np.asarray(weights, dtype=float)
        self.weights = w / w.sum()
        self.flank_free = flank_free

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        """0-100 scores for encoded, valid contexts: the members' weighted mean, or the
        flank-free model's score for rows whose flanks are unknown."""
        out = np.zeros(len(codes))
        short = flanks_unknown(codes) if self.flank_free is not None else np.zeros(len(codes), bool)
        if short.any():
            out[short] = self.flank_free.predict_codes(codes[short])
        if (~short).any():
            parts = [m.predict_codes(codes[~short]) for m in self.members]
            out[~short] = np.average(np.stack(parts), axis=0, weights=self.weights)
        return out

    def save(self, directory: str | os.PathLike, names: Sequence[str] | None = None) -> Path:
        """Write each member to a subdirectory and an ensemble config.json naming them."""
        from helixforge.core.artifacts import save_json

        d = Path(directory)
        from helixforge.lm.inputs import as_names

        names = as_names(names, "names") or [
            f"member{i}_{m.kind}" for i, m in enumerate(self.members)
        ]
        if len(names) != len(self.members):
            raise ConfigError(
                f"names has {len(names)} entries for {len(self.members)} ensemble members",
                hint="pass one subdirectory name per member, or no names",
            )
        for name, m in zip(names, self.members, strict=True):
            m.save(d / name)
        cfg = {"format": "helixforge.crispr.ontarget", "kind": "ensemble", "enzyme": "spcas9",
               "members": names, "weights": self.weights.tolist()}  # fmt: skip
        if self.flank_free is not None:
            self.flank_free.save(d / "flank_free")
            cfg["flank_free"] = "flank_free"
        save_json(cfg, d / "config.json")
        return d
